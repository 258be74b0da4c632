/** Node entry for NIR files: signature check, then h5wasm. */
import { open, rename, rm } from "node:fs/promises";
import h5wasm from "h5wasm/node";
import { NirError, type NirFile } from "./graph.js";
import { readNirWith, writeNirWith } from "./hdf5.js";

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

async function checkSignature(path: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NirError(path, null, code === "ENOENT" ? "no such file" : `cannot open (${code ?? String(e)})`);
  }
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (bytesRead < 8 || HDF5_MAGIC.some((b, i) => head[i] !== b))
      throw new NirError(
        path,
        null,
        "offset 0: expected the HDF5 signature \\x89HDF\\r\\n\\x1a\\n (NIR files are HDF5)",
      );
  } finally {
    await fh.close();
  }
}

/** Reads a NIR file (either string layout) into a NirFile. */
export async function loadNir(path: string): Promise<NirFile> {
  await checkSignature(path);
  const Module = await h5wasm.ready;
  return readNirWith(h5wasm, Module, path, path);
}

/** Writes a NIR file through a temp file and a rename. */
export async function saveNir(nir: NirFile, path: string): Promise<void> {
  const Module = await h5wasm.ready;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeNirWith(h5wasm, Module, nir, tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Node entry for NIR files: signature check, then h5wasm. */
import { rename, rm } from "node:fs/promises";
import h5wasm from "h5wasm/node";
import { checkHdf5Signature } from "../events/shd-node.js";
import type { NirFile } from "./graph.js";
import { readNirWith, writeNirWith } from "./hdf5.js";

/** Reads a NIR file (either string layout) into a NirFile. */
export async function loadNir(path: string): Promise<NirFile> {
  await checkHdf5Signature(path, "NIR files are HDF5");
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

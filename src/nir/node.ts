/** Node entry for NIR files: signature check, a time-limited read in a worker, then h5wasm in this thread. */
import { rename, rm } from "node:fs/promises";
import h5wasm from "h5wasm/node";
import { checkHdf5Signature, probeHdf5 } from "../events/shd-node.js";
import { EventFormatError } from "../events/errors.js";
import { type NirFile, NirError } from "./graph.js";
import { readNirWith, writeNirWith } from "./hdf5.js";

export interface LoadNirOptions {
  /** time limit for the worker that reads the file first (default 30 s) */
  timeoutMs?: number;
  /** skip the worker (files this process wrote itself) */
  trusted?: boolean;
}

/**
 * Reads a NIR file (either string layout) into a NirFile. An untrusted file is read in a worker first, under a
 * time limit, so a file that makes the HDF5 library abort or hang gives a one-line error instead.
 */
export async function loadNir(path: string, opts: LoadNirOptions = {}): Promise<NirFile> {
  await checkHdf5Signature(path, "NIR files are HDF5");
  if (!opts.trusted) {
    try {
      await probeHdf5(new URL("./probe-worker.js", import.meta.url), path, opts.timeoutMs ?? 30000);
    } catch (e) {
      throw e instanceof EventFormatError ? new NirError(path, null, e.detail) : e;
    }
  }
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

/**
 * Browser entry for NIR files: h5wasm's browser build with its in-memory file system (no file paths, no worker
 * time limit: a page reads only what its user opened). The same readers and writers as the Node entry.
 */
import type { NirFile } from "./graph.js";
import { readNirBytesWith, writeNirWith } from "./hdf5.js";

async function h5(): Promise<{ lib: typeof import("h5wasm").default; Module: Awaited<typeof import("h5wasm").ready> }> {
  const lib = (await import("h5wasm")).default;
  return { lib, Module: await lib.ready };
}

let counter = 0;

/** Reads NIR file bytes (either string layout). */
export async function loadNirBytes(bytes: Uint8Array, name = "<nir bytes>"): Promise<NirFile> {
  const { lib, Module } = await h5();
  return readNirBytesWith(lib, Module, bytes, name);
}

/** Writes a NIR file (the current layout) and returns its bytes. */
export async function saveNirBytes(nir: NirFile): Promise<Uint8Array> {
  const { lib, Module } = await h5();
  const fsPath = `/razor-nir-out-${++counter}.nir`;
  try {
    writeNirWith(lib, Module, nir, fsPath);
    return Module.FS.readFile(fsPath);
  } finally {
    if (Module.FS.analyzePath(fsPath).exists) Module.FS.unlink(fsPath);
  }
}

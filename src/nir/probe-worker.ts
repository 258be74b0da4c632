/**
 * Worker that reads a NIR file completely with h5wasm (every group, dataset and attribute loadNir reads), so a
 * corrupt file that makes the HDF5 library abort or hang takes down only this worker; the parent (loadNir) enforces
 * a time limit and then reads the file again in its own thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import h5wasm from "h5wasm/node";
import { readNirWith } from "./hdf5.js";

const { path } = workerData as { path: string };
try {
  const Module = await h5wasm.ready;
  const nir = readNirWith(h5wasm, Module, path, path);
  parentPort!.postMessage({ ok: true, rowsRead: Object.keys(nir.graph.nodes).length });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}

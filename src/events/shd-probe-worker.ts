/**
 * Worker that opens an SHD/SSC file with h5wasm and reads its index and every row once, so a corrupt file that
 * makes the HDF5 library abort or hang on any read takes down only this worker (the parent enforces a time limit).
 * Loaders then read the file in other threads without a worker ("trusted"): every read they can make has been made
 * here under the limit.
 */
import { parentPort, workerData } from "node:worker_threads";
import h5wasm from "h5wasm/node";
import { openShdWith } from "./shd.js";

const { path } = workerData as { path: string };
try {
  const Module = await h5wasm.ready;
  const f = openShdWith(h5wasm, Module, path, path);
  for (let i = 0; i < f.length; i++) f.sample(i);
  const n = f.length;
  f.close();
  parentPort!.postMessage({ ok: true, length: n, rowsRead: n });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}

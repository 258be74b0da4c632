/**
 * Worker that opens an SHD/SSC file with h5wasm and reads its index and first/last rows, so a corrupt file that
 * makes the HDF5 library abort or hang takes down only this worker (the parent enforces a time limit).
 */
import { parentPort, workerData } from "node:worker_threads";
import h5wasm from "h5wasm/node";
import { openShdWith } from "./shd.js";

const { path } = workerData as { path: string };
try {
  const Module = await h5wasm.ready;
  const f = openShdWith(h5wasm, Module, path, path);
  if (f.length > 0) {
    f.sample(0);
    f.sample(f.length - 1);
  }
  const n = f.length;
  f.close();
  parentPort!.postMessage({ ok: true, length: n });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}

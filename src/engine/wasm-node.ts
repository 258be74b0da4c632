/** Node side of the wasm engine: reads build/razor.wasm from the package and starts worker_threads Workers. */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { WorkerInit } from "./thread-protocol.js";
import type { WasmPlatform, WorkerHandle } from "./wasm-runtime.js";

/** build/<file> of this package (dist/src/engine -> package root). */
export function defaultWasmPath(file = "razor.wasm"): URL {
  return new URL(`../../../build/${file}`, import.meta.url);
}

export function loadDefaultWasm(file = "razor.wasm"): Uint8Array {
  const path = defaultWasmPath(file);
  try {
    return readFileSync(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot read the wasm kernels at ${path.pathname} (run \`npm run build:wasm\`): ${why}`);
  }
}

function spawnWorker(init: WorkerInit): Promise<WorkerHandle> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./wasm-worker-node.js", import.meta.url), { workerData: init });
    // a worker blocked in Atomics.wait must not keep the process alive
    worker.unref();
    worker.once("message", () => resolve({ terminate: () => void worker.terminate() }));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`worker exited with code ${code} before it was ready`)));
  });
}

export const nodePlatform: WasmPlatform = {
  spawnWorker,
  canBlock: true,
  defaultThreads: availableParallelism(),
};

/**
 * Browser threads for the wasm engine: one module Web Worker per extra thread. Needs a cross-origin isolated page
 * (COOP/COEP headers) so that the shared WebAssembly.Memory can be posted to workers. On a page's main thread the
 * caller cannot block, so it spins while workers run; run the trainer itself in a Worker to avoid that.
 */
import type { WorkerInit } from "./thread-protocol.js";
import type { WasmPlatform, WorkerHandle } from "./wasm-runtime.js";

export function webWorkerPlatform(workerUrl: URL = new URL("./wasm-worker-browser.js", import.meta.url)): WasmPlatform {
  const g = globalThis as unknown as {
    crossOriginIsolated?: boolean;
    document?: unknown;
    navigator?: { hardwareConcurrency?: number };
  };
  if (g.crossOriginIsolated !== true) {
    throw new Error("wasm engine threads need a cross-origin isolated page (COOP: same-origin, COEP: require-corp)");
  }
  return {
    canBlock: g.document === undefined, // inside a Worker Atomics.wait is allowed
    defaultThreads: g.navigator?.hardwareConcurrency ?? 1,
    spawnWorker: (init: WorkerInit) =>
      new Promise<WorkerHandle>((resolve, reject) => {
        const worker = new Worker(workerUrl, { type: "module" });
        worker.onmessage = () => resolve({ terminate: () => worker.terminate() });
        worker.onerror = (ev) => reject(new Error(`wasm engine worker failed to start: ${ev.message}`));
        worker.postMessage(init);
      }),
  };
}

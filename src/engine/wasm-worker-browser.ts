// Entry of a browser Web Worker of the wasm engine: receives its WorkerInit, joins the shared memory, serves tasks.
import { serveTasks, type WorkerInit } from "./thread-protocol.js";

const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<WorkerInit>) => void) | null;
  postMessage: (msg: unknown) => void;
};
scope.onmessage = (ev) => {
  scope.onmessage = null;
  serveTasks(ev.data, () => scope.postMessage("ready"));
};

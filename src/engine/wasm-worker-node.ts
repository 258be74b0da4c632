// Entry of a Node worker thread of the wasm engine: joins the shared memory and serves kernel tasks.
import { parentPort, workerData } from "node:worker_threads";
import { serveTasks, type WorkerInit } from "./thread-protocol.js";

serveTasks(workerData as WorkerInit, () => parentPort?.postMessage("ready"));

/**
 * The razor-snn Worker: decodes recordings, loads models and runs inference off the page's main thread.
 * A web app's worker file needs two lines:
 *
 *   import { serveRazorWorker } from "razor-snn/browser";
 *   serveRazorWorker(self);
 */
import type { EventStream } from "../events/stream.js";
import { decodeEvents } from "../events/decode.js";
import type {
  RazorWorkerRecording,
  MessageEndpoint,
  RazorWorkerRequest,
  RazorWorkerResponse,
  RazorWorkerResult,
} from "./protocol.js";
import { streamBuffers } from "./protocol.js";

export interface RazorWorkerState {
  recordings: Map<number, EventStream>;
  nextHandle: number;
}

/** Installs the message handler on `scope` (the Worker's `self`). Returns the state, for tests. */
export function serveRazorWorker(scope: MessageEndpoint): RazorWorkerState {
  const state: RazorWorkerState = { recordings: new Map(), nextHandle: 1 };
  scope.addEventListener("message", (ev: MessageEvent) => {
    const req = ev.data as RazorWorkerRequest;
    void answer(state, req).then(
      ([result, transfer]) =>
        scope.postMessage({ id: req.id, ok: true, result } satisfies RazorWorkerResponse, transfer),
      (err: unknown) =>
        scope.postMessage({
          id: req.id,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        } satisfies RazorWorkerResponse),
    );
  });
  return state;
}

async function answer(state: RazorWorkerState, req: RazorWorkerRequest): Promise<[RazorWorkerResult, Transferable[]]> {
  switch (req.op) {
    case "decode": {
      const started = performance.now();
      const name = req.options.fileName ?? "<buffer>";
      const d = decodeEvents(new Uint8Array(req.bytes), req.options);
      const handle = state.nextHandle++;
      state.recordings.set(handle, d.stream);
      const copy = copyStream(d.stream);
      const result: RazorWorkerRecording = {
        handle,
        name,
        format: d.format,
        sensorGuessed: d.sensorGuessed,
        meta: d.meta,
        stream: copy,
        decodeMs: performance.now() - started,
      };
      return [result, streamBuffers(copy)];
    }
    case "release":
      state.recordings.delete(req.handle);
      return [null, []];
    case "loadModel":
    case "infer":
      throw new Error("models cannot run in the browser in this build yet");
  }
}

/** A compact copy (views of a larger buffer would otherwise clone the whole buffer). */
function copyStream(ev: EventStream): EventStream {
  return { t: ev.t.slice(), x: ev.x.slice(), y: ev.y.slice(), p: ev.p.slice(), sensor: { ...ev.sensor } };
}

/**
 * The razor-snn Worker: decodes recordings, loads models and runs inference off the page's main thread.
 * A web app's worker file needs two lines:
 *
 *   import { serveRazorWorker } from "razor-snn/browser";
 *   serveRazorWorker(self);
 */
import type { EventStream } from "../events/stream.js";
import { decodeEvents } from "../events/decode.js";
import { loadViewerModel, runViewerModel, type ViewerModel } from "./model-runner.js";
import type {
  RazorWorkerRecording,
  MessageEndpoint,
  RazorWorkerRequest,
  RazorWorkerResponse,
  RazorWorkerResult,
} from "./protocol.js";
import { streamBuffers } from "./protocol.js";

export interface RazorWorkerState {
  /** decoded recordings by handle */
  recordings: Map<number, { name: string; stream: EventStream }>;
  nextHandle: number;
  model: ViewerModel | null;
  /** whether the loaded model has run once (timings of a first run include the engine's warm-up) */
  warm: boolean;
}

/** Installs the message handler on `scope` (the Worker's `self`). Returns the state, for tests. */
export function serveRazorWorker(scope: MessageEndpoint): RazorWorkerState {
  const state: RazorWorkerState = { recordings: new Map(), nextHandle: 1, model: null, warm: false };
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
      state.recordings.set(handle, { name, stream: d.stream });
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
    case "loadModel": {
      const next = loadViewerModel(new Uint8Array(req.bytes), req.name);
      state.model?.model.dispose();
      state.model = next;
      state.warm = false;
      return [next.info, []];
    }
    case "infer": {
      if (state.model === null) throw new Error("no model loaded: open a checkpoint first");
      const rec = state.recordings.get(req.handle);
      if (rec === undefined) throw new Error(`no recording with handle ${req.handle} (released?)`);
      const vm = state.model;
      // the first run after loading also warms the engine up on real input; its timings are not shown
      if (!state.warm) runViewerModel(vm, rec.stream, req.handle, req.thresholds, rec.name);
      state.warm = true;
      const r = runViewerModel(vm, rec.stream, req.handle, req.thresholds, rec.name);
      return [r, [r.frames.buffer as ArrayBuffer]];
    }
  }
}

/** A compact copy (views of a larger buffer would otherwise clone the whole buffer). */
function copyStream(ev: EventStream): EventStream {
  return { t: ev.t.slice(), x: ev.x.slice(), y: ev.y.slice(), p: ev.p.slice(), sensor: { ...ev.sensor } };
}

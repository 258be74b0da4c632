/**
 * The razor-snn Worker: decodes recordings, loads models and runs inference off the page's main thread.
 * A web app's worker file needs two lines:
 *
 *   import { serveRazorWorker } from "razor-snn/browser";
 *   serveRazorWorker(self);
 */
import type { EventStream } from "../events/stream.js";
import { useEngine } from "../engine/current.js";
import { createWasmEngine } from "../engine/wasm.js";
import { webWorkerPlatform } from "../engine/wasm-browser.js";
import { decodeEvents } from "../events/decode.js";
import type { EventFormat } from "../events/decoders/types.js";
import { detectFormat, isHdf5 } from "../events/detect.js";
import { openShdBytes, type ShdFile } from "../events/shd.js";
import { loadViewerModel, runViewerModel, type ViewerModel } from "./model-runner.js";
import { loadNirBytes } from "../nir/browser.js";
import { nirCheckpoint } from "../nir/import-checkpoint.js";
import type {
  RazorWorkerContainer,
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
  /** open multi-sample files (SHD/SSC HDF5) by handle */
  containers: Map<number, { name: string; file: ShdFile }>;
  nextHandle: number;
  model: ViewerModel | null;
  /** whether the loaded model has run once (timings of a first run include the engine's warm-up) */
  warm: boolean;
  /** the engine models run on, chosen when the first model loads */
  engine: { label: string } | null;
  options: RazorWorkerOptions;
}

export interface RazorWorkerOptions {
  /**
   * URL of a worker script whose only job is `import "razor-snn/engine/wasm-worker-browser"` (bundled by the app):
   * the wasm engine's extra threads. Without it, or without cross-origin isolation, the engine runs on one thread.
   */
  engineWorkerUrl?: URL;
  /** engine threads including this Worker's own (default: the machine's cores, at most 4) */
  threads?: number;
}

/** Installs the message handler on `scope` (the Worker's `self`). Returns the state, for tests. */
export function serveRazorWorker(scope: MessageEndpoint, options: RazorWorkerOptions = {}): RazorWorkerState {
  const state: RazorWorkerState = {
    recordings: new Map(),
    containers: new Map(),
    nextHandle: 1,
    model: null,
    warm: false,
    engine: null,
    options,
  };
  // requests are answered one after another, in arrival order: an inference sent after a model load or a release
  // sees its effect even though loading (HDF5, the engine) is asynchronous
  let queue: Promise<unknown> = Promise.resolve();
  scope.addEventListener("message", (ev: MessageEvent) => {
    const req = ev.data as RazorWorkerRequest;
    queue = queue
      .then(() => reply(req))
      .catch((err: unknown) => {
        // the answer itself could not be sent (e.g. not cloneable): say so, and keep serving
        scope.postMessage({ id: req.id, ok: false, error: `razor-snn worker: ${(err as Error).message}` });
      });
  });
  const reply = (req: RazorWorkerRequest): Promise<void> =>
    answer(state, req).then(
      ([result, transfer]) =>
        scope.postMessage({ id: req.id, ok: true, result } satisfies RazorWorkerResponse, transfer),
      (err: unknown) =>
        scope.postMessage({
          id: req.id,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        } satisfies RazorWorkerResponse),
    );
  return state;
}

/** A checkpoint, or a NIR graph (HDF5) imported on the spot with `nir import`'s defaults (1 ms frames × 300). */
async function viewerModelOf(bytes: Uint8Array, name: string): Promise<ViewerModel> {
  if (!isHdf5(bytes)) return loadViewerModel(bytes, name);
  return loadViewerModel(nirCheckpoint(await loadNirBytes(bytes, name), name).bytes, name);
}

async function answer(state: RazorWorkerState, req: RazorWorkerRequest): Promise<[RazorWorkerResult, Transferable[]]> {
  switch (req.op) {
    case "decode": {
      const started = performance.now();
      const name = req.options.fileName ?? "<buffer>";
      const bytes = new Uint8Array(req.bytes);
      const format =
        req.options.format ??
        detectFormat(bytes.subarray(0, 65536), { totalSize: bytes.length, fileName: req.options.fileName }).format;
      if (format === "shd") {
        // an HDF5 file of many samples: keep it open, answer with its first sample
        const file = await openShdBytes(bytes, name);
        if (file.length === 0) {
          file.close();
          throw new Error(`${name}: the file holds no samples`);
        }
        const handle = state.nextHandle++;
        state.containers.set(handle, { name, file });
        return sampleOf(state, handle, 0, started);
      }
      const d = decodeEvents(bytes, { ...req.options, format });
      return recordingResult(state, name, d.format, d.stream, d.sensorGuessed, d.meta, null, started);
    }
    case "sample":
      return sampleOf(state, req.container, req.index, performance.now());
    case "release": {
      state.recordings.delete(req.handle);
      state.containers.get(req.handle)?.file.close();
      state.containers.delete(req.handle);
      return [null, []];
    }
    case "loadModel": {
      state.engine ??= await chooseEngine(req.wasmUrl, state.options);
      const next = await viewerModelOf(new Uint8Array(req.bytes), req.name);
      next.info.engine = state.engine.label;
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
      if (!state.warm) runViewerModel(vm, rec.stream, req.handle, req.thresholds, rec.name, 1);
      state.warm = true;
      const r = runViewerModel(vm, rec.stream, req.handle, req.thresholds, rec.name, req.timingRuns);
      return [r, [r.frames.buffer as ArrayBuffer]];
    }
  }
}

/**
 * The wasm engine when its .wasm is served (threads when the page is cross-origin isolated and the app gave the
 * engine's worker script), else the pure-TS reference engine; the label says which and why.
 */
async function chooseEngine(wasmUrl: string | null, options: RazorWorkerOptions): Promise<{ label: string }> {
  if (wasmUrl === null) return { label: "reference (pure TS): no .wasm served" };
  const g = globalThis as { location?: { href: string }; crossOriginIsolated?: boolean; navigator?: Navigator };
  const isolated = g.crossOriginIsolated === true && options.engineWorkerUrl !== undefined;
  const threads = isolated ? (options.threads ?? Math.min(4, g.navigator?.hardwareConcurrency ?? 1)) : 1;
  try {
    const engine = await createWasmEngine({
      wasmSource: new URL(wasmUrl, g.location?.href),
      threads,
      ...(threads > 1 && { platform: webWorkerPlatform(options.engineWorkerUrl) }),
    });
    useEngine(engine);
    return { label: `wasm SIMD, ${threads} thread${threads > 1 ? "s" : ""}` };
  } catch (err) {
    return { label: `reference (pure TS): the wasm engine failed to start (${(err as Error).message})` };
  }
}

/** Stores a decoded stream under a new handle and answers with a compact copy (its buffers transferred). */
function recordingResult(
  state: RazorWorkerState,
  name: string,
  format: EventFormat,
  stream: EventStream,
  sensorGuessed: boolean,
  meta: Record<string, unknown>,
  container: RazorWorkerContainer | null,
  started: number,
): [RazorWorkerRecording, Transferable[]] {
  const handle = state.nextHandle++;
  state.recordings.set(handle, { name, stream });
  const copy = copyStream(stream);
  const result: RazorWorkerRecording = {
    handle,
    name,
    format,
    sensorGuessed,
    meta,
    stream: copy,
    decodeMs: performance.now() - started,
    container,
  };
  return [result, streamBuffers(copy)];
}

function sampleOf(
  state: RazorWorkerState,
  containerHandle: number,
  index: number,
  started: number,
): [RazorWorkerRecording, Transferable[]] {
  const c = state.containers.get(containerHandle);
  if (c === undefined) throw new Error(`no open multi-sample file with handle ${containerHandle}`);
  const { file } = c;
  if (!Number.isInteger(index) || index < 0 || index >= file.length) {
    throw new Error(`${c.name}: sample ${index} does not exist (the file holds ${file.length})`);
  }
  const label = file.labels[index]!;
  const container: RazorWorkerContainer = {
    handle: containerHandle,
    samples: file.length,
    index,
    label,
    className: file.keys[label] ?? null,
  };
  const meta = { sample: index, label, samples: file.length };
  return recordingResult(state, `${c.name}#${index}`, "shd", file.sample(index), false, meta, container, started);
}

/** A compact copy (views of a larger buffer would otherwise clone the whole buffer). */
function copyStream(ev: EventStream): EventStream {
  return { t: ev.t.slice(), x: ev.x.slice(), y: ev.y.slice(), p: ev.p.slice(), sensor: { ...ev.sensor } };
}

/**
 * The messages between a page and the razor-snn Worker (worker-host.ts serves them, worker-client.ts sends them).
 * Every request carries an id; the Worker answers each with one response of the same id.
 */
import type { DecodeOptions } from "../events/decode.js";
import type { EventFormat } from "../events/decoders/types.js";
import type { EventStream } from "../events/stream.js";

/** A recording decoded in the Worker. The Worker keeps its own copy under `handle` for inference. */
export interface RazorWorkerRecording {
  handle: number;
  name: string;
  format: EventFormat;
  /** true when the sensor size was not in the file and was guessed from the coordinates */
  sensorGuessed: boolean;
  meta: Record<string, unknown>;
  stream: EventStream;
  /** Worker-side decode time in ms */
  decodeMs: number;
  /** set when the file holds many samples (SHD/SSC HDF5): which one this is, and the file's labels */
  container: RazorWorkerContainer | null;
}

/** A file of many labelled samples, kept open in the Worker; `sample` decodes one. */
export interface RazorWorkerContainer {
  handle: number;
  samples: number;
  index: number;
  /** this sample's class, and the class names when the file has them */
  label: number;
  className: string | null;
}

/** What the page needs to know about a loaded model. */
export interface RazorWorkerModel {
  name: string;
  /** model family, e.g. "razor", "ta", "snn" */
  kind: string;
  dataset: string;
  classes: number;
  /** the model's time steps per sample */
  timesteps: number;
  /** names of the layers that carry a Razor mask (empty for models without one) */
  maskedLayers: string[];
  /** the thresholds θ per masked layer stored in the checkpoint */
  thresholds: number[];
  /** the checkpoint's preprocessing and model config, as stored */
  config: Record<string, unknown>;
  /** which engine runs it (e.g. "wasm SIMD, 2 threads"), set by the Worker host */
  engine: string;
}

export interface RazorWorkerLayerTrace {
  name: string;
  /** Razor importance score per frame [T] */
  scores: Float32Array;
  /** 1 = frame computed, 0 = dropped [T] */
  mask: Uint8Array;
  kept: number;
}

export interface RazorWorkerRun {
  /** predicted class after each frame (argmax of the output accumulated so far) [T] */
  predictionOverTime: Int32Array;
  /** output per frame [T, classes] */
  outputs: Float32Array;
  predicted: number;
  /** synaptic operations executed */
  sops: number;
  ms: number;
}

export interface RazorWorkerInference {
  handle: number;
  timesteps: number;
  layers: RazorWorkerLayerTrace[];
  /** with the masks of the chosen thresholds */
  masked: RazorWorkerRun;
  /** the same model with every frame kept */
  unmasked: RazorWorkerRun;
  /** the model's input frames [T, P, H, W] for display (P, H, W in `frameShape`) */
  frames: Float32Array;
  frameShape: [number, number, number, number];
  /** frame k covers [frameTimes[k], frameTimes[k+1]) µs of the recording; null when preprocessing moves it */
  frameTimes: Float64Array | null;
  /** how many alternating masked/unmasked runs the times are the best of */
  timingRuns: number;
}

export type RazorWorkerRequest =
  | { op: "decode"; id: number; bytes: ArrayBuffer; options: DecodeOptions }
  | { op: "sample"; id: number; container: number; index: number }
  | { op: "release"; id: number; handle: number }
  | { op: "loadModel"; id: number; bytes: ArrayBuffer; name: string; wasmUrl: string | null }
  | { op: "infer"; id: number; handle: number; thresholds: number[] | null; timingRuns: number };

export type RazorWorkerResult = RazorWorkerRecording | RazorWorkerModel | RazorWorkerInference | null;

export type RazorWorkerResponse =
  | { id: number; ok: true; result: RazorWorkerResult }
  | { id: number; ok: false; error: string };

/** The little of a DedicatedWorkerGlobalScope (or a MessagePort) the host needs; lets tests drive it in Node. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (ev: MessageEvent) => void): void;
}

/** The typed-array buffers of a stream, to transfer instead of copy (once each: decoded columns share one). */
export function streamBuffers(ev: EventStream): ArrayBuffer[] {
  return [...new Set([ev.t.buffer, ev.x.buffer, ev.y.buffer, ev.p.buffer])] as ArrayBuffer[];
}

/**
 * An imported NIR graph as checkpoint bytes (browser-safe): the graph spec and tensors of importNir, the
 * preprocessing its frames need (windows of windowMs, T per recording, the sensor read off the Input shape) and
 * the razor_snn.nir provenance. The `nir import` command writes them; the viewer loads a .nir file through them.
 */
import { encodeCheckpoint, loadModelTensors } from "../checkpoint/checkpoint.js";
import type { Preprocessing } from "../checkpoint/preprocess.js";
import { LIMITS } from "../models/config.js";
import { GraphModel } from "../models/graph-model.js";
import type { GraphSpec } from "../models/graph-spec.js";
import type { Json } from "../util/json.js";
import { NirError, type NirFile } from "./graph.js";
import { importNir } from "./import.js";
import type { NirResetMode } from "./network.js";

export interface NirCheckpointOptions {
  /** frame length in ms (default 1, as NIR's N-MNIST example) */
  windowMs?: number;
  /** frames per recording (default 300) */
  frames?: number;
  /** forward-Euler step in s (default: the frame window) */
  dt?: number;
  reset?: NirResetMode;
  /** dataset name stored with the preprocessing (default "unknown") */
  dataset?: string;
}

export function nirCheckpoint(
  nir: NirFile,
  file: string,
  opts: NirCheckpointOptions = {},
): { bytes: Uint8Array; spec: GraphSpec; dt: number; pre: Preprocessing } {
  const windowMs = opts.windowMs ?? 1;
  if (!(windowMs > 0 && Number.isFinite(windowMs)))
    throw new Error(`window ${windowMs} ms: expected a positive number`);
  const T = opts.frames ?? 300;
  if (!(Number.isInteger(T) && T >= 1 && T <= LIMITS.T)) throw new Error(`frames ${T}: expected 1 to ${LIMITS.T}`);
  const dt = opts.dt ?? windowMs / 1000;
  const { spec, tensors } = importNir(nir, file, { dt, reset: opts.reset ?? "nir" });
  const pre = preprocessingOf(spec.input, windowMs, T, opts.dataset ?? "unknown", file);
  const model = new GraphModel(spec);
  try {
    loadModelTensors(model, tensors, file);
    const meta = {
      model: spec as unknown as Json,
      preprocessing: pre as unknown as Json,
      thresholds: null,
      training: { importedFrom: file },
      nir: { file, version: nir.version, dt, reset: "nir" as const },
    };
    return { bytes: encodeCheckpoint(model, meta), spec, dt, pre };
  } finally {
    model.dispose();
  }
}

/** Frames of windowMs for the graph's input: [C, H, W] with C polarities of an H×W sensor, or [F] channels. */
function preprocessingOf(input: number[], windowMs: number, T: number, dataset: string, file: string): Preprocessing {
  const [c, h, w] = input.length === 3 ? (input as [number, number, number]) : [1, 1, input[0]!];
  if (c > 2)
    throw new NirError(file, null, `input [${input}]: razor-snn frames hold 1 or 2 polarities per pixel, not ${c}`);
  return {
    dataset,
    sensor: { width: w, height: h, polarities: c },
    framing: "time-window",
    dtUs: windowMs * 1000,
    T,
    downsample: 1,
    input,
    window: null,
    trainSlice: "first",
    clips: 1,
  };
}

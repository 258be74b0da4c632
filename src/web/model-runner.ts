/**
 * Runs a checkpoint on one recording for the viewer: rebuilds the network from the checkpoint's config, integrates
 * the recording into the model's frames, and runs it with and without the Razor masks, keeping what the page shows
 * (scores, masks, predictions over time, SOPs, time). Browser-safe; the Worker host calls it.
 */
// registers the default (reference) engine; a page may switch to the wasm engine with useEngine()
import { argmax } from "../util/argmax.js";
import "../engine/index.js";
import type { EventStream } from "../events/stream.js";
import type { Frames } from "../events/transforms/frames.js";
import type { ModelConfig } from "../models/config.js";
import { GraphModel } from "../models/graph-model.js";
import type { SnnModel } from "../models/model.js";
import { PrunedRunner } from "../infer/pruned.js";
import { decodeCheckpoint } from "../checkpoint/checkpoint.js";
import { modelFromCheckpoint } from "../checkpoint/model-from-checkpoint.js";
import { type Preprocessing, pipelineFor } from "../checkpoint/preprocess.js";
import type { RazorWorkerInference, RazorWorkerModel, RazorWorkerRun } from "./protocol.js";

/** What framing a model needs: its frame shape and frames per sample. */
export type FrameNeeds = Pick<ModelConfig, "input" | "classes"> & { frames: { T: number } };

export interface ViewerModel {
  /** a per-dataset model, or an imported NIR graph (no scorer: nothing masked, both runs the same) */
  model: SnnModel | GraphModel;
  config: FrameNeeds;
  preprocessing: Preprocessing;
  info: RazorWorkerModel;
  /** indices of the layers that can drop frames (a scorer, not the encoder) */
  maskedIndices: number[];
}

/** Decodes a checkpoint and builds its network in evaluation mode; errors name the file. */
export function loadViewerModel(bytes: Uint8Array, name: string): ViewerModel {
  const ck = decodeCheckpoint(bytes, name);
  const { model, pre: preprocessing } = modelFromCheckpoint(ck, name);
  const graph = model instanceof GraphModel;
  const config: FrameNeeds = graph
    ? { input: model.config.input, classes: model.config.classes, frames: { T: preprocessing.T } }
    : model.config;
  const maskedIndices = graph ? [] : model.layers.flatMap((l, i) => (i > 0 && l.scorer !== null ? [i] : []));
  const stored = ck.meta.thresholds ?? (graph ? null : model.config.inference.thresholds) ?? [];
  const info: RazorWorkerModel = {
    name,
    kind: graph ? model.config.kind : model.config.variant,
    dataset: graph ? preprocessing.dataset : model.config.dataset,
    classes: config.classes,
    timesteps: config.frames.T,
    maskedLayers: maskedIndices.map((i) => `layers.${i}`),
    thresholds: maskedIndices.map((i) => stored[i] ?? 0),
    config: { model: ck.meta.model, preprocessing: ck.meta.preprocessing } as Record<string, unknown>,
    engine: "active engine",
  };
  return { model, config, preprocessing, info, maskedIndices };
}

/**
 * The model's input frames for a recording, [T, C, H, W] (or [T, 1, 1, F] for [F] inputs): the checkpoint's own
 * preprocessing pipeline (checkpoint/preprocess.ts: sensor check, noise window, downsampling, framing), so the page
 * sees exactly the frames training and evaluation make. A pipeline that yields more than T frames (random
 * consecutive training slices) is cut to the first T; fewer are padded with empty frames.
 */
export function modelFrames(
  pre: Preprocessing,
  config: Pick<FrameNeeds, "input" | "frames">,
  ev: EventStream,
  source: string,
): { data: Float32Array; shape: [number, number, number, number] } {
  let frames: Frames;
  try {
    frames = pipelineFor(pre).toFrames(ev);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
  const T = config.frames.T;
  const [C, H, W] = config.input.length === 3 ? (config.input as [number, number, number]) : [1, 1, config.input[0]!];
  const [, P, fh, fw] = frames.shape;
  const size = C * H * W;
  if (P * fh * fw !== size) {
    throw new Error(
      `${source}: the preprocessing makes frames of ${P}×${fh}×${fw}, the model takes [${config.input.join(", ")}]`,
    );
  }
  const data = new Float32Array(T * size);
  data.set(frames.data.subarray(0, Math.min(T, frames.shape[0]) * size));
  return { data, shape: [T, C, H, W] };
}

/**
 * Where the model's frames lie in the recording's own time: T + 1 boundaries in µs (frame k is [b[k], b[k+1])),
 * as the preprocessing's framing places them; null when the preprocessing moves the recording in time (the noise
 * window places it at a random offset).
 */
export function frameBoundaries(pre: Preprocessing, T: number, ev: EventStream): Float64Array | null {
  if (pre.window !== null) return null;
  const n = ev.t.length;
  const t0 = n > 0 ? ev.t[0]! : 0;
  // time-window frames have the checkpoint's dt; spread frames are T bins of floor(span / T), as in timeBins
  const width =
    pre.framing === "time-window" ? pre.dtUs! : Math.max(1, Math.floor((n > 0 ? ev.t[n - 1]! - t0 : 0) / T));
  return Float64Array.from({ length: T + 1 }, (_, k) => t0 + k * width);
}

/**
 * Runs the model on one recording with θ per masked layer (null: keep every frame in the masked run too), and
 * without any mask: outputs per frame, scores and masks from the dense model; SOPs executed and wall-clock time
 * (best of up to `maxTimingRuns` alternating runs while they are fast) from the pruned runtime on the active engine.
 */
export function runViewerModel(
  vm: ViewerModel,
  ev: EventStream,
  handle: number,
  thresholds: number[] | null,
  source: string,
  maxTimingRuns = 5,
): RazorWorkerInference {
  const { model, config, maskedIndices } = vm;
  if (thresholds !== null && thresholds.length !== maskedIndices.length) {
    throw new Error(`expected ${maskedIndices.length} thresholds (one per masked layer), got ${thresholds.length}`);
  }
  const frames = modelFrames(vm.preprocessing, config, ev, source);
  const T = config.frames.T;
  const x = { data: frames.data, shape: [T, 1, ...config.input] };
  const common = { handle, timesteps: T, frames: frames.data, frameShape: frames.shape };
  const frameTimes = frameBoundaries(vm.preprocessing, T, ev);
  if (model instanceof GraphModel) {
    // nothing to mask: one run is both; its SOPs from the model's own accounting
    const start = performance.now();
    const run = denseRun(model, x, config.classes);
    run.ms = performance.now() - start;
    run.sops = model.counts().reduce((a, l) => a + l.sops, 0);
    return { ...common, layers: [], masked: run, unmasked: { ...run }, frameTimes, timingRuns: 1 };
  }

  const perLayer: (number | null)[] = model.layers.map(() => null);
  maskedIndices.forEach((li, j) => {
    perLayer[li] = thresholds?.[j] ?? null;
  });
  model.setThresholds(thresholds === null ? null : perLayer);
  const masked = denseRun(model, x, config.classes);
  const scores = model.scores();
  const masks = model.masks();
  const layers = maskedIndices.map((li) => {
    const mask = masks[li] ? Uint8Array.from(masks[li]!) : new Uint8Array(T).fill(1);
    let kept = 0;
    for (let t = 0; t < T; t++) kept += mask[t]!;
    return {
      name: `layers.${li}`,
      scores: scores[li] ? Float32Array.from(scores[li]!) : new Float32Array(T).fill(1),
      mask,
      kept,
    };
  });

  model.setThresholds(null);
  const unmasked = denseRun(model, x, config.classes);

  // Time and SOPs come from the pruned runtime (infer/pruned.ts), which skips masked frames for real and gives
  // exactly the masked dense output. Runs alternate and each side keeps its fastest, so neither pays for warm-up
  // or for running first; more runs while they are cheap.
  const runner = new PrunedRunner(model);
  const budgetMs = 200;
  let spent = 0;
  masked.ms = Infinity;
  unmasked.ms = Infinity;
  let timingRuns = 0;
  for (; timingRuns < Math.max(1, maxTimingRuns) && spent < budgetMs; timingRuns++) {
    model.setThresholds(thresholds === null ? null : perLayer);
    const m = runner.run(x);
    model.setThresholds(null);
    const u = runner.run(x);
    masked.ms = Math.min(masked.ms, m.ms);
    unmasked.ms = Math.min(unmasked.ms, u.ms);
    masked.sops = m.layers.reduce((a, l) => a + l.sops, 0);
    unmasked.sops = u.layers.reduce((a, l) => a + l.sops, 0);
    spent += m.ms + u.ms;
  }
  return { ...common, layers, masked, unmasked, frameTimes, timingRuns };
}

function denseRun(
  model: SnnModel | GraphModel,
  x: { data: Float32Array; shape: number[] },
  classes: number,
): RazorWorkerRun {
  const out = model.forward(x, { training: false });
  const T = x.shape[0]!;
  const outputs = Float32Array.from(out.data.subarray(0, T * classes));
  const predictionOverTime = new Int32Array(T);
  const sum = new Float64Array(classes);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < classes; c++) sum[c]! += outputs[t * classes + c]!;
    predictionOverTime[t] = leading(sum);
  }
  // sops and ms are filled in from the pruned runtime
  return { predictionOverTime, outputs, predicted: predictionOverTime[T - 1] ?? -1, sops: 0, ms: 0 };
}

/** The class with the most output spikes so far (first on ties); -1 while there is none. */
function leading(counts: Float64Array): number {
  const best = argmax(counts);
  return counts[best]! > 0 ? best : -1;
}

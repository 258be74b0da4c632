/**
 * Pruned inference (method.md, "Binary mask (inference)"): a frame masked at layer n is not computed in layer n or
 * any later layer — no conv, BN, pooling or LIF work for it. Each layer works on a compact batch holding only the
 * frames it keeps; its neurons' state decays lazily across the frames it skips (GapLif). Because a dropped frame has
 * zero current and a LIF neuron cannot fire on zero current, this gives exactly the output of the masked dense
 * computation (SnnModel.forward in eval mode with the same thresholds), only faster.
 *
 * The Razor score of layer n comes from the layer's input, so it is known before the layer's conv runs and the conv
 * itself is skipped for dropped frames. TA's score comes from the layer's current (its T×T MLP needs all frames):
 * a TA layer computes its conv on every frame its input kept and drops frames only from the LIF on; TA is offline
 * only in any case.
 */
import { freeList } from "../engine/api.js";
import { engine } from "../engine/current.js";
import { argmaxRows } from "../util/argmax.js";
import type { SnnModel } from "../models/model.js";
import { combineMasks, decideFrames } from "../nn/frame-gate.js";
import type { Seq } from "../nn/module.js";
import { executedSops, type LayerCounts } from "../nn/layer-counts.js";
import type { SpikingLayer } from "../nn/spiking-layer.js";
import type { EventDrivenThresholds } from "../nn/density.js";
import {
  copyRows,
  EVAL_CTX,
  type FrameBatch,
  freeInputBatch,
  inputBatch,
  INFERENCE_THRESHOLDS,
  withThresholds,
  positionsOf,
  layerLif,
  releaseCurrent,
  synapseForward,
} from "./layer-step.js";

/** What one layer did in a pruned run: the model's LayerCounts (counted on what ran) plus scores, kernel and time. */
export interface PrunedLayerStats extends LayerCounts {
  /** M^n [T·B]: 1 where the layer computed the frame (never null here) */
  executed: Uint8Array;
  /** d [T·B] of the layer's scorer (null without one) */
  scores: Float32Array | null;
  /** which synapse kernel ran */
  path: "dense" | "events" | "none";
  /** wall-clock time spent in this layer, ms */
  ms: number;
}

export interface PrunedResult {
  T: number;
  B: number;
  /** output spike counts [B × classes] summed over time */
  counts: Float32Array;
  /** argmax of counts per sample (ties: lowest class) */
  predictions: Int32Array;
  layers: PrunedLayerStats[];
  /** wall-clock time of the whole run, ms */
  ms: number;
}

/**
 * Runs `model` with its current thresholds, gap floor and mask policy (set them on the model as for
 * SnnModel.forward). The model is put in eval mode.
 */
export interface PrunedRunnerOptions {
  /** input densities below which the event-driven kernels run (default: the forward-only crossovers) */
  thresholds?: EventDrivenThresholds | "global";
}

export class PrunedRunner {
  private readonly thresholds: EventDrivenThresholds | "global";

  constructor(
    readonly model: SnnModel,
    opts: PrunedRunnerOptions = {},
  ) {
    this.thresholds = opts.thresholds ?? INFERENCE_THRESHOLDS;
  }

  run(x: Seq): PrunedResult {
    return withThresholds(this.thresholds, () => this.runFrames(x));
  }

  private runFrames(x: Seq): PrunedResult {
    const start = performance.now();
    const model = this.model.eval();
    const expect = model.config.input;
    if (x.shape.length !== 2 + expect.length || expect.some((v, i) => x.shape[2 + i] !== v)) {
      throw new Error(`${model.config.name}: expected input [T, B, ${expect.join(", ")}], got [${x.shape.join(", ")}]`);
    }
    const T = x.shape[0]!;
    const B = x.shape[1]!;
    const frames = T * B;
    const all = new Int32Array(frames);
    for (let r = 0; r < frames; r++) all[r] = r;
    const input = inputBatch(model.layers[0]!, x.data, all, expect.slice());
    let batch = input;
    let upstream: Uint8Array | null = null;
    const stats: PrunedLayerStats[] = [];
    const owned: FrameBatch[] = [];
    for (const layer of model.layers) {
      const t0 = performance.now();
      const r = runLayer(layer, batch, upstream, T, B);
      stats.push({ ...r.stats, ms: performance.now() - t0 });
      batch = r.out;
      owned.push(r.out);
      upstream = r.mask;
    }
    const classes = batch.frameShape.reduce((a, v) => a * v, 1);
    const counts = new Float32Array(B * classes);
    const list = batch.spikes!;
    for (let k = 0; k < batch.rows.length; k++) {
      const b = batch.rows[k]! % B;
      for (let j = list.offsets[k]!; j < list.offsets[k + 1]!; j++) counts[b * classes + list.idx[j]!]! += 1;
    }
    const predictions = argmaxRows(counts, B, classes);
    const e = engine();
    for (const o of owned) {
      if (o.data) e.free(o.data);
      if (o.spikes) freeList(o.spikes, e);
    }
    freeInputBatch(input);
    return { T, B, counts, predictions, layers: stats, ms: performance.now() - start };
  }
}

interface LayerRun {
  out: FrameBatch;
  mask: Uint8Array;
  stats: Omit<PrunedLayerStats, "ms">;
}

function runLayer(layer: SpikingLayer, input: FrameBatch, upstream: Uint8Array | null, T: number, B: number): LayerRun {
  const frames = T * B;
  const inFeatures = input.frameShape.reduce((a, v) => a * v, 1);
  const activity = frameActivity(input, frames, inFeatures);
  const scorer = layer.scorer;
  let d: Float32Array | null = null;
  if (scorer?.source === "input") {
    d = scorer.score(fullSpikeSeq(input, T, B, upstream), EVAL_CTX);
  }
  // TA scores need the current of every frame the input kept: compute it first, drop afterwards.
  let current: { rows: Int32Array; data: Float32Array } | null = null;
  if (scorer?.source === "current") {
    current = synapseForward(layer, input, input.rows);
    d = scorer.score(fullCurrentSeq(layer, current, T, B), EVAL_CTX);
  }
  const gateInput = { layer: layer.opts.index, scores: d, activity, upstream, T, B };
  const own = decideFrames(layer.frameRule(), gateInput, layer.opts.name);
  const mask = combineMasks(upstream, own) ?? allOnes(frames);
  const kept = keptRows(input.rows, mask);
  // BN folds into the LIF step unless TA needed the BN'ed current of every frame for its score
  const foldBn = current === null;
  if (current === null) current = synapseForward(layer, input, kept, foldBn);
  else current = selectRows(current, kept, current.data.length / Math.max(1, current.rows.length));
  const neurons = layer.outShape.reduce((a, v) => a * v, 1);
  const weights = d === null ? null : Float32Array.from(kept, (r) => d[r]!);
  const spikes = layerLif(layer, B, foldBn).run(kept, current.data, weights);
  const { offsets } = spikes;
  const outputSpikes = new Float32Array(frames);
  for (let k = 0; k < kept.length; k++) outputSpikes[kept[k]!] = offsets[k + 1]! - offsets[k]!;
  if (kept.length > 0) releaseCurrent(layer);
  const inputEvents = new Float32Array(frames);
  for (const r of kept) inputEvents[r] = activity[r]!;
  return {
    out: { rows: kept, data: null, spikes, frameShape: layer.outShape },
    mask,
    stats: {
      layer: layer.opts.index,
      T,
      B,
      frames,
      ...executedSops(inputEvents, mask, layer.fanOut),
      inputEvents,
      outputSpikes,
      neurons,
      fanOut: layer.fanOut,
      executed: mask,
      scores: d,
      path: kept.length === 0 ? "none" : layer.synapse.lastPath,
    },
  };
}

/** Input spikes (or summed event counts) per frame [T·B]; 0 for frames not in the batch. */
function frameActivity(input: FrameBatch, frames: number, features: number): Float32Array {
  const a = new Float32Array(frames);
  const { rows, spikes, data } = input;
  for (let k = 0; k < rows.length; k++) {
    if (spikes?.values) {
      // the network input as a list of its non-zero event counts
      let s = 0;
      for (let j = spikes.offsets[k]!; j < spikes.offsets[k + 1]!; j++) s += Math.abs(spikes.values[j]!);
      a[rows[k]!] = s;
    } else if (spikes) a[rows[k]!] = spikes.offsets[k + 1]! - spikes.offsets[k]!;
    else {
      let s = 0;
      for (let i = k * features; i < (k + 1) * features; i++) s += Math.abs(data![i]!);
      a[rows[k]!] = s;
    }
  }
  return a;
}

/** The batch as a full [T, B, ...] sequence of spike lists (empty rows for frames not computed), no dense data. */
function fullSpikeSeq(input: FrameBatch, T: number, B: number, upstream: Uint8Array | null): Seq {
  const list = input.spikes;
  if (list === null || list.values) throw new Error("a Razor layer needs spiking input (it cannot be the first layer)");
  const frames = T * B;
  const offsets = new Int32Array(frames + 1);
  let k = 0;
  for (let r = 0; r < frames; r++) {
    if (k < input.rows.length && input.rows[k] === r) {
      offsets[r + 1] = offsets[r]! + (list.offsets[k + 1]! - list.offsets[k]!);
      k++;
    } else offsets[r + 1] = offsets[r]!;
  }
  const seq: Seq = {
    data: new Float32Array(0),
    shape: [T, B, ...input.frameShape],
    spikes: { rows: frames, rowLen: list.rowLen, idx: list.idx, offsets },
  };
  if (upstream) seq.mask = upstream;
  return seq;
}

/**
 * The current of every frame [T, B, ...outShape]: computed rows from `current`, and for frames the input did not
 * keep, the current of an all-zero input frame (bias through BN and pooling), as the dense model sees them.
 */
function fullCurrentSeq(
  layer: SpikingLayer,
  current: { rows: Int32Array; data: Float32Array },
  T: number,
  B: number,
): Seq {
  const frames = T * B;
  const f = layer.outShape.reduce((a, v) => a * v, 1);
  const full = new Float32Array(frames * f);
  let zero: Float32Array | null = null;
  let k = 0;
  for (let r = 0; r < frames; r++) {
    if (k < current.rows.length && current.rows[k] === r) {
      full.set(current.data.subarray(k * f, (k + 1) * f), r * f);
      k++;
    } else {
      zero ??= zeroFrameCurrent(layer);
      full.set(zero, r * f);
    }
  }
  return { data: full, shape: [T, B, ...layer.outShape] };
}

/** Current of one all-zero input frame through the layer's synapse, BN and pooling. */
function zeroFrameCurrent(layer: SpikingLayer): Float32Array {
  const inShape = layer.opts.inShape;
  const e = engine();
  const x = e.allocF32(inShape.reduce((a, v) => a * v, 1));
  let h: Seq = { data: x, shape: [1, 1, ...inShape] };
  h = layer.synapse.forward(h, EVAL_CTX);
  if (layer.bn) h = layer.bn.forward(h, EVAL_CTX);
  if (layer.poolOp) h = layer.poolOp.forward(h, EVAL_CTX);
  const out = Float32Array.from(h.data);
  e.free(x);
  return out;
}

function allOnes(n: number): Uint8Array {
  return new Uint8Array(n).fill(1);
}

/** The rows of `rows` where mask is 1. */
function keptRows(rows: Int32Array, mask: Uint8Array): Int32Array {
  let n = 0;
  for (const r of rows) if (mask[r] === 1) n++;
  const out = new Int32Array(n);
  n = 0;
  for (const r of rows) if (mask[r] === 1) out[n++] = r;
  return out;
}

/** The current rows `kept` (a subset of current.rows) as a compact copy. */
function selectRows(
  current: { rows: Int32Array; data: Float32Array },
  kept: Int32Array,
  f: number,
): { rows: Int32Array; data: Float32Array } {
  if (kept.length === current.rows.length) return current;
  const out = copyRows(current.data, positionsOf(current.rows, kept), f, new Float32Array(kept.length * f));
  return { rows: kept, data: out };
}

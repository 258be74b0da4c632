/**
 * The work of one spiking layer on a compact batch of frames, shared by the pruned runner and the stream:
 * synapse → BN → pool on the kept frames only (BN and a 2×2 average pool inside the event-driven conv where they
 * follow it), the layer's LIF neurons (with BN folded in where nothing sits between), and the network input as a
 * list of its non-zero values for a conv encoder.
 */
import { type ConvEpilogue, freeList, type SpikeList } from "../engine/api.js";
import { engine } from "../engine/current.js";
import { Conv2d } from "../nn/conv2d.js";
import {
  type EventDrivenThresholds,
  eventDrivenThresholds,
  preferEvents,
  setEventDrivenThresholds,
} from "../nn/density.js";
import type { Context, Seq } from "../nn/module.js";
import type { SpikingLayer } from "../nn/spiking-layer.js";
import { Rng } from "../util/rng.js";
import { denseFromList, GapLif, type GapLifParams } from "./gap-lif.js";

/** The frames a layer hands to the next: only the kept ones, compact. */
export interface FrameBatch {
  /** kept frame indices r = t·B + b, ascending */
  rows: Int32Array;
  /**
   * dense values of the kept frames [rows.length × features]; null for spiking layers' outputs, whose dense 0/1
   * values are made from the spike list only where a dense kernel needs them
   */
  data: Float32Array | null;
  /**
   * their active positions (spiking layers' outputs); for the network input, its non-zero values as a list with
   * values when the first layer can run on them (inputBatch), else null
   */
  spikes: SpikeList | null;
  frameShape: number[];
}

const NO_DATA = new Float32Array(0);

/**
 * Inference only runs the forward kernels, whose event-driven/dense crossover lies higher than training's
 * (forward + weight gradient): conv ≈ 30 %, linear ≈ 40 % input density (docs/spike-kernels.md tables).
 */
export const INFERENCE_THRESHOLDS: EventDrivenThresholds = { conv: 0.3, linear: 0.4 };

/** Runs fn with the given kernel-choice thresholds ("global": leave the process-wide ones as they are). */
export function withThresholds<R>(t: EventDrivenThresholds | "global", fn: () => R): R {
  if (t === "global") return fn();
  const saved = { ...eventDrivenThresholds() };
  setEventDrivenThresholds(t);
  try {
    return fn();
  } finally {
    setEventDrivenThresholds(saved);
  }
}

export const EVAL_CTX: Context = { training: false, rng: new Rng(0) };

/**
 * The layer's LIF neurons over B samples. Where no pooling sits between BN and LIF, the BN map is folded into the
 * LIF step (one pass over the current instead of two); then synapseForward must run with `foldedBn: true`.
 */
export function layerLif(layer: SpikingLayer, B: number, foldBn: boolean): GapLif {
  const lif = layer.lif;
  const neurons = layer.outShape.reduce((a, v) => a * v, 1);
  const p: GapLifParams = { alpha: lif.alpha(), vth: lif.opts.vth, reset: lif.opts.reset };
  if (foldBn && foldsBatchNorm(layer)) {
    p.batchNorm = { ...layer.bn!.evalAffine(), positions: neurons / layer.opts.out };
  }
  return new GapLif(B, neurons, p);
}

/** True when the layer has a BN with nothing between it and the LIF neurons. */
export function foldsBatchNorm(layer: SpikingLayer): boolean {
  return layer.bn !== null && layer.poolOp === null;
}

/**
 * Conv/Linear → BN → pool for the frames `rows` (a subset of input.rows), as one compact batch; with `foldedBn`,
 * the BN of a layer where foldsBatchNorm holds is left to the LIF step. Returns the current
 * [rows.length × neurons-before-scaling] (an array owned by the layer's modules).
 */
export function synapseForward(
  layer: SpikingLayer,
  input: FrameBatch,
  rows: Int32Array,
  foldedBn = false,
): { rows: Int32Array; data: Float32Array } {
  if (rows.length === 0) return { rows, data: new Float32Array(0) };
  const inFeatures = input.frameShape.reduce((a, v) => a * v, 1);
  const e = engine();
  const same = rows.length === input.rows.length;
  const spikes = input.spikes === null ? undefined : same ? input.spikes : gatherList(input, rows);
  // the event-driven kernels never read the dense values: gather those only for the dense path
  const t = eventDrivenThresholds();
  const eventPath = preferEvents(spikes, layer.synapse instanceof Conv2d ? t.conv : t.linear);
  let data: Float32Array = NO_DATA;
  let madeDense = false;
  if (!eventPath) {
    if (same && input.data !== null) data = input.data;
    else if (spikes) {
      data = denseFromList(spikes);
      madeDense = true;
    } else {
      data = gatherRows(input, rows, inFeatures);
      madeDense = true;
    }
  }
  let h: Seq = { data, shape: [rows.length, 1, ...input.frameShape] };
  if (spikes && eventPath) h.spikes = spikes;
  const bnHere = layer.bn !== null && !(foldedBn && foldsBatchNorm(layer));
  const epilogue = eventPath ? convEpilogueFor(layer, bnHere) : null;
  if (epilogue !== null) h = (layer.synapse as Conv2d).forwardEventsFused(h, epilogue);
  else {
    h = layer.synapse.forward(h, EVAL_CTX);
    if (bnHere) h = layer.bn!.forward(h, EVAL_CTX);
    if (layer.poolOp) {
      h = layer.poolOp.forward(h, EVAL_CTX);
      layer.bn?.releaseOutput();
    }
  }
  if (madeDense) e.free(data);
  if (!same && spikes) freeList(spikes, e);
  return { rows, data: h.data };
}

/**
 * What an event-driven conv can do inside its kernel for this layer: the batch norm (when it runs here) and a
 * 2×2 stride-2 average pool. Null when the layer is not a conv, has nothing to fuse, or pools another way.
 */
function convEpilogueFor(layer: SpikingLayer, bnHere: boolean): ConvEpilogue | null {
  if (!(layer.synapse instanceof Conv2d)) return null;
  const pool = layer.poolOp;
  const avgPool2 = pool !== null && pool.opts.type === "avg" && pool.opts.kernel === 2 && pool.stride === 2;
  if (pool !== null && !avgPool2) return null;
  if (!bnHere && !avgPool2) return null;
  const epilogue: ConvEpilogue = { avgPool2 };
  if (bnHere) epilogue.batchNorm = layer.bn!.evalAffine();
  return epilogue;
}

/** Input depth above which the GEMM splits its sum (so a list with values would no longer match it bit for bit). */
const MAX_VALUE_DEPTH = 256;

/**
 * The network input as the first layer's batch: frames [rows × features] (event counts), and, when the first
 * layer is a conv whose depth cin·kh·kw allows it, their non-zero values as a list (the event-driven conv on it
 * equals the dense conv bit for bit). Free with freeInputBatch.
 */
export function inputBatch(
  first: SpikingLayer,
  data: Float32Array,
  rows: Int32Array,
  frameShape: number[],
): FrameBatch {
  const conv = first.synapse;
  const depth = conv instanceof Conv2d ? conv.opts.inChannels * conv.kernel * conv.kernel : Infinity;
  const features = frameShape.reduce((a, v) => a * v, 1);
  const spikes = depth <= MAX_VALUE_DEPTH ? engine().valueList(data, rows.length, features) : null;
  return { rows, data, spikes, frameShape };
}

export function freeInputBatch(b: FrameBatch): void {
  if (b.spikes) freeList(b.spikes, engine());
}

/** Hands the layer's last output buffers back to its modules' pools. */
export function releaseCurrent(layer: SpikingLayer): void {
  layer.poolOp?.releaseOutput();
  layer.bn?.releaseOutput();
  layer.synapse.releaseOutput();
}

/** Positions in `all` (ascending) of the frames `subset` (ascending, a subset of `all`). */
export function positionsOf(all: Int32Array, subset: Int32Array): Int32Array {
  const pos = new Int32Array(subset.length);
  let k = 0;
  for (let j = 0; j < subset.length; j++) {
    while (all[k] !== subset[j]) k++;
    pos[j] = k;
  }
  return pos;
}

/** Row j of out = row pos[j] of data (rows of `features` values). */
export function copyRows(data: Float32Array, pos: Int32Array, features: number, out: Float32Array): Float32Array {
  for (let j = 0; j < pos.length; j++) {
    const k = pos[j]!;
    out.set(data.subarray(k * features, (k + 1) * features), j * features);
  }
  return out;
}

/** Dense values of the frames `rows` (a subset of input.rows, ascending) as a new engine array. */
function gatherRows(input: FrameBatch, rows: Int32Array, features: number): Float32Array {
  const out = engine().allocF32(Math.max(1, rows.length * features));
  return copyRows(input.data!, positionsOf(input.rows, rows), features, out);
}

/** The spike list of the frames `rows` (a subset of input.rows, ascending); idx in a new engine array. */
function gatherList(input: FrameBatch, rows: Int32Array): SpikeList {
  const list = input.spikes!;
  const offsets = new Int32Array(rows.length + 1);
  const src = positionsOf(input.rows, rows);
  let total = 0;
  for (let j = 0; j < rows.length; j++) {
    total += list.offsets[src[j]! + 1]! - list.offsets[src[j]!]!;
    offsets[j + 1] = total;
  }
  const idx = engine().allocI32(Math.max(1, total));
  const values = list.values ? engine().allocF32(Math.max(1, total)) : null;
  for (let j = 0; j < rows.length; j++) {
    const s = src[j]!;
    idx.set(list.idx.subarray(list.offsets[s]!, list.offsets[s + 1]!), offsets[j]!);
    values?.set(list.values!.subarray(list.offsets[s]!, list.offsets[s + 1]!), offsets[j]!);
  }
  const gathered: SpikeList = { rows: rows.length, rowLen: list.rowLen, idx, offsets };
  if (values) gathered.values = values;
  return gathered;
}

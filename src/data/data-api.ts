/**
 * What training and evaluation need from a dataset: numbered samples with labels, turned into input batches on
 * demand (possibly asynchronously: frames may come from disk). FramesData (./frames-data.ts) is the one over
 * recordings; tests use small in-memory sets.
 */
import type { Rng } from "../util/rng.js";
import type { Json } from "../util/json.js";

/**
 * Positions per row of [rows, rowLen] data, row r's at idx[offsets[r], offsets[r + 1]), ascending, each as often
 * as its count (the engine's SpikeList of event-count frames, as its eventIndices makes it).
 */
export interface EventListing {
  rows: number;
  rowLen: number;
  idx: Int32Array;
  offsets: Int32Array;
}

export interface Batch {
  /**
   * time-major input frames, shape [T, B, ...frame] (a network's input sequence as it is); `events` lists them
   * (rows = T·B frames) when the batcher had them as lists already, so the network need not scan the frames
   * (valid while `data` is unchanged)
   */
  input: { data: Float32Array; shape: number[]; events?: EventListing };
  labels: Int32Array;
}

export interface BatchOptions {
  /** random augmentation / random slice for training; null = the deterministic evaluation view */
  rng: Rng | null;
  /** training epoch (0-based), for loaders that seed per epoch */
  epoch?: number;
  /** for multi-clip evaluation: which clip of each sample (0-based, < clips) */
  clip?: number;
  /**
   * Where the batch's input goes: an array of n elements with any contents, which batch() overwrites in full
   * (default: a new Float32Array). The trainer passes engine memory, so kernels read the batch in place instead of
   * copying it in; the caller then owns the array (and frees it).
   */
  alloc?: (n: number) => Float32Array;
  /** Where the batch's event list goes (input.events: idx and offsets), as `alloc` (default: new Int32Arrays). */
  allocI32?: (n: number) => Int32Array;
}

export interface LabelledData {
  readonly size: number;
  readonly numClasses: number;
  /** class names for reports (optional) */
  readonly classNames?: string[];
  /** label of sample i */
  label(i: number): number;
  /** evaluation clips per sample (the 10-clip protocol for DVS data); 1 when absent */
  readonly clips?: number;
  batch(indices: Int32Array, opts: BatchOptions): Batch | Promise<Batch>;
  /** the whole preprocessing (sensor size, framing, dt or T, downsampling), saved in checkpoints */
  readonly preprocessing: Json;
}

/** Splits an order into consecutive batches of at most `size` indices. */
export function* batchesOf(order: Int32Array, size: number): Generator<Int32Array> {
  for (let i = 0; i < order.length; i += size) yield order.subarray(i, Math.min(order.length, i + size));
}

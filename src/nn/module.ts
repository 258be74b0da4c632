/**
 * The module contract (design.md): modules take and return whole time-major sequences, run forward over the whole
 * sequence, then backward in reverse (layer-by-layer BPTT). Parameters and their gradients sit side by side.
 */
import type { SpikeBytes, SpikeList } from "../engine/api.js";
import type { Rng } from "../util/rng.js";

/** A time-major sequence [T, B, ...features]. */
export interface Seq {
  data: Float32Array;
  /** [T, B, ...] */
  shape: number[];
  /** When the values are binary spikes: their active positions per (t, b) frame, for event-driven kernels. */
  spikes?: SpikeList;
  /**
   * When the values are event counts (a network's input): their positions per (t, b) frame, each as often as its
   * count, listed by whoever made the input (the batcher) so that the network need not scan the frames for them.
   */
  events?: SpikeList;
  /**
   * When the values are LIF spikes: the same values as bytes (exactly 0/1, the LIF's own array, alive until that
   * LIF's next forward). A synapse keeps these for its weight gradient instead of `data` (spike-storage.ts).
   */
  bytes?: SpikeBytes;
  /** Frame mask [T·B] (1 = kept) when frames have been dropped upstream; absent = all kept. */
  mask?: Uint8Array;
}

export interface Param {
  /** name as in the PyTorch-compatible checkpoint, e.g. "layers.0.conv.weight" (set by the container) */
  name: string;
  value: Float32Array;
  grad: Float32Array;
  shape: number[];
  /** learning-rate multiplier (Razor's module parameters train at ×10) */
  lrScale?: number;
}

/** Non-trained state saved in checkpoints (BN running_mean / running_var / num_batches_tracked). */
export interface Buffer {
  name: string;
  value: Float32Array;
  shape: number[];
  /** dtype in the checkpoint when not F32 (num_batches_tracked is int64 in PyTorch) */
  dtype?: "I64";
}

export interface Context {
  training: boolean;
  rng: Rng;
}

export interface Module {
  forward(x: Seq, ctx: Context): Seq;
  /** Accumulates parameter gradients and returns the gradient w.r.t. the forward input. */
  backward(gy: Seq, ctx: Context): Seq;
  parameters(): Param[];
  buffers(): Buffer[];
  /** Returns every engine array the module holds (parameters included) to the engine. */
  dispose?(): void;
}

/** Number of frames (T·B) and features per frame of a time-major sequence. */
export function seqDims(x: Seq): { t: number; b: number; frames: number; features: number } {
  const t = x.shape[0]!;
  const b = x.shape[1]!;
  let f = 1;
  for (let i = 2; i < x.shape.length; i++) f *= x.shape[i]!;
  return { t, b, frames: t * b, features: f };
}

/**
 * What training and evaluation need from a model. The models (src/models) satisfy this structurally; a tiny
 * stand-in in the tests does too. Pruning hooks are optional: plain SNNs have none.
 */
import type { Buffer, Context, Param, Seq } from "../nn/module.js";

/** Anything JSON can carry. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TrainableModel {
  /** input [T, B, ...] (frames) -> output spikes [T, B, classes] */
  forward(x: Seq, ctx: Context): Seq;
  backward(gy: Seq, ctx: Context): Seq;
  parameters(): Param[];
  buffers(): Buffer[];
  /** the model's configuration (what built it), saved in checkpoints */
  readonly config: Json;
}

/**
 * Decides which frames a maskable layer keeps. `scores` is the layer's own importance d[t·B + b] (null for layers
 * without a module), `activity` the input activity per frame (e.g. input spike count), `upstream` the mask the layer
 * inherits (1 = kept). Returns m[t·B + b] ∈ {0, 1}; the model combines it hierarchically (M^n = M^{n-1} ⊙ m^n).
 */
export interface MaskPolicyInput {
  /** index among the layers with a module (0 = the first one after the encoder) */
  layer: number;
  scores: Float32Array | null;
  activity: Float32Array;
  upstream: Uint8Array | null;
  t: number;
  b: number;
}

export type MaskPolicy = (input: MaskPolicyInput) => Uint8Array;

/** What one frame layer did during the last forward (for efficiency figures). */
export interface LayerRecord {
  name: string;
  /** whether this layer can drop frames (layers with a Razor/TA module, or inheriting a mask) */
  maskable: boolean;
  /** whether this layer has its own module (scores); mask policies are called for these, in order */
  module: boolean;
  /** kept frames M^n [T·B] (1 = ran); null = all ran */
  mask: Uint8Array | null;
  /** importance d [T·B] when the layer has a module */
  scores: Float32Array | null;
  /** input spikes (or input events for the encoder) per frame [T·B] */
  inputSpikes: Float32Array;
  /** output spikes per frame [T·B] */
  outputSpikes: Float32Array;
  /** neurons in this layer's output (per frame) */
  neurons: number;
  /** synaptic fan-out of one input spike (e.g. cout·kh·kw for a conv, out features for a linear) */
  fanOut: number;
  /** multiply-accumulates per frame when run densely */
  macsPerFrame: number;
}

export interface PrunableModel extends TrainableModel {
  /** number of layers with a module (each gets a threshold θ_n and a mask-policy call) */
  maskableLayers(): number;
  /** per-layer thresholds θ_n (length maskableLayers()); null: no thresholding */
  setThresholds(theta: number[] | null): void;
  /** overrides thresholding with a mask policy (controls, top-k); null restores thresholds */
  setMaskPolicy(policy: MaskPolicy | null): void;
  /** per-layer records of the last forward (all layers, encoder first) */
  layerRecords(): LayerRecord[];
}

export function isPrunable(m: TrainableModel): m is PrunableModel {
  const p = m as Partial<PrunableModel>;
  return (
    typeof p.setThresholds === "function" &&
    typeof p.setMaskPolicy === "function" &&
    typeof p.layerRecords === "function" &&
    typeof p.maskableLayers === "function"
  );
}

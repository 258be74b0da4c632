/**
 * What training and evaluation need from a model. The models (src/models) satisfy this structurally; a tiny
 * stand-in in the tests does too. Pruning hooks are optional: plain SNNs have none. The mask-policy and count
 * types mirror src/nn/frame-gate.ts and src/nn/spiking-layer.ts.
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
  readonly config: unknown;
  /** extra loss the model adds itself (e.g. the keep-rate target of learned pruning), for reporting */
  auxLoss?(): number;
}

/** What a mask policy sees for one spiking layer (index >= 1; the encoder, index 0, is never masked). */
export interface MaskPolicyInput {
  /** 0-based spiking-layer index */
  layer: number;
  /** the layer's scores d [T·B] (Razor or TA), null when it has none */
  scores: Float32Array | null;
  /** input spikes per frame [T·B] */
  activity: Float32Array;
  /** frames kept upstream M^{n-1} [T·B] (1 = kept), null when nothing was dropped upstream */
  upstream: Uint8Array | null;
  T: number;
  B: number;
}

/** Returns the layer's own mask m^n [T·B] (1 = keep) or null for "keep all"; the model uses M^{n-1} ⊙ m^n. */
export type MaskPolicy = (input: MaskPolicyInput) => Uint8Array | null;

/** What one spiking layer did in the last forward. */
export interface LayerCounts {
  layer: number;
  T: number;
  B: number;
  /** input spikes per frame [T·B] (events, for the encoder) */
  inputEvents: Float32Array;
  /** synapses each input spike drives */
  fanOut: number;
  /** output spikes per frame [T·B] */
  outputSpikes: Float32Array;
  neurons: number;
  /** frames this layer computed, M^n [T·B]; null = all */
  executed: Uint8Array | null;
  framesExecuted: number;
  frames: number;
  /** Σ over executed frames of inputEvents × fanOut */
  sops: number;
}

export interface PrunableModel extends TrainableModel {
  /** a policy deciding every maskable layer's frames (null: the model's own thresholds, or keep all) */
  setMaskPolicy(policy: MaskPolicy | null): void;
  /** per spiking layer, encoder first: counts of the last forward */
  layerCounts(): LayerCounts[];
}

export function isPrunable(m: TrainableModel): m is PrunableModel {
  const p = m as Partial<PrunableModel>;
  return typeof p.setMaskPolicy === "function" && typeof p.layerCounts === "function";
}

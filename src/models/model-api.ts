/**
 * What training and evaluation need from a model. The models (src/models) satisfy this structurally; a tiny
 * stand-in in the tests does too (SnnModel of src/models fits as it is).
 */
import type { MaskPolicy } from "../nn/frame-gate.js";
import type { Buffer, Context, Param, Seq } from "../nn/module.js";
import type { LayerCounts } from "../nn/layer-counts.js";

export interface TrainableModel {
  /** input [T, B, ...] (frames) -> output spikes [T, B, classes] */
  forward(x: Seq, ctx: Context): Seq;
  /** accumulates parameter gradients from dL/d(output); what it returns is not used */
  backward(gy: Seq, ctx: Context): unknown;
  parameters(): Param[];
  buffers(): Buffer[];
  /** the model's configuration (what built it), saved in checkpoints */
  readonly config: unknown;
  /** extra loss the model adds itself (e.g. the keep-rate target of learned pruning), for reporting */
  auxLoss?(): number;
}

export interface PrunableModel extends TrainableModel {
  /** a policy deciding every maskable layer's frames (null: the model's own thresholds, or keep all) */
  setMaskPolicy(policy: MaskPolicy | null): void;
  /** per spiking layer, encoder first: counts of the last forward */
  counts(): LayerCounts[];
}

export function isPrunable(m: TrainableModel): m is PrunableModel {
  const p = m as Partial<PrunableModel>;
  return typeof p.setMaskPolicy === "function" && typeof p.counts === "function";
}

/**
 * Frame gating: per-frame importance scores (TA, Razor) and the binary frame masks applied at evaluation.
 * Frames are numbered time-major, r = t·B + b, as in every [T·B] array here.
 */
import type { Buffer, Context, Param, Seq } from "./module.js";

/** A module that scores every frame of a layer with d ∈ (0, 1). */
export interface FrameScorer {
  /** "input": scored from the layer's input S^{n-1} (Razor); "current": from the synaptic current I (TA). */
  readonly source: "input" | "current";
  /** Scores d [T·B] of the given sequence. The array stays valid until the next call. */
  score(x: Seq, ctx: Context): Float32Array;
  /**
   * Backward of the last score call: accumulates parameter gradients from gd [T·B] and adds dL/d(source) into
   * gSource (same layout as the scored sequence) when it is not null.
   */
  backward(gd: Float32Array, gSource: Float32Array | null): void;
  parameters(): Param[];
  buffers(): Buffer[];
  dispose(): void;
}

/** What a mask policy sees for one layer during a forward pass. */
export interface MaskPolicyInput {
  /** 0-based index of the spiking layer (layer n = index + 1); policies are asked for index >= 1 only */
  layer: number;
  /** the layer's scores d [T·B] (Razor or TA), null when the layer has none (plain SNN, ungated layers) */
  scores: Float32Array | null;
  /** input spikes (events, for the encoder) per frame [T·B] */
  activity: Float32Array;
  /** frames kept upstream M^{n-1} [T·B] (1 = kept), null when nothing was dropped upstream */
  upstream: Uint8Array | null;
  T: number;
  B: number;
}

/**
 * Decides which frames layer n computes: returns m^n [T·B] with 1 = keep, 0 = drop, or null for "keep all".
 * The layer then uses M^n = M^{n-1} ⊙ m^n (a frame dropped upstream stays dropped).
 */
export type MaskPolicy = (input: MaskPolicyInput) => Uint8Array | null;

/** m[r] = 1[d[r] >= θ]. */
export function thresholdMask(scores: Float32Array, theta: number): Uint8Array {
  const m = new Uint8Array(scores.length);
  for (let r = 0; r < scores.length; r++) m[r] = scores[r]! >= theta ? 1 : 0;
  return m;
}

/**
 * One frame of the causal gap floor, in time order within a sample: `run` is the number of consecutive frames the
 * layer did not compute before this one (its own drops and frames dropped upstream alike). A frame that reached the
 * layer (upKept) runs when the layer keeps it or when run has reached G; the floor cannot bring back an upstream
 * drop. Returns the new run: 0 when the layer computes the frame, run + 1 when it does not.
 */
export function gapFloorStep(run: number, own: boolean, upKept: boolean, G: number): number {
  return upKept && (own || run >= G) ? 0 : run + 1;
}

/**
 * Causal gap floor over a whole [T·B] mask (gapFloorStep per sample, forward in time). In place on m^n; `upstream`
 * = M^{n-1}, null when nothing was dropped.
 */
export function applyGapFloor(m: Uint8Array, upstream: Uint8Array | null, T: number, B: number, G: number): void {
  for (let b = 0; b < B; b++) {
    let run = 0;
    for (let t = 0; t < T; t++) {
      const r = t * B + b;
      run = gapFloorStep(run, m[r] !== 0, upstream === null || upstream[r] !== 0, G);
      if (run === 0) m[r] = 1;
    }
  }
}

/** θ a learned-pruning layer uses at evaluation when no threshold is set. */
export const DEFAULT_EVAL_THRESHOLD = 0.5;

/**
 * The part of a layer's frame rule that is set from outside (thresholds, gap floor, mask policy): an immutable
 * value; a change is a new object (SpikingLayer.setFramePolicy).
 */
export interface FramePolicy {
  /** overrides the threshold while set */
  readonly maskPolicy: MaskPolicy | null;
  /** θ_n; null = none */
  readonly threshold: number | null;
  /** causal gap floor G on threshold masks; null = off */
  readonly gapFloor: number | null;
}

/** The policy of a layer nothing has been set on: no mask policy, no threshold, no gap floor. */
export const NO_FRAME_POLICY: FramePolicy = Object.freeze({ maskPolicy: null, threshold: null, gapFloor: null });

/** How a layer decides its frames at evaluation: its policy and what its own options add. */
export interface FrameRule extends FramePolicy {
  /** θ when threshold is null: learned pruning's evalThreshold (default 0.5); null = keep all */
  readonly fallbackThreshold: number | null;
}

/** θ a rule thresholds d at: its own, else its fallback, else null (keep all). */
export function ruleThreshold(rule: FrameRule): number | null {
  return rule.threshold ?? rule.fallbackThreshold;
}

/**
 * m^n of one layer at evaluation (null = keep all): the layer 0 encoder keeps all; else the mask policy when set,
 * else θ on d (then the gap floor), else keep all. `name` labels a policy's wrong-sized answer.
 */
export function decideFrames(rule: FrameRule, input: MaskPolicyInput, name: string): Uint8Array | null {
  const { layer, scores, upstream, T, B } = input;
  if (layer === 0) return null;
  if (rule.maskPolicy !== null) {
    const m = rule.maskPolicy(input);
    if (m !== null && m.length !== T * B) {
      throw new Error(`${name}: mask policy returned ${m.length} entries, expected T·B = ${T * B}`);
    }
    return m;
  }
  const theta = ruleThreshold(rule);
  if (scores === null || theta === null) return null;
  const m = thresholdMask(scores, theta);
  if (rule.gapFloor !== null) applyGapFloor(m, upstream, T, B, rule.gapFloor);
  return m;
}

/** M^n = M^{n-1} ⊙ m^n, with null meaning all ones. */
export function combineMasks(upstream: Uint8Array | null, own: Uint8Array | null): Uint8Array | null {
  if (upstream === null) return own;
  if (own === null) return upstream;
  const m = new Uint8Array(own.length);
  for (let r = 0; r < m.length; r++) m[r] = upstream[r]! & own[r]!;
  return m;
}

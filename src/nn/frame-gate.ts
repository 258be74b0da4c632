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
 * Causal gap floor: per sample, walking forward in time, a frame that reached the layer (kept upstream) is forced
 * to run after G consecutive frames the layer did not compute — its own drops and frames dropped upstream alike
 * (the floor cannot bring those back). In place on m^n; `upstream` = M^{n-1}, null when nothing was dropped.
 */
export function applyGapFloor(m: Uint8Array, upstream: Uint8Array | null, T: number, B: number, G: number): void {
  for (let b = 0; b < B; b++) {
    let run = 0;
    for (let t = 0; t < T; t++) {
      const r = t * B + b;
      const upKept = upstream === null || upstream[r] !== 0;
      if (m[r] !== 0 && upKept) run = 0;
      else if (upKept && run >= G) {
        m[r] = 1;
        run = 0;
      } else run++;
    }
  }
}

/** M^n = M^{n-1} ⊙ m^n, with null meaning all ones. */
export function combineMasks(upstream: Uint8Array | null, own: Uint8Array | null): Uint8Array | null {
  if (upstream === null) return own;
  if (own === null) return upstream;
  const m = new Uint8Array(own.length);
  for (let r = 0; r < m.length; r++) m[r] = upstream[r]! & own[r]!;
  return m;
}

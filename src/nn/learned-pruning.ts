/**
 * Learned pruning ("binary" mode, method.md): in training a layer keeps frame r with probability d[r] (a Bernoulli
 * draw), the forward uses the binary mask alone (Ĩ = M ⊙ I) while gradients pass straight through to d, and a
 * keep-rate target λ(mean d − ρ)² pulls the mean score towards ρ.
 */
import type { Rng } from "../util/rng.js";

export interface LearnedPruningOptions {
  /** weight λ of the keep-rate target */
  lambda: number;
  /** target keep rate ρ */
  rho: number;
  /** θ used at evaluation when none is set (default DEFAULT_EVAL_THRESHOLD) */
  evalThreshold?: number;
}

/** m[r] = 1 with probability d[r] (one uniform draw per frame, in frame order). */
export function sampleKeepMask(d: Float32Array, rng: Rng): Uint8Array {
  const m = new Uint8Array(d.length);
  for (let r = 0; r < d.length; r++) m[r] = rng.uniform() < d[r]! ? 1 : 0;
  return m;
}

/** Straight-through weights: w[r] = M[r] (1 where M is null), so the forward sees the binary mask alone. */
export function straightThroughWeights(mask: Uint8Array | null, frames: number): Float32Array {
  const w = new Float32Array(frames);
  for (let r = 0; r < frames; r++) w[r] = mask === null ? 1 : mask[r]!;
  return w;
}

/** The keep-rate target λ(mean d − ρ)² of one layer's last forward: its value and its gradient w.r.t. d. */
export class KeepRateTarget {
  /** mean d − ρ of the last forward; 0 when it had no scores */
  private error = 0;

  constructor(private readonly opts: LearnedPruningOptions) {}

  /** Records the scores of a forward (null: no target this time). */
  observe(d: Float32Array | null): void {
    this.error = d === null ? 0 : d.reduce((a, v) => a + v, 0) / d.length - this.opts.rho;
  }

  /** λ(mean d − ρ)² of the last forward. */
  loss(): number {
    return this.opts.lambda * this.error * this.error;
  }

  /** gd[r] += ∂/∂d[r] of the target = 2λ(mean d − ρ)/N, in place. */
  addGradient(gd: Float32Array): void {
    const k = (2 * this.opts.lambda * this.error) / gd.length;
    for (let r = 0; r < gd.length; r++) gd[r] = gd[r]! + k;
  }
}

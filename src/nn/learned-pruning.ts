/** Learned pruning ("binary" mode, method.md): its settings (SpikingLayer applies them). */
export interface LearnedPruningOptions {
  /** weight λ of the keep-rate target */
  lambda: number;
  /** target keep rate ρ */
  rho: number;
  /** θ used at evaluation when none is set (default DEFAULT_EVAL_THRESHOLD) */
  evalThreshold?: number;
}

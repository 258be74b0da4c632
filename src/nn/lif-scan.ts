/**
 * A plain-TS LIF forward scan with the spike function as a parameter: with the surrogate's smooth function
 * (engine/reference-spike.ts surrogateSmooth) it is an exactly differentiable twin of the LIF for finite-difference
 * checks, whose backward is lifBackwardWithS. Also PLIF's decay gradient.
 *
 *   U[t] = H[t-1] + I[t];  S[t] = act(U[t] - vth);  H[t] = α R[t]
 *   R = vth·S + U·(1 - S) (soft, reference code)  or  U·(1 - S) (hard, paper)
 */
import type { ResetMode } from "../engine/api.js";

export interface ScanParams {
  t: number;
  n: number;
  alpha: number;
  vth: number;
  reset: ResetMode;
}

/** Reset term R given U and S. */
export function resetTerm(reset: ResetMode, vth: number, u: number, s: number): number {
  return reset === "soft" ? vth * s + u * (1 - s) : u * (1 - s);
}

/** Fills s and u [t, n] from current [t, n]. */
export function lifScanForward(
  current: ArrayLike<number>,
  s: Float32Array,
  u: Float32Array,
  p: ScanParams,
  act: (x: number) => number,
): void {
  const { t: T, n } = p;
  const h = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const k = t * n + i;
      const uu = h[i]! + current[k]!;
      const ss = act(uu - p.vth);
      u[k] = uu;
      s[k] = ss;
      h[i] = p.alpha * resetTerm(p.reset, p.vth, uu, ss);
    }
  }
}

/**
 * dL/dα = Σ_{t ≥ 1} dL/dH[t-1] · R[t-1], and dL/dH[t-1] = dL/dU[t] = gCurrent[t] (U[t] = H[t-1] + I[t]).
 */
export function decayGradient(
  gCurrent: ArrayLike<number>,
  u: ArrayLike<number>,
  s: ArrayLike<number>,
  p: ScanParams,
): number {
  let g = 0;
  const { t: T, n } = p;
  for (let t = 1; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const prev = (t - 1) * n + i;
      g += gCurrent[t * n + i]! * resetTerm(p.reset, p.vth, u[prev]!, s[prev]!);
    }
  }
  return g;
}

/**
 * Finite-difference gradient checks: compares an analytic gradient with central differences of a scalar loss at a
 * sample of entries. Used by the module tests; exported so other parts (custom modules) can check theirs.
 */
import type { Rng } from "../util/rng.js";

export interface GradCheckOptions {
  /** runs the forward pass on the current values and returns the scalar loss */
  loss: () => number;
  /** the array to perturb (in place; restored afterwards) */
  values: Float32Array;
  /** the analytic dL/dvalues from backward, taken before any perturbation */
  analytic: ArrayLike<number>;
  rng: Rng;
  /** step (default 1e-2: float32 forwards need a large one) */
  h?: number;
  /** entries checked (default 12, all when fewer) */
  samples?: number;
  /** only entries for which this holds are checked (e.g. away from kinks) */
  eligible?: (i: number) => boolean;
}

export interface GradCheckResult {
  /** max over checked entries of |analytic − numeric| / (atol + rtol·max(|analytic|, |numeric|)) with the given
   * tolerances; <= 1 means every entry agrees */
  worst: number;
  checked: number;
  /** the worst entry */
  index: number;
  analytic: number;
  numeric: number;
}

export function gradCheck(o: GradCheckOptions, atol = 1e-3, rtol = 2e-2): GradCheckResult {
  const h = o.h ?? 1e-2;
  const n = o.values.length;
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (!o.eligible || o.eligible(i)) candidates.push(i);
  o.rng.shuffle(candidates);
  const picked = candidates.slice(0, o.samples ?? 12);
  const result: GradCheckResult = { worst: 0, checked: 0, index: -1, analytic: 0, numeric: 0 };
  for (const i of picked) {
    const v = o.values[i]!;
    o.values[i] = v + h;
    const up = o.loss();
    o.values[i] = v - h;
    const down = o.loss();
    o.values[i] = v;
    const hp = Math.fround(v + h) - v;
    const hm = v - Math.fround(v - h);
    const numeric = (up - down) / (hp + hm);
    const a = o.analytic[i]!;
    const err = Math.abs(a - numeric) / (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)));
    result.checked++;
    if (err >= result.worst) Object.assign(result, { worst: err, index: i, analytic: a, numeric });
  }
  o.loss();
  return result;
}

/** L = Σ c_i y_i for fixed random weights c: its gradient w.r.t. y is c. */
export function randomProjection(n: number, rng: Rng): Float32Array {
  const c = new Float32Array(n);
  for (let i = 0; i < n; i++) c[i] = rng.normal();
  return c;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

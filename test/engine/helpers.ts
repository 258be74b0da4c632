// Shared test helpers for the engine: random arrays, closeness checks, finite differences.
import assert from "node:assert/strict";
import type { Rng } from "../../src/util/rng.js";

export function randF32(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Asserts |a - b| <= atol + rtol·|b| elementwise, naming the first bad index. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      assert.fail(`${what}: index ${i} of ${a.length}: got ${x}, expected ${y}`);
    }
  }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Central finite difference of a scalar loss with respect to `x[i]` for a sample of indices, compared to the
 * analytic gradient `g`. Tolerance is relative to the largest gradient magnitude (float32 rounding in the loss).
 */
export function checkGradient(
  what: string,
  x: Float32Array,
  g: ArrayLike<number>,
  loss: () => number,
  rng: Rng,
  opts: { samples?: number; h?: number; tol?: number } = {},
): void {
  const samples = Math.min(opts.samples ?? 24, x.length);
  const h = opts.h ?? 1e-2;
  const tol = opts.tol ?? 3e-3;
  let gmax = 1e-3;
  for (let i = 0; i < g.length; i++) gmax = Math.max(gmax, Math.abs(g[i]!));
  for (let s = 0; s < samples; s++) {
    const i = samples === x.length ? s : rng.int(x.length);
    const old = x[i]!;
    // the float32 array rounds old ± h: divide by the step actually taken
    x[i] = old + h;
    const xu = x[i]!;
    const up = loss();
    x[i] = old - h;
    const xd = x[i]!;
    const down = loss();
    x[i] = old;
    const fd = (up - down) / (xu - xd);
    if (Math.abs(fd - g[i]!) > tol * gmax) {
      assert.fail(`${what}: d/dx[${i}] finite difference ${fd}, analytic ${g[i]} (scale ${gmax})`);
    }
  }
}

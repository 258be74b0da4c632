import assert from "node:assert/strict";
import { test } from "node:test";
import type { LifParams, ResetMode, Surrogate } from "../../src/engine/api.js";
import {
  createSpikeList,
  lifBackwardWithS,
  spikeReferenceKernels as ref,
  surrogateGrad,
  surrogateSmooth,
} from "../../src/engine/reference-spike.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, listOf, randomF32 } from "./spike-harness.js";

const surrogates: Surrogate[] = ["rect", "sigmoid", "atan"];
const resets: ResetMode[] = ["soft", "hard"];

/** The method.md equations written out literally, step by step, in float32. */
function directLif(current: Float32Array, p: LifParams) {
  const f = Math.fround;
  const u = new Float32Array(p.t * p.n);
  const s = new Uint8Array(p.t * p.n);
  for (let i = 0; i < p.n; i++) {
    let h = 0;
    for (let t = 0; t < p.t; t++) {
      const U = f(h + current[t * p.n + i]!);
      const S = U > f(p.vth) ? 1 : 0;
      h = p.reset === "soft" ? f(f(p.alpha) * f(f(f(p.vth) * S) + f(U * (1 - S)))) : f(f(p.alpha) * f(U * (1 - S)));
      u[t * p.n + i] = U;
      s[t * p.n + i] = S;
    }
  }
  return { u, s };
}

test("lifForward matches a direct step-by-step LIF and fills the spike list", () => {
  const rng = new Rng(11);
  for (const reset of resets) {
    for (const [t, n, rowLen] of [
      [1, 1, 1],
      [7, 12, 4],
      [5, 13, 13],
      [9, 30, 6],
    ] as const) {
      const p: LifParams = { t, n, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset };
      const current = randomF32(rng, t * n, 0.4);
      const spikes = new Uint8Array(t * n);
      const u = new Float32Array(t * n);
      const list = createSpikeList((t * n) / rowLen, rowLen);
      ref.lifForward(current, spikes, u, p, list);
      const want = directLif(current, p);
      assert.deepEqual(spikes, want.s, `spikes ${reset} t=${t} n=${n}`);
      assert.deepEqual(u, want.u, `u ${reset} t=${t} n=${n}`);
      const wantList = listOf(want.s, list.rows, rowLen);
      assert.deepEqual(list.offsets, wantList.offsets);
      const total = list.offsets[list.rows]!;
      assert.deepEqual(list.idx.subarray(0, total), wantList.idx.subarray(0, total));
    }
  }
});

test("lifForward: a frame of zero current never fires; after a spike the soft reset leaves α·vth", () => {
  const p: LifParams = { t: 3, n: 2, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" };
  const current = Float32Array.from([1, 0.2, 0, 0, 0.28, 0]);
  const spikes = new Uint8Array(6);
  const u = new Float32Array(6);
  ref.lifForward(current, spikes, u, p);
  assert.deepEqual([...spikes], [1, 0, 0, 0, 1, 0]);
  assert.equal(u[2], Math.fround(Math.fround(0.3) * Math.fround(0.3)));
  assert.equal(u[3], Math.fround(Math.fround(0.3) * Math.fround(0.2)));
  const hard = { ...p, reset: "hard" as const };
  ref.lifForward(current, spikes, u, hard);
  assert.equal(u[2], 0);
  assert.equal(spikes[4], 0, "after a hard reset 0.28 alone stays below vth");
});

test("surrogate gradients are the derivatives of their smooth functions", () => {
  for (const kind of surrogates) {
    for (const a of [0.25, 0.5, 1]) {
      for (const x of [-0.7, -0.2, -0.01, 0.03, 0.1, 0.4]) {
        if (kind === "rect" && Math.abs(Math.abs(x) - a / 2) < 1e-3) continue;
        const eps = 1e-6;
        const fd = (surrogateSmooth(kind, a, x + eps) - surrogateSmooth(kind, a, x - eps)) / (2 * eps);
        assert.ok(Math.abs(fd - surrogateGrad(kind, a, x)) < 1e-5, `${kind} a=${a} x=${x}`);
      }
      assert.ok(Math.abs(surrogateGrad(kind, a, 0) - 1 / a) < 1e-12, `${kind} slope at 0 is 1/a`);
    }
  }
});

/** LIF forward with the surrogate's smooth function in place of the step, in float64: S is differentiable. */
function smoothLif(current: Float64Array, p: LifParams) {
  const u = new Float64Array(p.t * p.n);
  const s = new Float64Array(p.t * p.n);
  const h = new Float64Array(p.n);
  for (let t = 0; t < p.t; t++)
    for (let i = 0; i < p.n; i++) {
      const k = t * p.n + i;
      const U = h[i]! + current[k]!;
      const S = surrogateSmooth(p.surrogate, p.surrogateWidth, U - p.vth);
      h[i] = p.reset === "soft" ? p.alpha * (p.vth * S + U * (1 - S)) : p.alpha * U * (1 - S);
      u[k] = U;
      s[k] = S;
    }
  return { u, s };
}

test("lifBackward matches finite differences of the smooth-surrogate LIF (every surrogate and reset)", () => {
  const rng = new Rng(5);
  for (const surrogate of surrogates) {
    for (const reset of resets) {
      const p: LifParams = {
        t: 8,
        n: 5,
        alpha: 0.3 + 0.4 * rng.uniform(),
        vth: 0.3,
        surrogate,
        surrogateWidth: 0.5,
        reset,
      };
      const current = Float64Array.from({ length: p.t * p.n }, () => -0.2 + 0.8 * rng.uniform());
      const g = Float64Array.from({ length: p.t * p.n }, () => rng.normal());
      const loss = (c: Float64Array) => smoothLif(c, p).s.reduce((acc, v, k) => acc + v * g[k]!, 0);
      const fwd = smoothLif(current, p);
      const grad = new Float32Array(p.t * p.n);
      lifBackwardWithS(g, fwd.u, fwd.s, grad, p);
      let checked = 0;
      let nonZero = 0;
      for (let k = 0; k < current.length; k++) {
        const eps = 1e-6;
        const x0 = current[k]!;
        current[k] = x0 + eps;
        const lp = loss(current);
        current[k] = x0 - eps;
        const lm = loss(current);
        current[k] = x0;
        const l0 = loss(current);
        // A kink of the rectangle inside [x-eps, x+eps] makes one-sided slopes disagree: skip that element.
        if (Math.abs((lp - l0) / eps - (l0 - lm) / eps) > 1e-4 * (1 + Math.abs((lp - lm) / (2 * eps)))) continue;
        const fd = (lp - lm) / (2 * eps);
        assert.ok(
          Math.abs(grad[k]! - fd) < 1e-4 * (1 + Math.abs(fd)),
          `${surrogate}/${reset} k=${k}: ${grad[k]} vs FD ${fd}`,
        );
        checked++;
        if (Math.abs(fd) > 1e-3) nonZero++;
      }
      assert.ok(checked >= current.length - 2, `${surrogate}/${reset}: only ${checked} elements away from kinks`);
      assert.ok(nonZero >= current.length / 4, `${surrogate}/${reset}: gradient mostly zero, test too weak`);
    }
  }
});

test("lifBackward with binary spikes equals the smooth formula evaluated at S = step(U)", () => {
  const rng = new Rng(9);
  const p: LifParams = { t: 6, n: 7, alpha: 0.3, vth: 0.3, surrogate: "atan", surrogateWidth: 1, reset: "soft" };
  const current = randomF32(rng, p.t * p.n, 0.5);
  const spikes = new Uint8Array(p.t * p.n);
  const u = new Float32Array(p.t * p.n);
  ref.lifForward(current, spikes, u, p);
  const g = randomF32(rng, p.t * p.n);
  const viaKernel = new Float32Array(p.t * p.n);
  ref.lifBackward(g, u, spikes, viaKernel, p);
  // The reverse recursion written out by hand for the soft reset.
  const want = new Float64Array(p.t * p.n);
  for (let i = 0; i < p.n; i++) {
    let next = 0;
    for (let t = p.t - 1; t >= 0; t--) {
      const k = t * p.n + i;
      const sg = 1 / (1 + ((Math.PI * (u[k]! - p.vth)) / 1) ** 2);
      next = g[k]! * sg + next * p.alpha * ((p.vth - u[k]!) * sg + 1 - spikes[k]!);
      want[k] = next;
    }
  }
  assertClose(viaKernel, want, 1e-6, 1e-5, "lifBackward");
});

test("LIF kernels reject mismatched sizes with the field named", () => {
  const p: LifParams = { t: 2, n: 3, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" };
  assert.throws(() => ref.lifForward(new Float32Array(5), new Uint8Array(6), new Float32Array(6), p), /current/);
  assert.throws(
    () => ref.lifForward(new Float32Array(6), new Uint8Array(6), new Float32Array(6), p, createSpikeList(3, 2)),
    /rowLen 2 must divide n 3/,
  );
});

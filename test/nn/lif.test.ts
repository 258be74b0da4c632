import assert from "node:assert/strict";
import { test } from "node:test";
import type { LifParams, ResetMode, Surrogate } from "../../src/engine/api.js";
import { lifBackwardWithS } from "../../src/engine/reference-spike.js";
import { Lif } from "../../src/nn/lif.js";
import { lifScanForward } from "../../src/nn/lif-scan.js";
import { Rng } from "../../src/util/rng.js";
import { checkModuleGradients, ctxOf, randomSeq } from "./helpers.js";

const surrogates: Surrogate[] = ["rect", "sigmoid", "atan"];
const resets: ResetMode[] = ["soft", "hard"];

test("LIF smooth twin: BPTT through the reset matches finite differences (both resets, three surrogates)", () => {
  const rng = new Rng(21);
  for (const reset of resets) {
    for (const surrogate of surrogates) {
      const lif = new Lif({ alpha: 0.3, vth: 0.3, surrogate, surrogateWidth: 0.5, reset, smoothTwin: true });
      const x = randomSeq([6, 2, 5], rng, () => 0.4 * rng.normal() + 0.2);
      checkModuleGradients(lif, x, rng, { h: 1e-3, samples: 12 });
    }
  }
});

test("PLIF smooth twin: the decay gradient matches finite differences", () => {
  const rng = new Rng(22);
  for (const reset of resets) {
    const lif = new Lif({
      alpha: 0.4,
      vth: 0.3,
      surrogate: "sigmoid",
      surrogateWidth: 1,
      reset,
      plif: true,
      name: "l",
      smoothTwin: true,
    });
    assert.ok(Math.abs(lif.alpha() - 0.4) < 1e-6);
    assert.equal(lif.parameters()[0]!.name, "l.w");
    checkModuleGradients(
      lif,
      randomSeq([7, 2, 4], rng, () => 0.5 * rng.normal() + 0.2),
      rng,
      { h: 1e-3 },
    );
  }
});

test("LIF step version: spikes, spike lists and gradients equal a direct re-computation", () => {
  const rng = new Rng(23);
  for (const reset of resets) {
    for (const surrogate of surrogates) {
      const [T, B, F] = [9, 3, 7];
      const lif = new Lif({ alpha: 0.3, vth: 0.3, surrogate, surrogateWidth: 0.5, reset });
      const x = randomSeq([T, B, F], rng, () => 0.5 * rng.normal() + 0.15);
      const y = lif.forward(x, ctxOf());
      const p: LifParams = { t: T, n: B * F, alpha: 0.3, vth: 0.3, surrogate, surrogateWidth: 0.5, reset };
      const s = new Float32Array(T * B * F);
      const u = new Float32Array(T * B * F);
      lifScanForward(x.data, s, u, p, (v) => (v > 0 ? 1 : 0));
      assert.deepEqual(Array.from(y.data), Array.from(s), `${reset}/${surrogate} spikes`);
      const list = y.spikes!;
      for (let r = 0; r < T * B; r++) {
        const want: number[] = [];
        for (let i = 0; i < F; i++) if (s[r * F + i] === 1) want.push(i);
        assert.deepEqual(Array.from(list.idx.subarray(list.offsets[r]!, list.offsets[r + 1]!)), want);
      }
      const gy = randomSeq([T, B, F], rng);
      const g = lif.backward(gy, ctxOf());
      const want = new Float32Array(T * B * F);
      lifBackwardWithS(gy.data, u, s, want, p);
      for (let i = 0; i < want.length; i++) {
        assert.ok(
          Math.abs(g.data[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)),
          `${reset}/${surrogate} grad ${i}`,
        );
      }
    }
  }
});

test("LIF: a zero-current frame never spikes, and the state only decays across it", () => {
  const rng = new Rng(24);
  for (const reset of resets) {
    const [T, B, F] = [8, 2, 6];
    const lif = new Lif({ alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset });
    const x = randomSeq([T, B, F], rng, () => rng.uniform());
    const dropped = [2, 3, 6];
    for (const t of dropped) x.data.fill(0, t * B * F, (t + 1) * B * F);
    const y = lif.forward(x, ctxOf());
    for (const t of dropped) assert.ok(y.data.subarray(t * B * F, (t + 1) * B * F).every((v) => v === 0));
    // after two skipped frames, feeding I[4] to a state decayed by α² gives the same spikes at t = 4
    const p: LifParams = { t: T, n: B * F, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset };
    const s = new Float32Array(T * B * F);
    const u = new Float32Array(T * B * F);
    lifScanForward(x.data, s, u, p, (v) => (v > 0 ? 1 : 0));
    for (let i = 0; i < B * F; i++) {
      const h1 = 0.3 * (reset === "soft" ? (s[B * F + i] ? 0.3 : u[B * F + i]!) : s[B * F + i] ? 0 : u[B * F + i]!);
      const u4 = h1 * 0.3 * 0.3 + x.data[4 * B * F + i]!;
      assert.ok(Math.abs(u4 - u[4 * B * F + i]!) < 1e-5);
      assert.equal(y.data[4 * B * F + i], u4 > 0.3 ? 1 : 0);
    }
  }
});

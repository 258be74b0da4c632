// razorScores, razorSourceGrad and razorScoreGrad: the wasm kernels against their TS twins (bit for bit, any thread split), and
// the twins against the formulas written out with a dense descriptor row.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RazorSourceGrad } from "../../src/engine/api.js";
import { refRazorScoreGrad, refRazorScores, refRazorSourceGrad } from "../../src/engine/reference-razor.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";

function randomCase(rng: Rng, rows: number, C: number, K: number, hw: number): RazorSourceGrad {
  const fOffsets = new Int32Array(rows + 1);
  const fIdx: number[] = [];
  const fVal: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      if (rng.uniform() < 0.3) {
        fIdx.push(c);
        fVal.push(rng.uniform() * 2);
      }
    }
    fOffsets[r + 1] = fIdx.length;
  }
  const f64 = (n: number, f: () => number) => Float64Array.from({ length: n }, f);
  const norm = f64(rows, () => (rng.uniform() < 0.2 ? 0 : 0.1 + rng.uniform()));
  return {
    rows,
    channels: C,
    K,
    hw,
    active: Uint8Array.from({ length: rows }, () => (rng.uniform() < 0.8 ? 1 : 0)),
    gp: f64(rows * K, () => rng.normal()),
    norm,
    dot: f64(rows, () => rng.normal()),
    gAct: f64(rows, () => (rng.uniform() < 0.1 ? 0 : rng.normal() * 0.01)),
    fOffsets,
    fIdx: Int32Array.from(fIdx),
    fVal: Float64Array.from(fVal),
    eHatT: f64(C * K, () => rng.uniform()),
  };
}

test("razorSourceGrad: wasm equals the twin bit for bit (1 and 2 threads, every call split); the twin equals the formula", async () => {
  const rng = new Rng(51);
  const engines = [await createWasmEngine({ threads: 1 }), await createWasmEngine({ threads: 2, alwaysSplit: true })];
  try {
    for (const [rows, C, K, hw] of [
      [1, 1, 1, 1],
      [7, 5, 3, 4],
      [33, 20, 4, 1],
      [10, 9, 2, 9],
    ] as const) {
      const p = randomCase(rng, rows, C, K, hw);
      const gx0 = Float32Array.from({ length: rows * C * hw }, () => rng.normal());
      const want = gx0.slice();
      refRazorSourceGrad(p, want);
      // the formula with a dense descriptor row
      for (let r = 0; r < rows; r++) {
        const f = new Float64Array(C);
        for (let j = p.fOffsets[r]!; j < p.fOffsets[r + 1]!; j++) f[p.fIdx[j]!] = p.fVal[j]!;
        for (let c = 0; c < C; c++) {
          let h = 0;
          for (let k = 0; k < K; k++) h += p.gp[r * K + k]! * p.eHatT[c * K + k]!;
          const n = p.norm[r]!;
          const g = n > 0 ? (h - (f[c]! / n) * p.dot[r]!) / n + p.gAct[r]! : p.gAct[r]!;
          for (let i = 0; i < hw; i++) {
            const at = (r * C + c) * hw + i;
            const expect = p.active[r] ? Math.fround(gx0[at]! + g / hw) : gx0[at]!;
            assert.ok(Math.abs(want[at]! - expect) <= 1e-6 * (1 + Math.abs(expect)), `formula ${rows}x${C} at ${at}`);
          }
        }
      }
      for (const e of engines) {
        const inEngine = e.allocF32(gx0.length);
        inEngine.set(gx0);
        const plain = gx0.slice();
        e.razorSourceGrad(p, inEngine);
        e.razorSourceGrad(p, plain);
        assert.deepEqual(Array.from(inEngine), Array.from(want), `t${e.threads} ${rows}x${C}x${K}x${hw}`);
        assert.deepEqual(Array.from(plain), Array.from(want), `t${e.threads} staged ${rows}x${C}x${K}x${hw}`);
      }
    }
    // signed zeros: rows with zero coefficients and no activity gradient, negative dots, listed zeros, -0 in gx
    for (const hw of [1, 3]) {
      const z = randomCase(rng, 24, 12, 4, hw);
      for (let r = 0; r < 24; r++) {
        if (r % 2 === 0) z.gp.fill(0, 4 * r, 4 * r + 4);
        if (r % 3 === 0) z.gAct[r] = 0;
        if (r % 4 === 1) z.dot[r] = -Math.abs(z.dot[r]!);
      }
      for (let j = 0; j < z.fVal.length; j += 3) z.fVal[j] = 0;
      const gx0 = Float32Array.from({ length: 24 * 12 * hw }, (_, i) => (i % 2 ? -0 : rng.normal()));
      const want = gx0.slice();
      refRazorSourceGrad(z, want);
      for (const e of engines) {
        const got = gx0.slice();
        e.razorSourceGrad(z, got);
        const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer));
        assert.deepEqual(bits(got), bits(want), `t${e.threads} signed zeros, hw ${hw}`);
      }
    }
    const p = randomCase(rng, 3, 4, 2, 1);
    assert.throws(() => engines[0]!.razorSourceGrad(p, new Float32Array(5)), /razorSourceGrad: gx has 5 entries/);
    assert.throws(() => refRazorSourceGrad({ ...p, K: 0 }, new Float32Array(12)), /K must be a positive integer/);
    const unordered = { ...p, fOffsets: Int32Array.from([0, 2, 2, 2]), fIdx: Int32Array.from([3, 1]) };
    assert.throws(() => refRazorSourceGrad(unordered, new Float32Array(12)), /fIdx\[1\] = 1 out of order/);
    for (const e of engines)
      assert.throws(
        () => e.razorSourceGrad(unordered, new Float32Array(12)),
        /razorSourceGrad: fIdx\[1\] = 1 out of order/,
      );
  } finally {
    for (const e of engines) e.close();
  }
});

test("razorScoreGrad: wasm equals the twin bit for bit (1 and 2 threads, every call split); the twin equals the formula", async () => {
  const rng = new Rng(52);
  const engines = [await createWasmEngine({ threads: 1 }), await createWasmEngine({ threads: 2, alwaysSplit: true })];
  try {
    for (const [rows, C, K] of [
      [1, 1, 1],
      [7, 5, 3],
      [40, 20, 4],
      [10, 9, 2],
    ] as const) {
      const c = randomCase(rng, rows, C, K, 1);
      const on = Uint8Array.from(c.norm, (n) => (n > 0 && rng.uniform() < 0.8 ? 1 : 0));
      const p = { rows, channels: C, K, on, gp: c.gp, norm: c.norm, fOffsets: c.fOffsets, fIdx: c.fIdx, fVal: c.fVal };
      const q = { ...p, eHatT: c.eHatT };
      const g0 = Float64Array.from({ length: K * C }, () => rng.normal());
      const d0 = Float64Array.from({ length: rows }, () => rng.normal());
      const [gWant, dWant] = [g0.slice(), d0.slice()];
      refRazorScoreGrad(q, gWant, dWant);
      // the formulas with dense descriptor rows
      const gExpect = g0.slice();
      for (let r = 0; r < rows; r++) {
        const f = new Float64Array(C);
        for (let j = c.fOffsets[r]!; j < c.fOffsets[r + 1]!; j++) f[c.fIdx[j]!] = c.fVal[j]!;
        if (!on[r]) {
          assert.equal(dWant[r], d0[r], "an off frame's dot is left alone");
          continue;
        }
        let dot = 0;
        for (let ch = 0; ch < C; ch++) {
          let h = 0;
          for (let k = 0; k < K; k++) {
            h += c.gp[r * K + k]! * c.eHatT[ch * K + k]!;
            gExpect[k * C + ch]! += (c.gp[r * K + k]! * f[ch]!) / c.norm[r]!;
          }
          dot += (f[ch]! / c.norm[r]!) * h;
        }
        assert.ok(Math.abs(dWant[r]! - dot) <= 1e-12 * (1 + Math.abs(dot)), `dot ${rows}x${C} frame ${r}`);
      }
      for (let i = 0; i < gExpect.length; i++)
        assert.ok(
          Math.abs(gWant[i]! - gExpect[i]!) <= 1e-12 * (1 + Math.abs(gExpect[i]!)),
          `gEHat ${rows}x${C} at ${i}`,
        );
      for (const e of engines) {
        const [g, d] = [g0.slice(), d0.slice()];
        e.razorScoreGrad(q, g, d);
        assert.deepEqual(Array.from(g), Array.from(gWant), `gEHat t${e.threads} ${rows}x${C}x${K}`);
        assert.deepEqual(Array.from(d), Array.from(dWant), `dot t${e.threads} ${rows}x${C}x${K}`);
        const alone = g0.slice();
        e.razorScoreGrad(q, alone, null);
        assert.deepEqual(Array.from(alone), Array.from(gWant), `gEHat without dots t${e.threads}`);
      }
    }
    const c = randomCase(rng, 3, 4, 2, 1);
    const q = { ...c, on: new Uint8Array(3) };
    assert.throws(
      () => engines[0]!.razorScoreGrad(q, new Float64Array(5), null),
      /razorScoreGrad: gEHat has 5 entries/,
    );
    assert.throws(() => refRazorScoreGrad({ ...q, on: new Uint8Array(2) }, new Float64Array(8), null), /on has 2/);
  } finally {
    for (const e of engines) e.close();
  }
});

test("razorScores: wasm equals the twin bit for bit (1 and 2 threads, every call split); the twin equals the formula", async () => {
  const rng = new Rng(53);
  const engines = [await createWasmEngine({ threads: 1 }), await createWasmEngine({ threads: 2, alwaysSplit: true })];
  const outputs = (rows: number, K: number) => ({
    norm: new Float64Array(rows),
    p: new Float64Array(rows * K),
    alpha: new Float64Array(rows * K),
    s: new Float64Array(rows),
    act: new Float64Array(rows),
    d: new Float32Array(rows),
  });
  try {
    for (const [rows, C, K] of [
      [1, 1, 1],
      [9, 5, 3],
      [40, 20, 4],
    ] as const) {
      const c = randomCase(rng, rows, C, K, 1);
      const eHat = Float64Array.from({ length: K * C }, () => rng.uniform());
      const p = { rows, channels: C, K, tau: 0.1 + rng.uniform(), gamma: 5, eta: 1, beta: -0.5, eps: 1e-3 };
      const q = { ...p, fOffsets: c.fOffsets, fIdx: c.fIdx, fVal: c.fVal, eHat };
      const want = outputs(rows, K);
      refRazorScores(q, want);
      for (let r = 0; r < rows; r++) {
        const f = new Float64Array(C);
        for (let j = c.fOffsets[r]!; j < c.fOffsets[r + 1]!; j++) f[c.fIdx[j]!] = c.fVal[j]!;
        const norm = Math.hypot(...f);
        const pk = Array.from({ length: K }, (_, k) =>
          norm > 0 ? f.reduce((a, v, ch) => a + v * eHat[k * C + ch]!, 0) / norm : 0,
        );
        const ex = pk.map((v) => Math.exp(v / p.tau));
        const s = ex.reduce((a, v, k) => a + (v / ex.reduce((x, y) => x + y, 0)) * pk[k]!, 0);
        const act = f.reduce((a, v) => a + v, 0) / C;
        const d = 1 / (1 + Math.exp(-(p.gamma * s + p.eta * Math.log(p.eps + act) + p.beta)));
        const close = (a: number, b: number, what: string) =>
          assert.ok(Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b)), `${what} ${rows}x${C} frame ${r}: ${a} vs ${b}`);
        close(want.norm[r]!, norm, "norm");
        for (let k = 0; k < K; k++) close(want.p[r * K + k]!, pk[k]!, "p");
        close(want.s[r]!, s, "s");
        close(want.act[r]!, act, "act");
        close(want.d[r]!, Math.fround(d), "d");
      }
      for (const e of engines) {
        const got = outputs(rows, K);
        e.razorScores(q, got);
        for (const k of Object.keys(want) as (keyof typeof want)[])
          assert.deepEqual(Array.from(got[k]), Array.from(want[k]), `${k} t${e.threads} ${rows}x${C}x${K}`);
      }
    }
    const c = randomCase(rng, 3, 4, 2, 1);
    const bad = {
      rows: 3,
      channels: 4,
      K: 2,
      tau: 0.1,
      gamma: 5,
      eta: 1,
      beta: 0,
      eps: 1e-3,
      eHat: new Float64Array(8),
    };
    const unordered = { ...bad, fOffsets: Int32Array.from([0, 2, 2, 2]), fIdx: Int32Array.from([3, 1]), fVal: c.fVal };
    for (const e of engines)
      assert.throws(() => e.razorScores(unordered, outputs(3, 2)), /razorScores: fIdx\[1\] = 1 out of order/);
    const ordered = { ...unordered, fIdx: Int32Array.from([1, 3]), tau: Number.NaN };
    assert.throws(() => refRazorScores(ordered, outputs(3, 2)), /razorScores: tau must be finite, got NaN/);
  } finally {
    for (const e of engines) e.close();
  }
});

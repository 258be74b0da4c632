import assert from "node:assert/strict";
import { test } from "node:test";
import type { MaskPolicyInput } from "../../src/nn/frame-gate.js";
import { Lif } from "../../src/nn/lif.js";
import type { Seq } from "../../src/nn/module.js";
import { RAZOR_DEFAULTS } from "../../src/nn/razor.js";
import type { SpikingLayerOptions } from "../../src/nn/layer-options.js";
import { SpikingLayer } from "../../src/nn/spiking-layer.js";
import { Rng } from "../../src/util/rng.js";
import { checkModuleGradients, ctxOf, randomSeq } from "./helpers.js";

const smoothLif = {
  alpha: 0.3,
  vth: 0.3,
  surrogate: "sigmoid",
  surrogateWidth: 1,
  reset: "soft",
  smoothTwin: true,
} as const;
const stepLif = { alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" } as const;

function makeLayer(over: Partial<SpikingLayerOptions> = {}, seed = 1): SpikingLayer {
  return new SpikingLayer({
    name: "layers.1",
    index: 1,
    inShape: [3, 6, 6],
    T: 4,
    kind: "conv",
    out: 4,
    bn: true,
    pool: { type: "avg", kernel: 2 },
    gate: "razor",
    razor: { ...RAZOR_DEFAULTS, K: 2 },
    lif: smoothLif,
    inputGrad: true,
    rng: new Rng(seed),
    ...over,
  });
}

function spikes(shape: number[], density: number, rng: Rng): Seq {
  return randomSeq(shape, rng, () => (rng.uniform() < density ? 1 : 0));
}

test("spiking layer (smooth twin): gradients through conv, BN, pool, Razor and LIF match finite differences", () => {
  const rng = new Rng(41);
  const cases: Partial<SpikingLayerOptions>[] = [
    {},
    { kind: "fc", inShape: [3, 2, 2], gate: "ta", ta: { r: 2 }, T: 5, pool: null, dropout: 0.3, index: 2 },
    { kind: "fc", inShape: [6], gate: "razor", razor: { ...RAZOR_DEFAULTS, window: 2 }, pool: null, bn: false },
    { gate: "none", pool: { type: "max", kernel: 2 }, index: 0, inputGrad: false },
  ];
  for (const c of cases) {
    const layer = makeLayer(c);
    const T = c.T ?? 4;
    const x = randomSeq([T, 2, ...layer.opts.inShape], rng, () => 0.05 + rng.uniform());
    checkModuleGradients(layer, x, rng, {
      h: 3e-3,
      atol: 3e-3,
      rtol: 3e-2,
      skipInput: c.inputGrad === false,
      ctx: () => ctxOf(true, 3),
    });
    layer.dispose();
  }
});

test("masked layer: Ĩ = M ⊙ d ⊙ I exactly, dropped frames silent, hierarchical M^n = M^{n-1} ⊙ m^n", () => {
  const rng = new Rng(42);
  const layer = makeLayer({ lif: stepLif });
  const [T, B] = [4, 3];
  const x = spikes([T, B, 3, 6, 6], 0.3, rng);
  for (let b = 0; b < B; b++) x.data.fill(0, (2 * B + b) * 108, (2 * B + b) * 108 + 100); // a quiet frame
  const upstream = Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0]);
  x.mask = upstream;
  layer.forward(x, ctxOf(false));
  const d = Float32Array.from(layer.lastScores()!);
  const sorted = Array.from(d).sort((a, b) => a - b);
  const theta = sorted[6]!;
  layer.setFramePolicy({ threshold: theta });
  const y = layer.forward(x, ctxOf(false));
  const out = Float32Array.from(y.data);
  const M = layer.lastMask()!;
  const own = layer.lastLayerMask()!;
  for (let r = 0; r < T * B; r++) {
    assert.equal(own[r], d[r]! >= theta ? 1 : 0);
    assert.equal(M[r], upstream[r]! & own[r]!);
  }
  assert.equal(y.mask, M);
  // recompute by hand: I from the layer's own conv / BN / pool, then a fresh LIF on M ⊙ d ⊙ I
  const ctx = ctxOf(false);
  const I = layer.poolOp!.forward(layer.bn!.forward(layer.synapse.forward(x, ctx), ctx), ctx);
  const f = I.data.length / (T * B);
  const cur = new Float32Array(I.data.length);
  for (let r = 0; r < T * B; r++) for (let i = 0; i < f; i++) cur[r * f + i] = M[r]! * d[r]! * I.data[r * f + i]!;
  const want = new Lif(stepLif).forward({ data: cur, shape: I.shape }, ctx);
  assert.deepEqual(Array.from(out), Array.from(want.data));
  for (let r = 0; r < T * B; r++) {
    if (M[r] === 0) assert.ok(out.subarray(r * f, (r + 1) * f).every((v) => v === 0));
  }
  const counts = layer.counts();
  assert.equal(
    counts.framesExecuted,
    M.reduce((a, v) => a + v, 0),
  );
  assert.ok(counts.framesExecuted < T * B && counts.framesExecuted > 0);
  // θ = 0 keeps every frame with its soft weight: the unthresholded model
  layer.setFramePolicy({ threshold: 0 });
  const atZero = Float32Array.from(layer.forward({ data: x.data, shape: x.shape }, ctx).data);
  layer.setFramePolicy({ threshold: null });
  const free = layer.forward({ data: x.data, shape: x.shape }, ctx).data;
  assert.deepEqual(Array.from(atZero), Array.from(free));
});

test("mask policy: sees layer, scores, input activity, upstream mask, T and B; its mask is applied", () => {
  const rng = new Rng(43);
  const [T, B] = [4, 2];
  const seen: MaskPolicyInput[] = [];
  const policy = (p: MaskPolicyInput) => {
    seen.push(p);
    return Uint8Array.from({ length: p.T * p.B }, (_, r) => (Math.floor(r / p.B) % 2 === 0 ? 1 : 0));
  };
  for (const gate of ["none", "ta", "razor"] as const) {
    seen.length = 0;
    const layer = makeLayer({ gate, lif: stepLif, ta: { r: 2 } });
    layer.setFramePolicy({ maskPolicy: policy });
    const x = spikes([T, B, 3, 6, 6], 0.2, rng);
    layer.forward(x, ctxOf(false));
    assert.equal(seen.length, 1);
    const p = seen[0]!;
    assert.equal(p.layer, 1);
    assert.equal(p.T, T);
    assert.equal(p.B, B);
    assert.equal(p.upstream, null);
    assert.equal(p.scores === null, gate === "none");
    for (let r = 0; r < T * B; r++) {
      const n = x.data.subarray(r * 108, (r + 1) * 108).reduce((a, v) => a + v, 0);
      assert.equal(p.activity[r], n);
    }
    assert.deepEqual(Array.from(layer.lastMask()!), [1, 1, 0, 0, 1, 1, 0, 0]);
    layer.setFramePolicy({ maskPolicy: () => new Uint8Array(3) });
    assert.throws(() => layer.forward(x, ctxOf(false)), /expected T·B = 8/);
  }
  const encoder = makeLayer({ index: 0, gate: "none", inputGrad: false, lif: stepLif });
  encoder.setFramePolicy({ maskPolicy: policy });
  seen.length = 0;
  encoder.forward(spikes([T, B, 3, 6, 6], 0.2, rng), ctxOf(false));
  assert.equal(seen.length, 0);
  assert.equal(encoder.lastMask(), null);
});

test("learned pruning: binary masks (sampled in training, d >= 0.5 in eval), Ĩ = M ⊙ I, keep-rate loss", () => {
  const rng = new Rng(44);
  const lp = { lambda: 2, rho: 0.3, evalThreshold: 0.5 };
  const layer = makeLayer({ lif: stepLif, learnedPruning: lp, razor: { ...RAZOR_DEFAULTS, betaInit: 2 } });
  const [T, B] = [4, 3];
  const x = spikes([T, B, 3, 6, 6], 0.3, rng);
  layer.forward(x, ctxOf(true, 5));
  const d = layer.lastScores()!;
  const mean = d.reduce((a, v) => a + v, 0) / d.length;
  assert.ok(Math.abs(layer.auxLoss() - 2 * (mean - 0.3) ** 2) < 1e-6);
  assert.ok(layer.lastMask()!.every((v) => v === 0 || v === 1));
  const ctx = ctxOf(false);
  const y = Float32Array.from(layer.forward(x, ctx).data);
  const M = layer.lastMask()!;
  const dEval = layer.lastScores()!;
  for (let r = 0; r < T * B; r++) assert.equal(M[r], dEval[r]! >= 0.5 ? 1 : 0);
  const I = layer.poolOp!.forward(layer.bn!.forward(layer.synapse.forward(x, ctx), ctx), ctx);
  const f = I.data.length / (T * B);
  const cur = Float32Array.from(I.data, (v, i) => v * M[Math.floor(i / f)]!);
  assert.deepEqual(Array.from(y), Array.from(new Lif(stepLif).forward({ data: cur, shape: I.shape }, ctx).data));
  // the keep-rate term reaches β: with the LIF gradient zero, dL/dβ = Σ_r 2λ(mean d − ρ)/N · d(1 − d)
  layer.forward(x, ctxOf(true, 5));
  for (const p of layer.parameters()) p.grad.fill(0);
  const dT = layer.lastScores()!;
  const meanT = dT.reduce((a, v) => a + v, 0) / dT.length;
  layer.backward({ data: new Float32Array(T * B * 4 * 3 * 3), shape: [T, B, 4, 3, 3] }, ctxOf(true));
  const want = dT.reduce((a, v) => a + ((2 * 2 * (meanT - 0.3)) / dT.length) * v * (1 - v), 0);
  const beta = layer.parameters().find((p) => p.name.endsWith("razor.beta"))!;
  assert.ok(Math.abs(beta.grad[0]! - want) < 1e-6, `${beta.grad[0]} vs ${want}`);
});

test("frame policy: an immutable value; setFramePolicy makes a new one with the given fields replaced", () => {
  const layer = makeLayer({ lif: stepLif, learnedPruning: { lambda: 1, rho: 0.5, evalThreshold: 0.7 } });
  const before = layer.framePolicy;
  assert.deepEqual({ ...before }, { maskPolicy: null, threshold: null, gapFloor: null });
  assert.ok(Object.isFrozen(before));
  assert.throws(() => {
    (before as { threshold: number | null }).threshold = 0.2;
  }, TypeError);
  layer.setFramePolicy({ threshold: 0.4 });
  layer.setFramePolicy({ gapFloor: 2 });
  assert.equal(before.threshold, null);
  assert.deepEqual({ ...layer.framePolicy }, { maskPolicy: null, threshold: 0.4, gapFloor: 2 });
  assert.ok(Object.isFrozen(layer.framePolicy));
  assert.deepEqual(layer.frameRule(), { maskPolicy: null, threshold: 0.4, gapFloor: 2, fallbackThreshold: 0.7 });
  layer.dispose();
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { applyGapFloor, combineMasks, type FrameScorer, thresholdMask } from "../../src/nn/frame-gate.js";
import type { Buffer, Context, Module, Param, Seq } from "../../src/nn/module.js";
import { RAZOR_DEFAULTS, RazorScorer } from "../../src/nn/razor.js";
import { TemporalAttention } from "../../src/nn/temporal-attention.js";
import { Rng } from "../../src/util/rng.js";
import { checkModuleGradients, ctxOf, randomSeq } from "./helpers.js";

/** Presents a scorer as a module x -> d [T, B] so the generic gradient check applies. */
class ScoreModule implements Module {
  private shape: number[] = [];
  constructor(readonly scorer: FrameScorer) {}
  forward(x: Seq, ctx: Context): Seq {
    this.shape = x.shape;
    return { data: Float32Array.from(this.scorer.score(x, ctx)), shape: x.shape.slice(0, 2) };
  }
  backward(gy: Seq, _ctx: Context): Seq {
    const gx = new Float32Array(this.shape.reduce((a, b) => a * b, 1));
    this.scorer.backward(gy.data, gx);
    return { data: gx, shape: this.shape };
  }
  parameters(): Param[] {
    return this.scorer.parameters();
  }
  buffers(): Buffer[] {
    return [];
  }
}

function razor(channels: number, over: Partial<typeof RAZOR_DEFAULTS> = {}, seed = 1): RazorScorer {
  return new RazorScorer({ ...RAZOR_DEFAULTS, ...over, name: "razor", channels, rng: new Rng(seed) });
}

test("Razor: gradients w.r.t. input, embeddings, γ, η, β and log τ match finite differences", () => {
  const rng = new Rng(31);
  for (const [w, K, shape] of [
    [1, 4, [5, 2, 3, 2, 2]],
    [3, 2, [6, 2, 4]],
    [2, 1, [4, 3, 5, 1, 3]],
  ] as const) {
    const m = new ScoreModule(razor(shape[2], { window: w, K, learnTau: true, gammaInit: 2, tau: 0.5 }));
    const x = randomSeq([...shape], rng, () => 0.05 + rng.uniform());
    checkModuleGradients(m, x, rng, { h: 1e-3, samples: 12 });
  }
});

test("Razor: scores from an event list (a position listed once per event) equal those from the dense counts", () => {
  const rng = new Rng(36);
  const ref = createReferenceEngine();
  for (const shape of [
    [4, 3, 6],
    [3, 2, 5, 2, 2],
  ]) {
    const [T, B] = shape as [number, number];
    const x = randomSeq(shape, rng, () => (rng.uniform() < 0.4 ? 1 + rng.int(3) : 0));
    const rowLen = x.data.length / (T * B);
    const list = { rows: T * B, rowLen, idx: new Int32Array(x.data.length * 4), offsets: new Int32Array(T * B + 1) };
    assert.equal(ref.eventIndices(x.data, list, x.data.length * 4), true);
    for (const window of [1, 2]) {
      const dense = Float32Array.from(razor(shape[2]!, { window }).score(x, ctxOf()));
      const listed = razor(shape[2]!, { window }).score({ ...x, spikes: list }, ctxOf());
      assert.deepEqual(Array.from(listed), Array.from(dense), `${shape} w=${window}`);
    }
  }
});

test("Razor: masked upstream frames count as zero input and get zero gradient", () => {
  const rng = new Rng(32);
  const m = new ScoreModule(razor(3, { window: 2 }));
  const x = randomSeq([5, 2, 3], rng, () => 0.1 + rng.uniform());
  x.mask = Uint8Array.from([1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
  checkModuleGradients(m, x, rng, { h: 1e-3, samples: 20 });
  const zeroed = { data: Float32Array.from(x.data), shape: x.shape };
  for (const r of [2, 5]) zeroed.data.fill(0, r * 3, (r + 1) * 3);
  const a = Float32Array.from(m.forward(x, ctxOf()).data);
  const b = m.forward(zeroed, ctxOf()).data;
  assert.deepEqual(Array.from(a), Array.from(b));
});

test("Razor: an empty descriptor scores sigmoid(η log ε + β) with a zero normalisation gradient, no NaN", () => {
  const rng = new Rng(33);
  const scorer = razor(4, { etaInit: 0 });
  const x = randomSeq([3, 2, 4], rng, () => rng.uniform());
  x.data.fill(0, 8, 12); // frame r = 2 (t = 1, b = 0) is empty
  const d = scorer.score(x, ctxOf());
  assert.ok(Math.abs(d[2]! - 0.5) < 1e-7); // η = 0, β = 0
  const gx = new Float32Array(x.data.length);
  scorer.backward(new Float32Array(6).fill(1), gx);
  assert.ok(gx.every(Number.isFinite));
  assert.deepEqual(Array.from(gx.subarray(8, 12)), [0, 0, 0, 0]);
  const withActivity = razor(4, { activityEps: 1e-3, betaInit: 0.5 });
  const d2 = withActivity.score(x, ctxOf());
  assert.ok(Math.abs(d2[2]! - 1 / (1 + Math.exp(-(Math.log(1e-3) + 0.5)))) < 1e-6);
});

test("Razor: causal windowed scores (a frame changes only its own and the next w-1 scores)", () => {
  const rng = new Rng(34);
  const [T, B, C] = [7, 2, 3];
  const scorer = razor(C, { window: 3 });
  const x = randomSeq([T, B, C], rng, () => rng.uniform());
  const before = Float32Array.from(scorer.score(x, ctxOf()));
  x.data[(3 * B + 1) * C + 1] = x.data[(3 * B + 1) * C + 1]! + 0.7; // t = 3, b = 1
  const after = scorer.score(x, ctxOf());
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const changed = before[t * B + b] !== after[t * B + b];
      assert.equal(changed, b === 1 && t >= 3 && t <= 5, `t ${t} b ${b}`);
    }
  }
});

test("Razor: embeddings start in the positive orthant; every parameter trains at lrScale 10", () => {
  const s = razor(16, { K: 4, learnTau: true });
  assert.ok(s.embeddings.value.every((v) => v >= 0));
  assert.deepEqual(s.embeddings.shape, [4, 16]);
  assert.deepEqual(
    s.parameters().map((p) => [p.name, p.lrScale]),
    [
      ["razor.embeddings", 10],
      ["razor.gamma", 10],
      ["razor.eta", 10],
      ["razor.beta", 10],
      ["razor.log_tau", 10],
    ],
  );
  assert.equal(s.gamma.value[0], 5);
  assert.equal(s.eta.value[0], 1);
  assert.throws(() => razor(4, { K: 0 }), /K must be an integer >= 1/);
});

test("Razor: data init puts the embeddings on clusters of the first training batch", () => {
  const rng = new Rng(35);
  const s = razor(2, { K: 2, init: "data" });
  // two kinds of frames: channel 0 active or channel 1 active
  const x = randomSeq([10, 2, 2], rng, () => 0);
  for (let r = 0; r < 20; r++) x.data[r * 2 + (r % 2)] = 0.5 + rng.uniform();
  s.score(x, ctxOf(true));
  const rows = [Array.from(s.embeddings.value.subarray(0, 2)), Array.from(s.embeddings.value.subarray(2, 4))];
  rows.sort((a, b) => b[0]! - a[0]!);
  assert.deepEqual(
    rows.map((r) => r.map((v) => Math.round(v))),
    [
      [1, 0],
      [0, 1],
    ],
  );
});

test("TA: gradients w.r.t. the current and the MLP match finite differences; T must match", () => {
  const rng = new Rng(36);
  const ta = new TemporalAttention({ name: "ta", T: 10, r: 3, rng });
  assert.equal(ta.hidden, 3);
  checkModuleGradients(new ScoreModule(ta), randomSeq([10, 3, 2, 2, 2], rng), rng, { h: 1e-3 });
  assert.throws(() => ta.score(randomSeq([9, 3, 4], rng), ctxOf()), /built for T = 10/);
  assert.deepEqual(
    ta.parameters().map((p) => [p.name, p.shape]),
    [
      ["ta.fc1.weight", [3, 10]],
      ["ta.fc1.bias", [3]],
      ["ta.fc2.weight", [10, 3]],
      ["ta.fc2.bias", [10]],
    ],
  );
});

test("frame masks: threshold, causal gap floor, hierarchical combination", () => {
  const d = Float32Array.from([0.1, 0.9, 0.5, 0.49]);
  assert.deepEqual(Array.from(thresholdMask(d, 0.5)), [0, 1, 1, 0]);
  // T = 7, B = 1: at most G = 2 dropped in a row
  const m = Uint8Array.from([0, 0, 0, 0, 1, 0, 0]);
  applyGapFloor(m, null, 7, 1, 2);
  assert.deepEqual(Array.from(m), [0, 0, 1, 0, 1, 0, 0]);
  // B = 2 interleaved: samples are independent
  const m2 = Uint8Array.from([0, 1, 0, 0, 0, 0]);
  applyGapFloor(m2, null, 3, 2, 1);
  assert.deepEqual(Array.from(m2), [0, 1, 1, 0, 0, 1]);
  // frames dropped upstream count as not computed; the floor keeps the next frame that reached the layer
  const m3 = Uint8Array.from([0, 0, 0, 0, 0]);
  applyGapFloor(m3, Uint8Array.from([1, 0, 0, 1, 1]), 5, 1, 2);
  assert.deepEqual(Array.from(m3), [0, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(combineMasks(Uint8Array.from([1, 0, 1]), Uint8Array.from([1, 1, 0]))!), [1, 0, 0]);
  assert.equal(combineMasks(null, null), null);
});

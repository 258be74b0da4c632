import assert from "node:assert/strict";
import { test } from "node:test";
import "../../src/engine/index.js";
import { EfficiencyMeter } from "../../src/infer/efficiency.js";
import { controlPolicy, thresholdPolicy, topKPolicy } from "../../src/experiments/mask-policies.js";
import { applyGapFloor } from "../../src/nn/frame-gate.js";
import type { MaskPolicyInput } from "../../src/nn/frame-gate.js";
import { sweepSvg } from "../../src/experiments/sweep-plot.js";
import {
  chooseThresholds,
  layerRates,
  runPolicy,
  thresholdForDrops,
  thresholdSweep,
} from "../../src/experiments/sweep.js";
import { train } from "../../src/train/trainer.js";
import { Rng } from "../../src/util/rng.js";
import { SyntheticData } from "../train/synthetic-data.js";
import { TinyModel } from "../train/tiny-model.js";

const noSink = { saveEpoch() {}, log() {}, loadState: () => null };

async function trainedTiny(): Promise<{ model: TinyModel; val: SyntheticData; test: SyntheticData }> {
  const model = new TinyModel(12, 8, 3);
  const trainSet = new SyntheticData(48, 8, 12, 3, 21);
  const val = new SyntheticData(30, 8, 12, 3, 22);
  await train(
    model,
    trainSet,
    val,
    { epochs: 5, batchSize: 8, lr: 0.05, loss: "mse", seed: 3, threads: 1, progress: false },
    noSink,
  );
  return { model, val, test: new SyntheticData(30, 8, 12, 3, 23) };
}

function input(t: number, b: number, seed: number, upstream: Uint8Array | null = null): MaskPolicyInput {
  const rng = new Rng(seed);
  return {
    layer: 1,
    scores: Float32Array.from({ length: t * b }, () => rng.uniform()),
    activity: Float32Array.from({ length: t * b }, () => rng.int(20)),
    upstream,
    T: t,
    B: b,
  };
}

const ones = (n: number): Uint8Array => new Uint8Array(n).fill(1);
const dropped = (m: Uint8Array | null, up: Uint8Array | null = null): number =>
  (m ?? ones(up?.length ?? 0)).reduce((s, v, i) => s + (v === 0 || (up !== null && up[i] === 0) ? 1 : 0), 0);

test("controls drop exactly the target share, counting frames dropped upstream", () => {
  const up = Uint8Array.from({ length: 7 * 3 }, (_, i) => (i % 5 === 0 ? 0 : 1)); // 5 of 21 dropped upstream
  for (const name of ["random", "stride", "gate"] as const) {
    for (const rate of [0, 0.3, 0.5, 0.95]) {
      const inp = input(7, 3, 4, up);
      const m = controlPolicy(name, [0, rate], new Rng(1))(inp);
      assert.equal(dropped(m, up), Math.max(5, Math.round(rate * 21)), `${name} at ${rate}`);
    }
  }
  // the gate drops the least active frames
  const inp = input(10, 2, 5);
  const m = controlPolicy("gate", [0, 0.5], new Rng(1))(inp)!;
  const keptMin = Math.min(...[...inp.activity].filter((_, i) => m[i] === 1));
  const dropMax = Math.max(...[...inp.activity].filter((_, i) => m[i] === 0));
  assert.ok(dropMax <= keptMin);
  // the stride spreads drops evenly along each sample: every other frame at 50 %
  const s = controlPolicy("stride", [0, 0.5], new Rng(1))(input(8, 1, 6))!;
  assert.deepEqual([...s], [1, 0, 1, 0, 1, 0, 1, 0]);
  // random depends on the seed only
  const r1 = controlPolicy("random", [0, 0.4], new Rng(9))(input(9, 2, 7));
  const r2 = controlPolicy("random", [0, 0.4], new Rng(9))(input(9, 2, 7));
  assert.deepEqual(r1, r2);
});

test("threshold mask, causal gap floor and per-sample top-k", () => {
  const inp = input(12, 2, 8);
  const m = thresholdPolicy([null, 0.6])(inp)!;
  for (let i = 0; i < m.length; i++) assert.equal(m[i], inp.scores![i]! >= 0.6 ? 1 : 0);
  const g = thresholdPolicy([null, 2], 2)(inp)!; // θ above every score: only the floor keeps frames
  for (let s = 0; s < 2; s++) {
    const seq = Array.from({ length: 12 }, (_, t) => g[t * 2 + s]);
    assert.deepEqual(seq, [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
  }
  const floorOnly = new Uint8Array(6);
  applyGapFloor(floorOnly, Uint8Array.of(1, 1, 0, 0, 1, 1), 6, 1, 1);
  assert.deepEqual([...floorOnly], [0, 1, 0, 0, 1, 0]);
  const k = topKPolicy(0.25)(inp)!;
  for (let s = 0; s < 2; s++) {
    const frames = Array.from({ length: 12 }, (_, t) => t * 2 + s);
    const kept = frames.filter((i) => k[i] === 1);
    assert.equal(kept.length, 3);
    const minKept = Math.min(...kept.map((i) => inp.scores![i]!));
    assert.ok(frames.filter((i) => k[i] === 0).every((i) => inp.scores![i]! <= minKept));
  }
});

test("chosen thresholds reach the target per-layer drop rate hierarchically", async () => {
  const { model } = await trainedTiny();
  // dense background noise: few tied scores, so every rate is reachable
  const val = new SyntheticData(30, 8, 12, 3, 24, 0.3);
  for (const rate of [0.2, 0.5]) {
    const thetas = await chooseThresholds(model, val, rate, 16);
    assert.equal(thetas[0] ?? null, null, "the encoder has no threshold");
    const run = await runPolicy(model, val, thresholdPolicy(thetas), 16);
    for (const d of run.dropPerLayer.slice(1))
      assert.ok(Math.abs(d - rate) < 0.02, `layer drop ${d} vs target ${rate}`);
  }
  const none = await runPolicy(model, val, thresholdPolicy(await chooseThresholds(model, val, 0, 16)), 16);
  assert.deepEqual(none.dropPerLayer, [0, 0, 0]);
});

test("hierarchical schedule: deeper layers drop more, per-layer exponents averaging the target's", () => {
  const r = layerRates(0.5, 2, "hierarchical");
  assert.ok(Math.abs(r[0]! - (1 - 0.5 ** (2 / 3))) < 1e-12 && Math.abs(r[1]! - (1 - 0.5 ** (4 / 3))) < 1e-12);
  for (const t of [0, 0.2, 0.6, 0.9]) {
    const rates = layerRates(t, 4, "hierarchical");
    for (let k = 1; k < rates.length; k++) assert.ok(rates[k]! >= rates[k - 1]!, `t ${t} layer ${k}`);
    assert.ok(rates.every((x) => x >= 0 && x < 1));
    const meanLog = rates.reduce((a, x) => a + Math.log1p(-x), 0) / rates.length;
    assert.ok(Math.abs(meanLog - Math.log1p(-t)) < 1e-9, "the geometric mean keep rate is 1 − t");
  }
  assert.deepEqual(layerRates(0.4, 3, "first-layer"), [0.4, 0.4, 0.4]);
  assert.deepEqual(layerRates(0.4, 1, "hierarchical"), [0.4]);
  assert.throws(() => layerRates(1, 2, "hierarchical"), /target 1/);
});

test("per-layer rates: each scored layer reaches its own total drop share on the calibration data", async () => {
  const { model } = await trainedTiny();
  const val = new SyntheticData(30, 8, 12, 3, 24, 0.3);
  const rates = [0.2, 0.5];
  const thetas = await chooseThresholds(model, val, rates, 16);
  const run = await runPolicy(model, val, thresholdPolicy(thetas), 16);
  for (const [k, d] of run.dropPerLayer.slice(1).entries())
    assert.ok(Math.abs(d - rates[k]!) < 0.02, `layer ${k + 1}: ${d}`);
  await assert.rejects(chooseThresholds(model, val, [0.2], 16), /1 rates for 2 scored layers/);
});

test("with tied scores the threshold gets as close to the target count as the ties allow", () => {
  const sorted = [0.1, 0.2, 0.2, 0.2, 0.2, 0.5, 0.9];
  assert.equal(thresholdForDrops(sorted, 1), 0.2); // drops 1 exactly
  assert.equal(thresholdForDrops(sorted, 2), 0.2); // 1 (off by 1) beats 5 (off by 3)
  assert.equal(thresholdForDrops(sorted, 4), 0.5); // 5 (off by 1) beats 1 (off by 3)
  assert.equal(thresholdForDrops(sorted, 6), 0.9);
});

test("sweep: pruned model beside the three controls at the same per-layer rates; JSON and SVG", async () => {
  const { model, val, test: testSet } = await trainedTiny();
  const r = await thresholdSweep(model, testSet, {
    batchSize: 16,
    targets: [0, 0.3, 0.6],
    calibration: val,
    topK: true,
    method: "razor",
  });
  assert.ok(r.baseline.accuracy >= 0.8, `baseline ${r.baseline.accuracy}`);
  assert.equal(r.points[0]!.pruned.accuracy, r.baseline.accuracy, "nothing dropped: the unpruned model");
  for (const p of r.points) {
    for (const c of ["random", "stride", "gate"] as const) {
      const run = p.controls[c]!;
      run.dropPerLayer.forEach((d, i) => {
        assert.ok(Math.abs(d - p.pruned.dropPerLayer[i]!) < 1 / 240 + 1e-9, `${c} layer ${i}`);
      });
    }
    assert.ok(p.topK !== undefined);
  }
  assert.ok(r.points[2]!.pruned.dropOverall > 0.5);
  // hierarchical by default: deeper layers drop at least as much; the operating point is chosen on calibration data
  assert.equal(r.schedule, "hierarchical");
  for (const p of r.points) {
    const d = p.pruned.dropPerLayer;
    for (let k = 2; k < d.length; k++) assert.ok(d[k]! >= d[k - 1]! - 1e-9, `target ${p.target}: ${d}`);
    assert.ok(p.calibrationAccuracy !== undefined);
  }
  assert.ok(r.points[2]!.pruned.dropPerLayer[2]! > r.points[2]!.pruned.dropPerLayer[1]! + 0.05);
  assert.ok(r.chosen !== null && r.points[r.chosen]!.calibrationAccuracy! >= r.calibrationBaseline! - 0.02);
  // SOPs saved grow with the frames dropped, none at target 0
  assert.equal(r.points[0]!.pruned.sopsDropped, 0);
  assert.ok(r.points[2]!.pruned.sopsDropped! > r.points[1]!.pruned.sopsDropped!);
  assert.ok(r.withinTolerance.razor! >= 0 && "gate" in r.withinTolerance);
  // efficiency: SOPs shrink when frames are dropped; energy is labelled an estimate
  assert.ok(r.points[2]!.pruned.efficiency.sops < r.baseline.efficiency.sops);
  assert.match(r.baseline.efficiency.energyNote, /estimate/);
  const svg = sweepSvg(r, "tiny");
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const name of ["razor", "random frames", "fixed stride", "event-count gate", "unpruned"])
    assert.ok(svg.includes(name));
  assert.equal((svg.match(/<path /g) ?? []).length, 5);
  assert.doesNotThrow(() => JSON.stringify(r));
});

test("efficiency: drop shares, SOPs, firing rates and the energy estimate from layer counts", () => {
  const meter = new EfficiencyMeter();
  const frames = { T: 2, B: 1, frames: 2 };
  meter.add(
    [
      {
        layer: 0,
        ...frames,
        inputEvents: Float32Array.of(3, 0),
        fanOut: 4,
        outputSpikes: Float32Array.of(2, 1),
        neurons: 4,
        executed: null,
        framesExecuted: 2,
        sops: 12,
      },
      {
        layer: 1,
        ...frames,
        inputEvents: Float32Array.of(3, 1),
        fanOut: 3,
        outputSpikes: Float32Array.of(1, 0),
        neurons: 3,
        executed: Uint8Array.of(1, 0),
        framesExecuted: 1,
        sops: 9,
      },
    ],
    1,
  );
  const e = meter.result();
  assert.equal(e.layers[1]!.dropShare, 0.5);
  assert.equal(e.dropShare, 0.5);
  assert.equal(e.layers[0]!.firingRate, 3 / 8);
  assert.equal(e.effectiveFramesPerSample, 3);
  assert.ok(Math.abs(e.energyPJ - (12 * 4.6 + 9 * 0.9)) < 1e-9);
  assert.match(e.energyNote, /estimate/);
});

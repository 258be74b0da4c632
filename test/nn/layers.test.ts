import assert from "node:assert/strict";
import { test } from "node:test";
import { engine } from "../../src/engine/current.js";
import { BatchNorm } from "../../src/nn/batchnorm.js";
import { i32Slot } from "../../src/nn/buffers.js";
import { Conv2d } from "../../src/nn/conv2d.js";
import { eventDrivenThresholds, setEventDrivenThresholds } from "../../src/nn/density.js";
import { countsToSpikeList } from "../../src/nn/event-list.js";
import { Linear } from "../../src/nn/linear.js";
import type { Seq } from "../../src/nn/module.js";
import { Pool2d } from "../../src/nn/pool2d.js";
import { Dropout, Flatten } from "../../src/nn/reshape.js";
import { Rng } from "../../src/util/rng.js";
import { checkModuleGradients, ctxOf, randomSeq } from "./helpers.js";

/** Binary spikes with their list, as a LIF layer hands them on. */
function spikeSeq(shape: number[], density: number, rng: Rng): Seq {
  const x = randomSeq(shape, rng, () => (rng.uniform() < density ? 1 : 0));
  const frames = shape[0]! * shape[1]!;
  const rowLen = x.data.length / frames;
  const idx: number[] = [];
  const offsets = new Int32Array(frames + 1);
  for (let r = 0; r < frames; r++) {
    for (let i = 0; i < rowLen; i++) if (x.data[r * rowLen + i] !== 0) idx.push(i);
    offsets[r + 1] = idx.length;
  }
  x.spikes = { rows: frames, rowLen, idx: Int32Array.from(idx), offsets };
  return x;
}

test("Conv2d: gradients match finite differences (odd sizes, stride 2, padding)", () => {
  const rng = new Rng(1);
  for (const [k, stride, pad] of [
    [3, 1, 1],
    [3, 2, 0],
    [1, 1, 0],
  ] as const) {
    const conv = new Conv2d({ name: "c", inChannels: 3, outChannels: 5, kernel: k, stride, padding: pad, rng });
    checkModuleGradients(conv, randomSeq([2, 3, 3, 7, 5], rng), rng);
    conv.dispose();
  }
});

test("Conv2d and Linear: event-driven and dense paths agree on spike input, forward and weight gradient", () => {
  const rng = new Rng(2);
  const conv = new Conv2d({ name: "c", inChannels: 4, outChannels: 6, kernel: 3, padding: 1, rng });
  const lin = new Linear({ name: "l", inFeatures: 4 * 5 * 5, outFeatures: 7, rng });
  const x = spikeSeq([3, 2, 4, 5, 5], 0.1, rng);
  const saved = { ...eventDrivenThresholds() };
  for (const m of [conv, lin]) {
    const results: { y: Float32Array; gx: Float32Array; gw: Float32Array; gb: Float32Array; path: string }[] = [];
    for (const thr of [0, 2]) {
      setEventDrivenThresholds({ conv: thr, linear: thr });
      const y = m.forward(x, ctxOf());
      const gy = randomSeq(y.shape, new Rng(5));
      for (const p of m.parameters()) p.grad.fill(0);
      const gx = m.backward(gy, ctxOf());
      results.push({
        y: Float32Array.from(y.data),
        gx: Float32Array.from(gx.data),
        gw: Float32Array.from(m.parameters()[0]!.grad),
        gb: Float32Array.from(m.parameters()[1]!.grad),
        path: m.lastPath,
      });
    }
    assert.deepEqual(
      results.map((r) => r.path),
      ["dense", "events"],
    );
    for (const key of ["y", "gx", "gw", "gb"] as const) {
      const [a, b] = [results[0]![key], results[1]![key]];
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4, `${key}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  }
  setEventDrivenThresholds(saved);
});

test("event-count frames as spike lists (each event listed once) give the dense results; non-counts give null", () => {
  const rng = new Rng(10);
  const conv = new Conv2d({ name: "c", inChannels: 2, outChannels: 3, kernel: 3, padding: 1, rng });
  const x = randomSeq([3, 2, 2, 5, 4], rng, () => (rng.uniform() < 0.3 ? 1 + rng.int(4) : 0));
  const list = countsToSpikeList(x.data, 6, 40, 1e9, i32Slot(), i32Slot())!;
  assert.equal(
    list.offsets[6],
    x.data.reduce((a, v) => a + v, 0),
  );
  const saved = { ...eventDrivenThresholds() };
  const run = (seq: Seq) => {
    const y = Float32Array.from(conv.forward(seq, ctxOf()).data);
    for (const p of conv.parameters()) p.grad.fill(0);
    conv.backward({ data: y, shape: [3, 2, 3, 5, 4] }, ctxOf());
    return [y, Float32Array.from(conv.weight.grad)];
  };
  try {
    setEventDrivenThresholds({ conv: 1.01 });
    const [ye, ge] = run({ ...x, spikes: list });
    assert.equal(conv.lastPath, "events");
    const [yd, gd] = run(x);
    assert.equal(conv.lastPath, "dense");
    for (const [a, b] of [
      [ye!, yd!],
      [ge!, gd!],
    ] as const) {
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-3 * (1 + Math.abs(b[i]!)), `${i}`);
    }
  } finally {
    setEventDrivenThresholds(saved);
  }
  const half = { ...x, data: Float32Array.from(x.data, (v) => v / 2) };
  assert.equal(countsToSpikeList(half.data, 6, 40, 1e9, i32Slot(), i32Slot()), null);
  assert.equal(countsToSpikeList(x.data, 6, 40, 5, i32Slot(), i32Slot()), null);
});

test("Conv2d: fan-out counts each input position's synapses, borders included", () => {
  const conv = new Conv2d({ name: "c", inChannels: 1, outChannels: 2, kernel: 3, padding: 1, rng: new Rng(0) });
  // 3x3 input, pad 1: corners feed 4 outputs, edges 6, centre 9 -> (4·4 + 4·6 + 9) / 9 per output channel
  assert.ok(Math.abs(conv.fanOut([1, 3, 3]) - (2 * (16 + 24 + 9)) / 9) < 1e-12);
});

test("Linear: gradients match finite differences; input features after B are flattened", () => {
  const rng = new Rng(3);
  const lin = new Linear({ name: "fc", inFeatures: 2 * 3 * 3, outFeatures: 5, rng });
  checkModuleGradients(lin, randomSeq([3, 2, 2, 3, 3], rng), rng);
  const y = lin.forward(randomSeq([3, 2, 2, 3, 3], rng), ctxOf());
  assert.deepEqual(y.shape, [3, 2, 5]);
});

test("Linear: first-layer mode skips the input gradient but still accumulates weight gradients", () => {
  const rng = new Rng(4);
  const lin = new Linear({ name: "fc", inFeatures: 6, outFeatures: 3, inputGrad: false, rng });
  const x = randomSeq([2, 2, 6], rng);
  const y = lin.forward(x, ctxOf());
  const gx = lin.backward(randomSeq(y.shape, rng), ctxOf());
  assert.equal(gx.data.length, 0);
  assert.ok(lin.weight.grad.some((v) => v !== 0));
});

test("BatchNorm over T·B: gradients match finite differences; statistics are shared over time", () => {
  const rng = new Rng(5);
  const bn = new BatchNorm({ name: "bn", channels: 3 });
  for (let i = 0; i < 3; i++) {
    bn.weight.value[i] = 0.5 + rng.uniform();
    bn.bias.value[i] = rng.normal();
  }
  checkModuleGradients(bn, randomSeq([4, 3, 3, 2, 3], rng), rng, { h: 3e-3, atol: 2e-3, rtol: 5e-2 });
  checkModuleGradients(bn, randomSeq([5, 2, 3], rng), rng, { h: 3e-3, atol: 2e-3, rtol: 5e-2 });
  // one channel normalised over all T·B·H·W values: mean 0, variance 1 (gamma 1, beta 0)
  const plain = new BatchNorm({ name: "bn2", channels: 2 });
  const x = randomSeq([3, 2, 2, 4], rng, () => 3 + 2 * rng.normal());
  const y = plain.forward(x, ctxOf());
  for (let c = 0; c < 2; c++) {
    const vals: number[] = [];
    for (let r = 0; r < 6; r++) for (let i = 0; i < 4; i++) vals.push(y.data[(r * 2 + c) * 4 + i]!);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(v - 1) < 1e-3, `channel ${c}: mean ${mean}, var ${v}`);
  }
  assert.equal(plain.numBatchesTracked.value[0], 1);
  assert.deepEqual(
    plain.buffers().map((b) => b.name),
    ["bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked"],
  );
});

test("Pooling: average and max gradients match finite differences", () => {
  const rng = new Rng(6);
  checkModuleGradients(new Pool2d({ type: "avg", kernel: 2 }), randomSeq([2, 2, 3, 5, 4], rng), rng);
  // distinct values keep the argmax away from ties
  checkModuleGradients(new Pool2d({ type: "max", kernel: 2 }), randomSeq([2, 2, 3, 4, 6], rng), rng, { h: 1e-3 });
});

test("Dropout: one mask per sequence (same at every t), inverted scaling, identity in eval", () => {
  const rng = new Rng(7);
  const d = new Dropout(0.5);
  const x = randomSeq([4, 3, 20], rng, () => 1);
  const y = d.forward(x, ctxOf(true));
  for (let t = 1; t < 4; t++) {
    for (let i = 0; i < 60; i++) assert.equal(y.data[t * 60 + i], y.data[i]);
  }
  const kept = Array.from(y.data.subarray(0, 60)).filter((v) => v !== 0);
  assert.ok(kept.length > 10 && kept.length < 50);
  assert.ok(kept.every((v) => v === 2));
  checkModuleGradients(d, randomSeq([4, 3, 20], rng), rng, { ctx: () => ctxOf(true, 11) });
  assert.equal(d.forward(x, ctxOf(false)), x);
});

test("Flatten keeps the data and spike list, and restores the shape in backward", () => {
  const rng = new Rng(8);
  const x = spikeSeq([2, 3, 2, 3, 3], 0.3, rng);
  const f = new Flatten();
  const y = f.forward(x, ctxOf());
  assert.deepEqual(y.shape, [2, 3, 18]);
  assert.equal(y.spikes, x.spikes);
  assert.deepEqual(f.backward(y, ctxOf()).shape, x.shape);
});

test("modules return their memory: repeated forward/backward does not grow engine memory", () => {
  const rng = new Rng(9);
  const conv = new Conv2d({ name: "c", inChannels: 2, outChannels: 4, kernel: 3, padding: 1, rng });
  const bn = new BatchNorm({ name: "bn", channels: 4 });
  const x = randomSeq([2, 2, 2, 6, 6], rng);
  const step = () => {
    const y = bn.forward(conv.forward(x, ctxOf()), ctxOf());
    const g1 = bn.backward(randomSeq(y.shape, rng), ctxOf());
    conv.backward(g1, ctxOf());
  };
  step();
  const before = engine().bytesInUse();
  for (let i = 0; i < 5; i++) step();
  // backward outputs of standalone modules belong to the caller; here the only growth allowed is those
  const perStep = (2 * 4 * 36 * 2 + 2 * 2 * 36 * 2) * 4;
  assert.ok(engine().bytesInUse() - before <= 5 * perStep, "memory grew beyond the returned gradients");
  conv.dispose();
  bn.dispose();
});

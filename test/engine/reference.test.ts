// The reference twins are the oracle for the wasm engine, so they are checked independently: gradients by finite
// differences, linear maps by their adjoints, running statistics and Adam against hand computations.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConvShape, convOutSize, type PoolShape } from "../../src/engine/api.js";
import { engine } from "../../src/engine/index.js";
import {
  createReferenceEngine,
  refAdam,
  refAvgPool2dBackward,
  refAvgPool2dForward,
  refBatchNormBackward,
  refBatchNormForwardEval,
  refBatchNormForwardTrain,
  refConv2dBackwardInput,
  refConv2dBackwardWeight,
  refConv2dForward,
  refGemm,
  refMaxPool2dBackward,
  refMaxPool2dForward,
} from "../../src/engine/reference.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, checkGradient, dot, randF32 } from "./helpers.js";

test("gemm: hand example, and transposed operands agree with explicit transposes", () => {
  // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]; alpha 2, beta 1 over C = 1
  const c = new Float32Array([1, 1, 1, 1]);
  refGemm(false, false, 2, 2, 2, 2, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 1, c);
  assert.deepEqual(Array.from(c), [39, 45, 87, 101]);
  const rng = new Rng(1);
  const [m, n, k] = [3, 5, 7];
  const a = randF32(rng, m * k);
  const b = randF32(rng, k * n);
  const at = new Float32Array(m * k);
  const bt = new Float32Array(k * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) at[p * m + i] = a[i * k + p]!;
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j]!;
  const want = new Float32Array(m * n);
  refGemm(false, false, m, n, k, 1, a, b, 0, want);
  for (const [ta, tb] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const got = new Float32Array(m * n).fill(Number.NaN); // beta = 0 must ignore NaN in C
    refGemm(ta, tb, m, n, k, 1, ta ? at : a, tb ? bt : b, 0, got);
    assertClose(got, want, `gemm transA=${ta} transB=${tb}`);
  }
});

const convShapes: ConvShape[] = [
  { n: 2, cin: 3, h: 5, w: 6, cout: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { n: 1, cin: 2, h: 7, w: 5, cout: 3, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 0, padW: 1 },
  { n: 3, cin: 1, h: 4, w: 4, cout: 1, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
  { n: 1, cin: 2, h: 6, w: 6, cout: 2, kh: 5, kw: 5, strideH: 2, strideW: 2, padH: 2, padW: 2 },
];

test("conv2d backward input and weight match finite differences of the forward", () => {
  const rng = new Rng(2);
  for (const s of convShapes) {
    const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
    const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
    const x = randF32(rng, s.n * s.cin * s.h * s.w);
    const w = randF32(rng, s.cout * s.cin * s.kh * s.kw, 0.5);
    const bias = randF32(rng, s.cout);
    const gy = randF32(rng, s.n * s.cout * ho * wo);
    const y = new Float32Array(gy.length);
    const loss = (): number => {
      refConv2dForward(x, w, bias, y, s);
      return dot(gy, y);
    };
    const gx = new Float32Array(x.length).fill(Number.NaN); // overwritten
    refConv2dBackwardInput(gy, w, gx, s);
    const gw = new Float32Array(w.length).fill(0.5); // accumulated onto 0.5
    const gb = new Float32Array(s.cout).fill(0.5);
    refConv2dBackwardWeight(x, gy, gw, gb, s);
    const gwOnly = gw.map((v) => v - 0.5);
    const gbOnly = gb.map((v) => v - 0.5);
    const tag = JSON.stringify(s);
    checkGradient(`conv dx ${tag}`, x, gx, loss, rng);
    checkGradient(`conv dw ${tag}`, w, gwOnly, loss, rng);
    checkGradient(`conv db ${tag}`, bias, gbOnly, loss, rng);
  }
});

const poolShapes: PoolShape[] = [
  { n: 2, c: 3, h: 4, w: 6, k: 2, stride: 2 },
  { n: 1, c: 2, h: 5, w: 5, k: 3, stride: 1 },
  { n: 1, c: 1, h: 7, w: 3, k: 2, stride: 3 },
];

test("avg and max pooling backward match finite differences", () => {
  const rng = new Rng(3);
  for (const s of poolShapes) {
    const n = s.n * s.c * s.h * s.w;
    const outLen = s.n * s.c * convOutSize(s.h, s.k, s.stride, 0) * convOutSize(s.w, s.k, s.stride, 0);
    // distinct, well-separated values so a small step never changes which input is the max
    const order = Int32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(order);
    const x = Float32Array.from(order, (v) => v * 0.1);
    const gy = randF32(rng, outLen);
    const y = new Float32Array(outLen);
    const arg = new Int32Array(outLen);
    const gx = new Float32Array(n).fill(Number.NaN);
    refAvgPool2dBackward(gy, gx, s);
    checkGradient(
      `avgpool ${JSON.stringify(s)}`,
      x,
      gx,
      () => {
        refAvgPool2dForward(x, y, s);
        return dot(gy, y);
      },
      rng,
      { samples: n, h: 1e-3 },
    );
    refMaxPool2dForward(x, y, arg, s);
    refMaxPool2dBackward(gy, arg, gx, s);
    checkGradient(
      `maxpool ${JSON.stringify(s)}`,
      x,
      gx,
      () => {
        refMaxPool2dForward(x, y, arg, s);
        return dot(gy, y);
      },
      rng,
      { samples: n, h: 1e-3 },
    );
  }
});

test("max pooling: argmax is a flat index into x and the first max wins on ties", () => {
  const s: PoolShape = { n: 1, c: 2, h: 2, w: 2, k: 2, stride: 2 };
  const y = new Float32Array(2);
  const arg = new Int32Array(2);
  refMaxPool2dForward(new Float32Array([1, 5, 5, 0, -3, -2, -1, -1]), y, arg, s);
  assert.deepEqual(Array.from(y), [5, -1]);
  assert.deepEqual(Array.from(arg), [1, 6]);
});

test("batch norm: running statistics follow PyTorch (unbiased variance, momentum blend)", () => {
  // one channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3
  const s = { n: 2, c: 1, hw: 2 };
  const y = new Float32Array(4);
  const mean = new Float32Array(1);
  const inv = new Float32Array(1);
  const rm = new Float32Array([0]);
  const rv = new Float32Array([1]);
  refBatchNormForwardTrain(
    new Float32Array([1, 2, 3, 4]),
    new Float32Array([2]),
    new Float32Array([1]),
    y,
    mean,
    inv,
    rm,
    rv,
    s,
    0.1,
    0,
  );
  assertClose(mean, [2.5], "saveMean");
  assertClose(inv, [1 / Math.sqrt(1.25)], "saveInvStd");
  assertClose(rm, [0.25], "runningMean");
  assertClose(rv, [0.9 + 0.1 * (5 / 3)], "runningVar");
  assertClose(
    y,
    [1, 2, 3, 4].map((v) => (2 * (v - 2.5)) / Math.sqrt(1.25) + 1),
    "y",
  );
  const ye = new Float32Array(4);
  refBatchNormForwardEval(
    new Float32Array([1, 2, 3, 4]),
    new Float32Array([2]),
    new Float32Array([1]),
    new Float32Array([1]),
    new Float32Array([4]),
    ye,
    s,
    0,
  );
  assertClose(
    ye,
    [1, 2, 3, 4].map((v) => (2 * (v - 1)) / 2 + 1),
    "eval y",
  );
  assert.throws(
    () =>
      refBatchNormForwardTrain(
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        mean,
        inv,
        rm,
        rv,
        { n: 1, c: 1, hw: 1 },
        0.1,
        1e-5,
      ),
    /more than 1 value/,
  );
});

test("batch norm backward matches finite differences of the training forward", () => {
  const rng = new Rng(4);
  for (const s of [
    { n: 3, c: 2, hw: 5 },
    { n: 2, c: 3, hw: 1 },
    { n: 1, c: 1, hw: 7 },
  ]) {
    const total = s.n * s.c * s.hw;
    const x = randF32(rng, total);
    const gamma = randF32(rng, s.c);
    const beta = randF32(rng, s.c);
    const gy = randF32(rng, total);
    const y = new Float32Array(total);
    const mean = new Float32Array(s.c);
    const inv = new Float32Array(s.c);
    const rm = new Float32Array(s.c);
    const rv = new Float32Array(s.c);
    const loss = (): number => {
      refBatchNormForwardTrain(x, gamma, beta, y, mean, inv, rm, rv, s, 0.1, 1e-5);
      return dot(gy, y);
    };
    loss();
    const gx = new Float32Array(total);
    const gGamma = new Float32Array(s.c);
    const gBeta = new Float32Array(s.c);
    refBatchNormBackward(gy, x, gamma, mean, inv, gx, gGamma, gBeta, s);
    const tag = JSON.stringify(s);
    checkGradient(`bn dx ${tag}`, x, gx, loss, rng, { h: 1e-3, samples: total, tol: 1e-2 });
    checkGradient(`bn dgamma ${tag}`, gamma, gGamma, loss, rng, { h: 1e-3, tol: 1e-2 });
    checkGradient(`bn dbeta ${tag}`, beta, gBeta, loss, rng, { h: 1e-3, tol: 1e-2 });
  }
});

test("adam matches a hand recomputation with bias-corrected moments, and its first step is about lr·sign(g)", () => {
  const p = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1, weightDecay: 0.01 };
  const param = new Float32Array([0.5, -1, 2]);
  const m = new Float32Array(3);
  const v = new Float32Array(3);
  const grads = [new Float32Array([0.1, -0.2, 0.3]), new Float32Array([-0.4, 0.5, 0.6])];
  // hand version in float64: m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t), θ -= lr · m̂ / (sqrt(v̂) + eps)
  const hp = [0.5, -1, 2];
  const hm = [0, 0, 0];
  const hv = [0, 0, 0];
  for (let t = 1; t <= 2; t++) {
    const g = grads[t - 1]!;
    refAdam(param, g, m, v, { ...p, step: t });
    for (let i = 0; i < 3; i++) {
      const gi = g[i]! + p.weightDecay * Math.fround(hp[i]!);
      hm[i] = 0.9 * hm[i]! + 0.1 * gi;
      hv[i] = 0.999 * hv[i]! + 0.001 * gi * gi;
      const mh = hm[i]! / (1 - 0.9 ** t);
      const vh = hv[i]! / (1 - 0.999 ** t);
      hp[i] = hp[i]! - (p.lr * mh) / (Math.sqrt(vh) + p.eps);
    }
    if (t === 1) assertClose(param, [0.5 - 0.01, -1 + 0.01, 2 - 0.01], "first step", 0, 1e-6);
  }
  assertClose(param, hp, "param", 1e-6);
  assertClose(m, hm, "m", 1e-5);
  assertClose(v, hv, "v", 1e-5);
  assert.throws(() => refAdam(param, grads[0]!, m, v, { ...p, step: 0 }), /1-based/);
});

test("reference engine: default engine, memory accounting, clear error on a bad free", () => {
  assert.equal(engine().name, "reference");
  const e = createReferenceEngine();
  const a = e.allocF32(10);
  const b = e.allocU8(3);
  const c = e.allocI32(2);
  const d = e.allocF64(4);
  assert.equal(e.bytesInUse(), 40 + 3 + 8 + 32);
  e.free(d);
  e.free(a);
  e.free(b);
  assert.equal(e.bytesInUse(), 8);
  assert.equal(e.peakBytes(), 83);
  assert.throws(() => e.free(a), /already freed/);
  assert.throws(() => e.free(new Float32Array(2)), /not allocated/);
  e.free(c);
  assert.equal(e.bytesInUse(), 0);
});

test("elementwise helpers and channel bias", () => {
  const e = createReferenceEngine();
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  const b = new Float32Array([6, 5, 4, 3, 2, 1]);
  const y = new Float32Array(6);
  e.add(a, b, y);
  assert.deepEqual(Array.from(y), [7, 7, 7, 7, 7, 7]);
  e.mul(a, b, y);
  assert.deepEqual(Array.from(y), [6, 10, 12, 12, 10, 6]);
  e.scale(a, 2, y);
  assert.deepEqual(Array.from(y), [2, 4, 6, 8, 10, 12]);
  e.axpy(-1, a, y);
  assert.deepEqual(Array.from(y), [1, 2, 3, 4, 5, 6]);
  e.fill(y, 0);
  // [outer 1, c 2, inner 3]
  e.addChannelBias(y, new Float32Array([1, -1]), 1, 2, 3);
  assert.deepEqual(Array.from(y), [1, 1, 1, -1, -1, -1]);
  const gb = new Float32Array([10, 20]);
  e.channelBiasGrad(a, gb, 1, 2, 3);
  assert.deepEqual(Array.from(gb), [16, 35]);
  e.copy(b, y);
  assert.deepEqual(Array.from(y), Array.from(b));
  assert.throws(() => e.add(a, new Float32Array(2), y), /lengths/);
});

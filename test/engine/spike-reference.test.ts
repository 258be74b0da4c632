import assert from "node:assert/strict";
import { test } from "node:test";
import { convOutSize } from "../../src/engine/api.js";
import { createSpikeList, spikeReferenceKernels as ref } from "../../src/engine/reference-spike.js";
import { Rng } from "../../src/util/rng.js";
import {
  assertClose,
  denseConv,
  denseConvWeightGrad,
  denseLinear,
  denseLinearWeightGrad,
  listOf,
  randomConvShape,
  randomF32,
  randomSpikes,
} from "./spike-harness.js";

const densities = [0, 0.01, 0.5, 1];

test("spikeIndices lists the active positions of each row in order", () => {
  const rng = new Rng(1);
  for (const [rows, rowLen] of [
    [1, 1],
    [3, 7],
    [4, 33],
  ] as const) {
    for (const d of densities) {
      const s = randomSpikes(rng, rows * rowLen, d);
      const list = createSpikeList(rows, rowLen);
      ref.spikeIndices(s, list);
      const want = listOf(s, rows, rowLen);
      assert.deepEqual(list.offsets, want.offsets);
      assert.deepEqual(list.idx, want.idx);
    }
  }
});

test("event-driven linear forward and weight gradient match dense loops", () => {
  const rng = new Rng(2);
  for (const [rows, inF, out] of [
    [1, 1, 1],
    [5, 13, 7],
    [9, 40, 17],
  ] as const) {
    for (const d of densities) {
      const s = randomSpikes(rng, rows * inF, d);
      const list = listOf(s, rows, inF);
      const w = randomF32(rng, out * inF);
      const b = rng.uniform() < 0.5 ? randomF32(rng, out) : null;
      const y = new Float32Array(rows * out).fill(Number.NaN);
      ref.linearSpikeForward(list, w, b, y, out);
      assertClose(y, denseLinear(s, w, b, rows, inF, out), 1e-5, 1e-5, `linear fwd ${rows}x${inF}->${out} d=${d}`);
      const gy = randomF32(rng, rows * out);
      const gw0 = randomF32(rng, out * inF);
      const gw = Float32Array.from(gw0);
      ref.linearSpikeWeightGrad(list, gy, gw, out);
      const want = denseLinearWeightGrad(s, gy, rows, inF, out).map((v, i) => v + gw0[i]!);
      assertClose(gw, want, 1e-5, 1e-5, `linear gw ${rows}x${inF}->${out} d=${d}`);
    }
  }
});

test("event-driven conv forward and weight gradient match a direct conv loop (any kernel, stride, padding)", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 12; trial++) {
    const s = randomConvShape(rng);
    const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
    const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
    const d = densities[trial % densities.length]!;
    const x = randomSpikes(rng, s.n * s.cin * s.h * s.w, d);
    const list = listOf(x, s.n, s.cin * s.h * s.w);
    const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
    const b = trial % 2 === 0 ? randomF32(rng, s.cout) : null;
    const y = new Float32Array(s.n * s.cout * ho * wo).fill(Number.NaN);
    ref.conv2dSpikeForward(list, w, b, y, s);
    assertClose(y, denseConv(x, w, b, s), 1e-5, 1e-5, `conv fwd ${JSON.stringify(s)} d=${d}`);
    const gy = randomF32(rng, y.length);
    const gw0 = randomF32(rng, w.length);
    const gw = Float32Array.from(gw0);
    ref.conv2dSpikeWeightGrad(list, gy, gw, s);
    const want = denseConvWeightGrad(x, gy, s).map((v, i) => v + gw0[i]!);
    assertClose(gw, want, 1e-4, 1e-5, `conv gw ${JSON.stringify(s)} d=${d}`);
  }
});

test("event-driven kernels reject lists that do not fit the shapes", () => {
  const list = createSpikeList(2, 3);
  assert.throws(() => ref.linearSpikeForward(list, new Float32Array(5), null, new Float32Array(4), 2), /weight/);
  assert.throws(() => ref.linearSpikeForward(list, new Float32Array(6), null, new Float32Array(3), 2), /output/);
  const s = { n: 2, cin: 1, h: 2, w: 2, cout: 1, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 };
  assert.throws(() => ref.conv2dSpikeForward(list, new Float32Array(1), null, new Float32Array(8), s), /rowLen/);
  const fits = createSpikeList(2, 4);
  assert.throws(
    () => ref.conv2dSpikeForward(fits, new Float32Array(1), null, new Float32Array(8), { ...s, strideH: 0 }),
    /shape.strideH must be an integer >= 1/,
  );
});

/**
 * The event-driven conv's splits over images or, for one image, over channels (taken when a call has enough work),
 * and the weight gradients' splits into per-thread partial sums (conv over images, linear with few outputs over rows).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConvShape, convOutSize } from "../../src/engine/api.js";
import { spikeReferenceKernels as ref } from "../../src/engine/reference-spike.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { makeSpikeKernels, splitRowsByWork } from "../../src/engine/wasm-spike.js";
import { Rng } from "../../src/util/rng.js";
import {
  assertClose,
  denseConvWeightGrad,
  denseLinearWeightGrad,
  listOf,
  randomF32,
  randomSpikes,
  splitRuntime,
} from "./spike-harness.js";

test("conv2dSpikeForward split over images or channels equals the twin and the 1-thread engine, bit for bit", async () => {
  const one = await createWasmEngine({ threads: 1 });
  const two = await createWasmEngine({ threads: 2 });
  try {
    const rng = new Rng(31);
    // big enough that the 2-thread engine splits the images (≥ 2 × 500 000 units of work), odd image count
    for (const s of [
      { n: 7, cin: 16, h: 16, w: 16, cout: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
      { n: 5, cin: 8, h: 20, w: 18, cout: 30, kh: 3, kw: 5, strideH: 2, strideW: 1, padH: 1, padW: 2 },
      // one image: the 2-thread engine splits the output channels, each thread with its own tap buckets
      { n: 1, cin: 24, h: 20, w: 21, cout: 70, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    ] satisfies ConvShape[]) {
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      const spikes = randomSpikes(rng, s.n * s.cin * s.h * s.w, 0.3);
      // one image without spikes: its output is the bias alone
      if (s.n > 2) spikes.fill(0, 2 * s.cin * s.h * s.w, 3 * s.cin * s.h * s.w);
      const list = listOf(spikes, s.n, s.cin * s.h * s.w);
      const work = list.offsets[s.n]! * s.kh * s.kw * s.cout;
      assert.ok(work > 1_000_000, "the call must be large enough to split");
      const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
      const b = randomF32(rng, s.cout);
      const want = new Float32Array(s.n * s.cout * ho * wo);
      ref.conv2dSpikeForward(list, w, b, want, s);
      for (const [label, e] of [
        ["1 thread", one],
        ["2 threads", two],
      ] as const) {
        const y = new Float32Array(want.length).fill(Number.NaN);
        e.conv2dSpikeForward(list, w, b, y, s);
        assert.deepEqual(y, want, `${label} ${JSON.stringify(s)}`);
      }
    }
  } finally {
    one.close();
    two.close();
  }
});

test("splitRowsByWork: non-empty ranges covering every image, balanced by cost", () => {
  const rng = new Rng(33);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(20);
    const parts = 1 + rng.int(n);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + (rng.uniform() < 0.3 ? 0 : rng.int(50));
    const cost = (spikes: number) => (spikes === 0 ? 0 : 3 * spikes + 7);
    const ranges = splitRowsByWork(offsets, n, parts, cost);
    assert.equal(ranges.length, parts);
    let total = 0;
    let most = 0;
    for (let i = 0; i < n; i++) {
      total += cost(offsets[i + 1]! - offsets[i]!);
      most = Math.max(most, cost(offsets[i + 1]! - offsets[i]!));
    }
    let next = 0;
    for (const [b, e] of ranges) {
      assert.equal(b, next, "ranges are contiguous");
      assert.ok(e > b, `range [${b}, ${e}) is not empty`);
      let c = 0;
      for (let i = b; i < e; i++) c += cost(offsets[i + 1]! - offsets[i]!);
      // a range passes its share of the work by at most its last image
      assert.ok(c <= total / parts + most + 1e-9, `range [${b}, ${e}) costs ${c} of ${total} for ${parts} parts`);
      next = e;
    }
    assert.equal(next, n);
  }
});

test("conv2dSpikeWeightGrad split over images: per-thread sums added in order, equal to the same pieces run serially", async () => {
  const engines = await Promise.all([1, 2, 3].map((threads) => createWasmEngine({ threads })));
  try {
    const serial = await Promise.all(
      [1, 2, 3].map(async (p) => makeSpikeKernels(await splitRuntime(p), { always: true })),
    );
    const rng = new Rng(32);
    for (const s of [
      { n: 7, cin: 16, h: 16, w: 16, cout: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
      { n: 6, cin: 8, h: 20, w: 18, cout: 30, kh: 3, kw: 5, strideH: 2, strideW: 1, padH: 1, padW: 2 },
    ] satisfies ConvShape[]) {
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      const frame = s.cin * s.h * s.w;
      // activity rising over the images (as over a recording's first time steps), one image without spikes
      const spikes = new Uint8Array(s.n * frame);
      for (let i = 0; i < s.n; i++) spikes.set(randomSpikes(rng, frame, (0.5 * (i + 1)) / s.n), i * frame);
      spikes.fill(0, frame, 2 * frame);
      const list = listOf(spikes, s.n, frame);
      const gy = randomF32(rng, s.n * s.cout * ho * wo);
      const gw0 = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
      const exact = denseConvWeightGrad(spikes, gy, s);
      for (const [i, e] of engines.entries()) {
        assert.ok(
          list.offsets[s.n]! * s.kh * s.kw * s.cout > e.threads * 500_000,
          "the call must be large enough to split",
        );
        const gw = Float32Array.from(gw0);
        e.conv2dSpikeWeightGrad(list, gy, gw, s);
        assertClose(
          gw,
          Float64Array.from(exact, (v, j) => v + gw0[j]!),
          1e-3,
          1e-5,
          `${e.threads}t ${JSON.stringify(s)}`,
        );
        const again = Float32Array.from(gw0);
        e.conv2dSpikeWeightGrad(list, gy, again, s);
        assert.deepEqual(again, gw, `${e.threads}t: the same call gives the same bits`);
        const pieces = Float32Array.from(gw0);
        serial[i]!.conv2dSpikeWeightGrad(list, gy, pieces, s);
        assert.deepEqual(gw, pieces, `${e.threads}t equals ${e.threads} pieces run one after another`);
      }
    }
  } finally {
    for (const e of engines) e.close();
  }
});

test("linearSpikeWeightGrad with few outputs split over rows: equal to the same pieces run serially", async () => {
  const engines = await Promise.all([1, 2, 3].map((threads) => createWasmEngine({ threads })));
  try {
    const serial = await Promise.all(
      [1, 2, 3].map(async (p) => makeSpikeKernels(await splitRuntime(p), { always: true })),
    );
    const rng = new Rng(34);
    const rows = 3000;
    const inF = 128;
    for (const out of [20, 37]) {
      // activity rising over the rows (time-major frames), a stretch of empty rows
      const spikes = new Uint8Array(rows * inF);
      for (let r = 0; r < rows; r++) spikes.set(randomSpikes(rng, inF, (0.4 * (r + 1)) / rows), r * inF);
      spikes.fill(0, 100 * inF, 400 * inF);
      const list = listOf(spikes, rows, inF);
      const gy = randomF32(rng, rows * out);
      const gw0 = randomF32(rng, out * inF);
      const exact = denseLinearWeightGrad(spikes, gy, rows, inF, out);
      for (const [i, e] of engines.entries()) {
        assert.ok(list.offsets[rows]! * out > e.threads * 500_000, "the call must be large enough to split");
        const gw = Float32Array.from(gw0);
        e.linearSpikeWeightGrad(list, gy, gw, out);
        assertClose(
          gw,
          Float64Array.from(exact, (v, j) => v + gw0[j]!),
          1e-3,
          1e-5,
          `${e.threads}t out ${out}`,
        );
        const pieces = Float32Array.from(gw0);
        serial[i]!.linearSpikeWeightGrad(list, gy, pieces, out);
        assert.deepEqual(gw, pieces, `${e.threads}t equals ${e.threads} pieces run one after another`);
      }
    }
  } finally {
    for (const e of engines) e.close();
  }
});

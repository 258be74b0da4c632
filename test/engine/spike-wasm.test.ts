import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ConvShape, SpikeList } from "../../src/engine/api.js";
import { convOutSize } from "../../src/engine/api.js";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { createSpikeList, spikeReferenceKernels as ref } from "../../src/engine/reference-spike.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";
import {
  assertClose,
  assertSameForSameParts,
  listOf,
  randomConvShape,
  randomF32,
  randomSpikes,
  type KernelVariant,
  wasmVariants,
} from "./spike-harness.js";

const densities = [0, 0.01, 0.5, 1];
let variants: KernelVariant[] = [];

before(async () => {
  variants = await wasmVariants();
});
after(() => {
  for (const v of variants) v.close();
});

function cloneList(l: SpikeList): SpikeList {
  return { rows: l.rows, rowLen: l.rowLen, idx: Int32Array.from(l.idx), offsets: Int32Array.from(l.offsets) };
}

test("wasm spikeIndices equals the twin (rows of 1, odd, 16+ bytes; every density; short idx)", () => {
  const rng = new Rng(21);
  for (const [rows, rowLen] of [
    [1, 1],
    [3, 7],
    [5, 33],
    [2, 100],
  ] as const) {
    for (const d of densities) {
      const s = randomSpikes(rng, rows * rowLen, d);
      const want = createSpikeList(rows, rowLen);
      ref.spikeIndices(s, want);
      const total = want.offsets[rows]!;
      for (const { label, k } of variants) {
        const got = createSpikeList(rows, rowLen);
        k.spikeIndices(s, got);
        assert.deepEqual(got.offsets, want.offsets, `${label} ${rows}x${rowLen} d=${d}`);
        assert.deepEqual(got.idx.subarray(0, total), want.idx.subarray(0, total), `${label} ${rows}x${rowLen} d=${d}`);
        const short: SpikeList = { rows, rowLen, idx: new Int32Array(total), offsets: new Int32Array(rows + 1) };
        k.spikeIndices(s, short);
        assert.deepEqual(short.idx, want.idx.subarray(0, total), `${label} short idx`);
        if (total > 0) {
          const tooShort = { ...short, idx: new Int32Array(total - 1) };
          assert.throws(() => k.spikeIndices(s, tooShort), /too small/);
        }
      }
    }
  }
});

test("wasm spikeFloats equals the twin (short, odd, several 4096-byte blocks; every density) and names a bad byte", () => {
  const rng = new Rng(23);
  for (const n of [0, 1, 15, 17, 4096, 3 * 4096 + 33]) {
    for (const d of densities) {
      const s = randomSpikes(rng, n, d);
      const want = new Float32Array(n);
      const ones = ref.spikeFloats(s, want);
      assert.equal(
        ones,
        s.reduce((a, v) => a + v, 0),
      );
      for (const { label, k } of variants) {
        const got = new Float32Array(n).fill(Number.NaN);
        assert.equal(k.spikeFloats(s, got), ones, `${label} n=${n} d=${d} count`);
        assert.deepEqual(got, want, `${label} n=${n} d=${d}`);
      }
    }
  }
  const s = randomSpikes(rng, 3 * 4096 + 33, 0.5);
  for (const at of [5, 4096 + 17, 3 * 4096 + 30]) {
    const bad = s.slice();
    bad[at] = 2;
    assert.throws(() => ref.spikeFloats(bad, new Float32Array(bad.length)), new RegExp(`spike byte ${at} is 2`));
    for (const { label, k } of variants) {
      assert.throws(() => k.spikeFloats(bad, new Float32Array(bad.length)), new RegExp(`spike byte ${at} is 2`), label);
    }
  }
  for (const { k } of variants) assert.throws(() => k.spikeFloats(s, new Float32Array(3)), /spikeFloats: out has 3/);
});

test("wasm event-driven linear equals the twin: forward bit for bit, weight gradient within rounding and bit for bit per piece count", () => {
  const rng = new Rng(22);
  for (const [rows, inF, out] of [
    [1, 1, 1],
    [3, 13, 5],
    [7, 40, 33],
    [4, 9, 70],
    [30, 100, 64],
  ] as const) {
    for (const d of densities) {
      const list = listOf(randomSpikes(rng, rows * inF, d), rows, inF);
      const w = randomF32(rng, out * inF);
      const b = out % 2 === 1 ? randomF32(rng, out) : null;
      const want = new Float32Array(rows * out);
      ref.linearSpikeForward(list, w, b, want, out);
      const gy = randomF32(rng, rows * out);
      const gw0 = randomF32(rng, out * inF);
      const wantGw = Float32Array.from(gw0);
      ref.linearSpikeWeightGrad(list, gy, wantGw, out);
      const gws: Float32Array[] = [];
      for (const { label, k } of variants) {
        const y = new Float32Array(rows * out).fill(Number.NaN);
        k.linearSpikeForward(cloneList(list), w, b, y, out);
        assert.deepEqual(y, want, `${label} fwd ${rows}x${inF}->${out} d=${d}`);
        const gw = Float32Array.from(gw0);
        k.linearSpikeWeightGrad(list, gy, gw, out);
        assertClose(gw, wantGw, 1e-5, 1e-5, `${label} gw ${rows}x${inF}->${out} d=${d}`);
        gws.push(gw);
      }
      // few outputs split over rows: partial sums make the result depend on the pieces, never on who runs them
      assertSameForSameParts(variants, gws, `gw ${rows}x${inF}->${out} d=${d}`);
    }
  }
});

test("wasm event-driven conv equals the twin: forward bit for bit, weight gradient within rounding and bit for bit per piece count", () => {
  const rng = new Rng(23);
  const shapes: ConvShape[] = [
    { n: 2, cin: 3, h: 8, w: 7, cout: 37, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { n: 1, cin: 1, h: 1, w: 1, cout: 1, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
    { n: 2, cin: 2, h: 9, w: 9, cout: 6, kh: 5, kw: 3, strideH: 2, strideW: 3, padH: 2, padW: 0 },
  ];
  for (let i = 0; i < 9; i++) shapes.push(randomConvShape(rng));
  let trial = 0;
  for (const s of shapes) {
    for (const d of densities) {
      if (trial++ % 2 === 1 && d !== 0.5) continue; // keep the run short: random shapes at half the densities
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      const list = listOf(randomSpikes(rng, s.n * s.cin * s.h * s.w, d), s.n, s.cin * s.h * s.w);
      const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
      const b = s.cout % 2 === 1 ? randomF32(rng, s.cout) : null;
      const want = new Float32Array(s.n * s.cout * ho * wo);
      ref.conv2dSpikeForward(list, w, b, want, s);
      const gy = randomF32(rng, want.length);
      const gw0 = randomF32(rng, w.length);
      const wantGw = Float32Array.from(gw0);
      ref.conv2dSpikeWeightGrad(list, gy, wantGw, s);
      const gws: Float32Array[] = [];
      for (const { label, k } of variants) {
        const y = new Float32Array(want.length).fill(Number.NaN);
        k.conv2dSpikeForward(list, w, b, y, s);
        assert.deepEqual(y, want, `${label} conv fwd ${JSON.stringify(s)} d=${d}`);
        const gw = Float32Array.from(gw0);
        k.conv2dSpikeWeightGrad(list, gy, gw, s);
        assertClose(gw, wantGw, 1e-4, 1e-5, `${label} conv gw ${JSON.stringify(s)} d=${d}`);
        gws.push(gw);
      }
      // split over images, the partial sums make the result depend on the pieces, never on who runs them
      assertSameForSameParts(variants, gws, `conv gw ${JSON.stringify(s)} d=${d}`);
    }
  }
});

test("out-of-range indices: the twins reject them, the wasm kernels skip them without touching other memory", () => {
  const rng = new Rng(24);
  const rows = 3;
  const inF = 6;
  const out = 5;
  const good = listOf(randomSpikes(rng, rows * inF, 0.5), rows, inF);
  // The same list with bad entries (rowLen, -1, a huge index) spliced into row 1.
  const idx = [
    ...good.idx.subarray(0, good.offsets[1]!),
    inF,
    -1,
    1 << 30,
    ...good.idx.subarray(good.offsets[1]!, good.offsets[rows]!),
  ];
  const offsets = Int32Array.from(good.offsets, (o, r) => (r >= 2 ? o + 3 : o));
  const bad: SpikeList = { rows, rowLen: inF, idx: Int32Array.from(idx), offsets };
  const w = randomF32(rng, out * inF);
  const gy = randomF32(rng, rows * out);
  assert.throws(() => ref.linearSpikeForward(bad, w, null, new Float32Array(rows * out), out), /outside \[0, rowLen/);
  const want = new Float32Array(rows * out);
  ref.linearSpikeForward(good, w, null, want, out);
  const wantGw = new Float32Array(out * inF);
  ref.linearSpikeWeightGrad(good, gy, wantGw, out);
  const s: ConvShape = {
    n: rows,
    cin: 1,
    h: 2,
    w: 3,
    cout: out,
    kh: 2,
    kw: 2,
    strideH: 1,
    strideW: 1,
    padH: 1,
    padW: 1,
  };
  const cw = randomF32(rng, out * 4);
  const wantConv = new Float32Array(rows * out * 3 * 4);
  ref.conv2dSpikeForward(good, cw, null, wantConv, s);
  const cgy = randomF32(rng, wantConv.length);
  const wantConvGw = new Float32Array(cw.length);
  ref.conv2dSpikeWeightGrad(good, cgy, wantConvGw, s);
  for (const { label, k } of variants) {
    const y = new Float32Array(rows * out);
    k.linearSpikeForward(bad, w, null, y, out);
    assert.deepEqual(y, want, label);
    const gw = new Float32Array(out * inF);
    k.linearSpikeWeightGrad(bad, gy, gw, out);
    assertClose(gw, wantGw, 1e-6, 1e-6, label);
    const yc = new Float32Array(wantConv.length);
    k.conv2dSpikeForward(bad, cw, null, yc, s);
    assert.deepEqual(yc, wantConv, label);
    const gwc = new Float32Array(cw.length);
    k.conv2dSpikeWeightGrad(bad, cgy, gwc, s);
    assertClose(gwc, wantConvGw, 1e-5, 1e-5, label);
  }
});

const zeros = (n: number): Float32Array => new Float32Array(n);
const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

test("conv epilogue (batch norm, 2×2 average pool): wasm equals the twin, and the twin equals the three kernels in turn", () => {
  const rng = new Rng(29);
  const shapes: ConvShape[] = [
    { n: 3, cin: 5, h: 9, w: 8, cout: 37, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { n: 2, cin: 3, h: 11, w: 7, cout: 6, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 1, padW: 0 },
    { n: 4, cin: 16, h: 12, w: 12, cout: 70, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  ];
  for (const s of shapes) {
    const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
    const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
    for (const d of [0, 0.1, 0.5]) {
      const list = listOf(randomSpikes(rng, s.n * s.cin * s.h * s.w, d), s.n, s.cin * s.h * s.w);
      const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
      const b = randomF32(rng, s.cout);
      const bn = { scale: randomF32(rng, s.cout), shift: randomF32(rng, s.cout) };
      // the three kernels in turn, on the twins
      const conv = new Float32Array(s.n * s.cout * ho * wo);
      ref.conv2dSpikeForward(list, w, b, conv, s);
      const normed = new Float32Array(conv.length);
      const denseRef = createReferenceEngine();
      denseRef.batchNormForwardEval(
        conv,
        bn.scale,
        bn.shift,
        zeros(s.cout),
        ones(s.cout),
        normed,
        { n: s.n, c: s.cout, hw: ho * wo },
        0,
      );
      const pooled = new Float32Array(s.n * s.cout * Math.floor(ho / 2) * Math.floor(wo / 2));
      denseRef.avgPool2dForward(normed, pooled, { n: s.n, c: s.cout, h: ho, w: wo, k: 2, stride: 2 });
      for (const [label, epilogue, want] of [
        ["bn", { batchNorm: bn }, normed],
        ["pool", { avgPool2: true }, null],
        ["bn+pool", { batchNorm: bn, avgPool2: true }, pooled],
      ] as const) {
        const twin = new Float32Array(epilogue.avgPool2 ? pooled.length : conv.length);
        ref.conv2dSpikeForward(list, w, b, twin, s, epilogue);
        if (want !== null) assert.deepEqual(twin, want, `twin ${label} ${JSON.stringify(s)} d=${d}`);
        for (const { label: v, k } of variants) {
          const y = new Float32Array(twin.length).fill(Number.NaN);
          k.conv2dSpikeForward(list, w, b, y, s, epilogue);
          assert.deepEqual(y, twin, `${v} ${label} ${JSON.stringify(s)} d=${d}`);
        }
      }
    }
  }
});

test("conv on a list with values (event counts) equals the dense wasm conv of the same input, bit for bit", async () => {
  const rng = new Rng(37);
  const dense = await createWasmEngine({ threads: 2 });
  try {
    const shapes: ConvShape[] = [
      { n: 5, cin: 2, h: 12, w: 11, cout: 37, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
      { n: 3, cin: 2, h: 9, w: 10, cout: 16, kh: 5, kw: 3, strideH: 2, strideW: 1, padH: 2, padW: 1 },
      { n: 2, cin: 28, h: 6, w: 6, cout: 8, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 }, // depth 252
    ];
    for (const s of shapes) {
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      for (const d of [0, 0.05, 0.3, 1]) {
        const rowLen = s.cin * s.h * s.w;
        // counts 1..4 at density d, and some negative values: the equality does not depend on the sign
        const x = new Float32Array(s.n * rowLen);
        for (let i = 0; i < x.length; i++) if (rng.uniform() < d) x[i] = rng.uniform() < 0.9 ? 1 + rng.int(4) : -0.5;
        const list = listOf(
          Uint8Array.from(x, (v) => (v !== 0 ? 1 : 0)),
          s.n,
          rowLen,
        );
        list.values = Float32Array.from(list.idx.subarray(0, list.offsets[s.n]!), (p, k) => {
          let row = 0;
          while (list.offsets[row + 1]! <= k) row++;
          return x[row * rowLen + p]!;
        });
        const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
        const b = randomF32(rng, s.cout);
        const want = dense.allocF32(s.n * s.cout * ho * wo);
        const xe = dense.allocF32(x.length);
        xe.set(x);
        dense.conv2dForward(xe, w, b, want, s);
        const twin = new Float32Array(want.length);
        ref.conv2dSpikeForward(list, w, b, twin, s);
        assert.deepEqual(twin, Float32Array.from(want), `twin ${JSON.stringify(s)} d=${d}`);
        for (const { label, k } of variants) {
          const y = new Float32Array(want.length).fill(Number.NaN);
          k.conv2dSpikeForward(list, w, b, y, s);
          assert.deepEqual(y, twin, `${label} ${JSON.stringify(s)} d=${d}`);
        }
        dense.free(want);
        dense.free(xe);
      }
    }
    // lists with values are for the conv forward only
    const list = listOf(new Uint8Array([1, 0, 1, 0]), 1, 4);
    list.values = new Float32Array([2, 3]);
    assert.throws(() => ref.linearSpikeForward(list, new Float32Array(8), null, new Float32Array(2), 2), /values/);
  } finally {
    dense.close();
  }
});

// Every dense wasm kernel against its pure-TS twin on random shapes, including edge sizes (1, odd, not multiples of
// the SIMD width or of the GEMM tiles), at 1 and 2 threads with every splittable call split. Inputs come both as
// engine allocations (used in place) and as plain arrays (staged through wasm memory).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { type ConvShape, convOutSize, type Engine, type PoolShape } from "../../src/engine/api.js";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { createWasmEngine, type WasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, randF32 } from "./helpers.js";

const ref = createReferenceEngine();
const engines: WasmEngine[] = [];
after(() => {
  for (const e of engines) e.close();
});

async function wasmEngines(): Promise<WasmEngine[]> {
  if (engines.length === 0) {
    engines.push(await createWasmEngine({ threads: 1 }));
    engines.push(await createWasmEngine({ threads: 2, alwaysSplit: true }));
  }
  return engines;
}

/** Copies `a` into an engine allocation half of the time, so both the in-place and the staged paths run. */
function place(e: Engine, a: Float32Array, rng: Rng): Float32Array {
  if (rng.uniform() < 0.5) return a.slice();
  const v = e.allocF32(a.length);
  v.set(a);
  return v;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Relative to the output's scale: sums of many products lose a few ulps of their largest terms. */
function closeScaled(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 2e-5): void {
  assertClose(got, want, what, 0, rel * Math.max(1, maxAbs(want)));
}

test("gemm matches the twin for all transposes, edge shapes, alpha/beta and beta = 0 over NaN", async () => {
  const rng = new Rng(11);
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 9, 5],
    [7, 1, 3],
    [5, 7, 3],
    [13, 17, 29],
    [33, 65, 130],
    [70, 9, 300],
    [3, 2100, 5],
    [9, 4, 0],
  ];
  for (const e of await wasmEngines()) {
    for (const [m, n, k] of shapes) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const a = randF32(rng, m * k);
        const b = randF32(rng, k * n);
        const [alpha, beta] = rng.uniform() < 0.5 ? [1, 0] : [0.7, -0.3];
        const c0 = beta === 0 ? new Float32Array(m * n).fill(Number.NaN) : randF32(rng, m * n);
        const want = c0.slice();
        ref.gemm(ta, tb, m, n, k, alpha, a, b, beta, want);
        const got = place(e, c0, rng);
        e.gemm(ta, tb, m, n, k, alpha, place(e, a, rng), place(e, b, rng), beta, got);
        closeScaled(got, want, `gemm t${e.threads} ${m}x${n}x${k} ta=${ta} tb=${tb}`);
      }
    }
  }
});

const convShapes: ConvShape[] = [
  { n: 2, cin: 3, h: 5, w: 6, cout: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { n: 1, cin: 5, h: 9, w: 7, cout: 6, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { n: 3, cin: 2, h: 7, w: 5, cout: 3, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 0, padW: 1 },
  { n: 2, cin: 4, h: 4, w: 4, cout: 5, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
  { n: 1, cin: 2, h: 6, w: 6, cout: 9, kh: 5, kw: 5, strideH: 2, strideW: 2, padH: 2, padW: 2 },
  { n: 1, cin: 1, h: 1, w: 1, cout: 1, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
  { n: 5, cin: 2, h: 11, w: 13, cout: 8, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { n: 2, cin: 16, h: 8, w: 8, cout: 12, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
];

test("conv2d forward, input gradient and weight gradient match the twins", async () => {
  const rng = new Rng(12);
  for (const e of await wasmEngines()) {
    for (const s of convShapes) {
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      const tag = `t${e.threads} ${JSON.stringify(s)}`;
      const x = randF32(rng, s.n * s.cin * s.h * s.w);
      const w = randF32(rng, s.cout * s.cin * s.kh * s.kw);
      const bias = rng.uniform() < 0.5 ? null : randF32(rng, s.cout);
      const gy = randF32(rng, s.n * s.cout * ho * wo);
      const yWant = new Float32Array(gy.length);
      ref.conv2dForward(x, w, bias, yWant, s);
      const y = place(e, new Float32Array(gy.length).fill(Number.NaN), rng);
      e.conv2dForward(place(e, x, rng), place(e, w, rng), bias && place(e, bias, rng), y, s);
      closeScaled(y, yWant, `conv fwd ${tag}`);

      const gxWant = new Float32Array(x.length);
      ref.conv2dBackwardInput(gy, w, gxWant, s);
      const gx = place(e, new Float32Array(x.length).fill(Number.NaN), rng);
      e.conv2dBackwardInput(place(e, gy, rng), place(e, w, rng), gx, s);
      closeScaled(gx, gxWant, `conv dx ${tag}`);

      const gw0 = randF32(rng, w.length);
      const gb0 = randF32(rng, s.cout);
      const gwWant = gw0.slice();
      const gbWant = gb0.slice();
      ref.conv2dBackwardWeight(x, gy, gwWant, gbWant, s);
      const gw = place(e, gw0, rng);
      const gb = place(e, gb0, rng);
      e.conv2dBackwardWeight(place(e, x, rng), place(e, gy, rng), gw, gb, s);
      closeScaled(gw, gwWant, `conv dw ${tag}`);
      closeScaled(gb, gbWant, `conv db ${tag}`);
      const gwNoBias = gw0.slice();
      e.conv2dBackwardWeight(x, gy, gwNoBias, null, s);
      closeScaled(gwNoBias, gwWant, `conv dw without bias ${tag}`);
    }
  }
});

const poolShapes: PoolShape[] = [
  { n: 2, c: 3, h: 4, w: 6, k: 2, stride: 2 },
  { n: 1, c: 2, h: 5, w: 5, k: 3, stride: 1 },
  { n: 1, c: 1, h: 7, w: 3, k: 2, stride: 3 },
  { n: 3, c: 5, h: 1, w: 1, k: 1, stride: 1 },
  { n: 2, c: 4, h: 9, w: 11, k: 2, stride: 2 },
  { n: 1, c: 3, h: 16, w: 18, k: 2, stride: 2 },
];

test("avg and max pooling forward and backward match the twins", async () => {
  const rng = new Rng(13);
  for (const e of await wasmEngines()) {
    for (const s of poolShapes) {
      const tag = `t${e.threads} ${JSON.stringify(s)}`;
      const outLen = s.n * s.c * convOutSize(s.h, s.k, s.stride, 0) * convOutSize(s.w, s.k, s.stride, 0);
      const x = randF32(rng, s.n * s.c * s.h * s.w);
      // some ties, so "first max wins" is exercised
      for (let i = 0; i < x.length; i += 3) x[i] = 0.5;
      const gy = randF32(rng, outLen);
      const want = new Float32Array(outLen);
      const got = place(e, new Float32Array(outLen), rng);
      ref.avgPool2dForward(x, want, s);
      e.avgPool2dForward(place(e, x, rng), got, s);
      closeScaled(got, want, `avgpool fwd ${tag}`);
      const gxWant = new Float32Array(x.length);
      const gx = place(e, new Float32Array(x.length).fill(Number.NaN), rng);
      ref.avgPool2dBackward(gy, gxWant, s);
      e.avgPool2dBackward(place(e, gy, rng), gx, s);
      closeScaled(gx, gxWant, `avgpool bwd ${tag}`);

      const argWant = new Int32Array(outLen);
      const arg = new Int32Array(outLen);
      ref.maxPool2dForward(x, want, argWant, s);
      e.maxPool2dForward(place(e, x, rng), got, arg, s);
      assert.deepEqual(Array.from(got), Array.from(want), `maxpool fwd ${tag}`);
      assert.deepEqual(Array.from(arg), Array.from(argWant), `maxpool argmax ${tag}`);
      ref.maxPool2dBackward(gy, argWant, gxWant, s);
      e.maxPool2dBackward(place(e, gy, rng), arg, gx, s);
      closeScaled(gx, gxWant, `maxpool bwd ${tag}`);
    }
    const bad = new Int32Array(4).fill(1000);
    assert.throws(
      () =>
        e.maxPool2dBackward(new Float32Array(4), bad, new Float32Array(16), {
          n: 1,
          c: 1,
          h: 4,
          w: 4,
          k: 2,
          stride: 2,
        }),
      /argmax\[0\] = 1000 is outside x/,
    );
  }
});

test("batch norm train/eval forward and backward match the twins", async () => {
  const rng = new Rng(14);
  for (const e of await wasmEngines()) {
    for (const s of [
      { n: 3, c: 2, hw: 5 },
      { n: 7, c: 3, hw: 1 },
      { n: 1, c: 1, hw: 2 },
      { n: 4, c: 5, hw: 16 },
      { n: 2, c: 6, hw: 13 },
    ]) {
      const tag = `t${e.threads} ${JSON.stringify(s)}`;
      const total = s.n * s.c * s.hw;
      // an offset mean checks that the statistics do not cancel catastrophically
      const x = randF32(rng, total).map((v) => v * 2 + 3);
      const gamma = randF32(rng, s.c);
      const beta = randF32(rng, s.c);
      const rm0 = randF32(rng, s.c);
      const rv0 = randF32(rng, s.c).map((v) => Math.abs(v) + 0.5);
      const outs = () => ({
        y: new Float32Array(total),
        mean: new Float32Array(s.c),
        inv: new Float32Array(s.c),
        rm: rm0.slice(),
        rv: rv0.slice(),
      });
      const w = outs();
      ref.batchNormForwardTrain(x, gamma, beta, w.y, w.mean, w.inv, w.rm, w.rv, s, 0.1, 1e-5);
      const g = outs();
      const gy = place(e, g.y, rng);
      const [gm, gi, grm, grv] = [g.mean, g.inv, g.rm, g.rv].map((a) => place(e, a, rng)) as Float32Array[];
      e.batchNormForwardTrain(place(e, x, rng), gamma, beta, gy, gm!, gi!, grm!, grv!, s, 0.1, 1e-5);
      closeScaled(gy, w.y, `bn train y ${tag}`, 1e-5);
      assertClose(gm!, w.mean, `bn mean ${tag}`, 1e-6, 1e-6);
      assertClose(gi!, w.inv, `bn invstd ${tag}`, 1e-5, 1e-6);
      assertClose(grm!, w.rm, `bn running mean ${tag}`, 1e-6, 1e-6);
      assertClose(grv!, w.rv, `bn running var ${tag}`, 1e-5, 1e-6);

      const yEval = new Float32Array(total);
      ref.batchNormForwardEval(x, gamma, beta, rm0, rv0, yEval, s, 1e-5);
      const yEvalGot = place(e, new Float32Array(total), rng);
      e.batchNormForwardEval(place(e, x, rng), gamma, beta, rm0, rv0, yEvalGot, s, 1e-5);
      // both engines apply the same f32 affine map (engine/batchnorm-affine.ts): equal bit for bit
      assert.deepEqual(Array.from(yEvalGot), Array.from(yEval), `bn eval ${tag}`);

      const dy = randF32(rng, total);
      const gg0 = randF32(rng, s.c);
      const gb0 = randF32(rng, s.c);
      const want = { gx: new Float32Array(total), gg: gg0.slice(), gb: gb0.slice() };
      ref.batchNormBackward(dy, x, gamma, w.mean, w.inv, want.gx, want.gg, want.gb, s);
      const gx = place(e, new Float32Array(total).fill(Number.NaN), rng);
      const gg = place(e, gg0, rng);
      const gb = place(e, gb0, rng);
      e.batchNormBackward(place(e, dy, rng), x, gamma, w.mean, w.inv, gx, gg, gb, s);
      closeScaled(gx, want.gx, `bn dx ${tag}`, 1e-5);
      closeScaled(gg, want.gg, `bn dgamma ${tag}`, 1e-5);
      closeScaled(gb, want.gb, `bn dbeta ${tag}`, 1e-5);
    }
  }
});

test("batch norm of FC layers (hw 1) in blocks of eight channels equals the per-channel kernel bit for bit", async () => {
  const rng = new Rng(16);
  /** Column ch of x [n, c] as an [n, 1] array. */
  const column = (x: Float32Array, n: number, c: number, ch: number) =>
    Float32Array.from({ length: n }, (_, b) => x[b * c + ch]!);
  for (const e of await wasmEngines()) {
    for (const [n, c] of [
      [5, 8],
      [33, 20],
      [64, 131],
      [2, 17],
    ] as const) {
      const tag = `t${e.threads} n=${n} c=${c}`;
      const s = { n, c, hw: 1 };
      // an offset mean, and exact zeros, as spike-driven currents have
      const x = randF32(rng, n * c).map((v, i) => (i % 7 === 0 ? 0 : v * 2 + 3));
      const gamma = randF32(rng, c);
      const beta = randF32(rng, c);
      const rm = randF32(rng, c);
      const rv = randF32(rng, c).map((v) => Math.abs(v) + 0.5);
      const y = new Float32Array(n * c);
      const [mean, inv, rmOut, rvOut] = [c, c, 0, 0].map(() => new Float32Array(c));
      rmOut!.set(rm);
      rvOut!.set(rv);
      e.batchNormForwardTrain(x, gamma, beta, y, mean!, inv!, rmOut!, rvOut!, s, 0.1, 1e-5);
      const yEval = new Float32Array(n * c);
      e.batchNormForwardEval(x, gamma, beta, rm, rv, yEval, s, 1e-5);
      const gy = randF32(rng, n * c).map((v, i) => (i % 5 === 0 ? -0 : v));
      const gx = new Float32Array(n * c);
      const gg = randF32(rng, c);
      const gb = randF32(rng, c);
      const [gg0, gb0] = [gg.slice(), gb.slice()];
      e.batchNormBackward(gy, x, gamma, mean!, inv!, gx, gg, gb, s);
      for (let ch = 0; ch < c; ch++) {
        const one = { n, c: 1, hw: 1 };
        const at = (a: Float32Array) => a.subarray(ch, ch + 1);
        const xc = column(x, n, c, ch);
        const want = { y: new Float32Array(n), mean: new Float32Array(1), inv: new Float32Array(1) };
        const [wrm, wrv] = [rm.slice(ch, ch + 1), rv.slice(ch, ch + 1)];
        e.batchNormForwardTrain(xc, at(gamma), at(beta), want.y, want.mean, want.inv, wrm, wrv, one, 0.1, 1e-5);
        assert.deepEqual(Array.from(column(y, n, c, ch)), Array.from(want.y), `y ${tag} ch ${ch}`);
        assert.deepEqual([mean![ch], inv![ch], rmOut![ch], rvOut![ch]], [want.mean[0], want.inv[0], wrm[0], wrv[0]]);
        const wantEval = new Float32Array(n);
        e.batchNormForwardEval(xc, at(gamma), at(beta), at(rm), at(rv), wantEval, one, 1e-5);
        assert.deepEqual(Array.from(column(yEval, n, c, ch)), Array.from(wantEval), `eval ${tag} ch ${ch}`);
        const wgx = new Float32Array(n);
        const [wgg, wgb] = [gg0.slice(ch, ch + 1), gb0.slice(ch, ch + 1)];
        e.batchNormBackward(column(gy, n, c, ch), xc, at(gamma), at(mean!), at(inv!), wgx, wgg, wgb, one);
        assert.deepEqual(Array.from(column(gx, n, c, ch)), Array.from(wgx), `gx ${tag} ch ${ch}`);
        assert.deepEqual([gg[ch], gb[ch]], [wgg[0], wgb[0]], `gγ gβ ${tag} ch ${ch}`);
      }
    }
  }
});

test("adam and the elementwise helpers match the twins", async () => {
  const rng = new Rng(15);
  for (const e of await wasmEngines()) {
    for (const n of [1, 3, 4, 7, 1001]) {
      const tag = `t${e.threads} n=${n}`;
      const p0 = randF32(rng, n);
      const g = randF32(rng, n);
      const m0 = randF32(rng, n, 0.1);
      const v0 = randF32(rng, n, 0.1).map(Math.abs);
      const params = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 3, weightDecay: 0.01 };
      const want = { p: p0.slice(), m: m0.slice(), v: v0.slice() };
      ref.adam(want.p, g, want.m, want.v, params);
      const [pp, mm, vv] = [p0, m0, v0].map((a) => place(e, a, rng)) as Float32Array[];
      e.adam(pp!, place(e, g, rng), mm!, vv!, params);
      assertClose(pp!, want.p, `adam param ${tag}`, 1e-6, 1e-7);
      assertClose(mm!, want.m, `adam m ${tag}`, 1e-6, 1e-7);
      assertClose(vv!, want.v, `adam v ${tag}`, 1e-5, 1e-8);

      const a = randF32(rng, n);
      const b = randF32(rng, n);
      const check = (name: string, run: (k: Engine, y: Float32Array) => void, y0: Float32Array): void => {
        const w = y0.slice();
        run(ref, w);
        const y = place(e, y0, rng);
        run(e, y);
        assertClose(y, w, `${name} ${tag}`, 1e-6, 1e-7);
      };
      check("fill", (k, y) => k.fill(y, 2.5), randF32(rng, n));
      check("copy", (k, y) => k.copy(place(e, a, rng), y), randF32(rng, n));
      check("add", (k, y) => k.add(place(e, a, rng), b, y), randF32(rng, n));
      check("mul", (k, y) => k.mul(a, place(e, b, rng), y), randF32(rng, n));
      check("scale", (k, y) => k.scale(a, -1.5, y), randF32(rng, n));
      check("axpy", (k, y) => k.axpy(0.3, place(e, a, rng), y), randF32(rng, n));
      check("add in place", (k, y) => k.add(y, b, y), randF32(rng, n));
    }
    for (const [outer, c, inner] of [
      [1, 1, 1],
      [3, 5, 7],
      [2, 4, 16],
      [9, 130, 1],
    ] as const) {
      const y0 = randF32(rng, outer * c * inner);
      const bias = randF32(rng, c);
      const want = y0.slice();
      ref.addChannelBias(want, bias, outer, c, inner);
      const y = place(e, y0, rng);
      e.addChannelBias(y, place(e, bias, rng), outer, c, inner);
      assertClose(y, want, `addChannelBias ${outer}x${c}x${inner}`, 1e-6, 1e-7);
      const gbWant = bias.slice();
      ref.channelBiasGrad(y0, gbWant, outer, c, inner);
      const gb = place(e, bias, rng);
      e.channelBiasGrad(place(e, y0, rng), gb, outer, c, inner);
      assertClose(gb, gbWant, `channelBiasGrad ${outer}x${c}x${inner}`, 1e-6, 1e-6);
      if (inner === 1) {
        // FC rows are summed four channels at a time: each channel's sum equals the single-channel kernel's
        for (let ch = 0; ch < c; ch++) {
          const one = bias.slice(ch, ch + 1);
          e.channelBiasGrad(
            Float32Array.from({ length: outer }, (_, o) => y0[o * c + ch]!),
            one,
            outer,
            1,
            1,
          );
          assert.equal(gb[ch], one[0], `channelBiasGrad column ${ch}`);
        }
      }
    }
  }
});

test("bad shapes give clear errors", async () => {
  const [e] = await wasmEngines();
  assert.throws(
    () => e!.gemm(false, false, 2, 2, 2, 1, new Float32Array(3), new Float32Array(4), 0, new Float32Array(4)),
    /gemm A: array of length 3, need at least 4/,
  );
  const s: ConvShape = { n: 1, cin: 1, h: 2, w: 2, cout: 1, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 0, padW: 0 };
  assert.throws(
    () => e!.conv2dForward(new Float32Array(4), new Float32Array(9), null, new Float32Array(1), s),
    /does not fit/,
  );
  assert.throws(() => e!.add(new Float32Array(2), new Float32Array(3), new Float32Array(2)), /must match/);
  assert.throws(
    () =>
      e!.batchNormForwardTrain(
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        new Float32Array(1),
        { n: 1, c: 1, hw: 1 },
        0.1,
        1e-5,
      ),
    /more than 1 value/,
  );
});

/** Random 0/1 bytes (spikes) and the same values as floats. */
function spikeBytes(rng: Rng, n: number): [Uint8Array, Float32Array] {
  const b = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  return [b, Float32Array.from(b)];
}

test("gemm, conv forward and conv weight gradient on spike bytes: bit-identical to the same values as f32, and to the twin", async () => {
  const rng = new Rng(14);
  for (const e of await wasmEngines()) {
    for (const [m, n, k] of [
      [1, 1, 1],
      [5, 7, 3],
      [13, 17, 29],
      [33, 65, 300],
      [3, 2100, 5],
    ] as [number, number, number][]) {
      for (const ta of [false, true]) {
        const a = randF32(rng, m * k);
        const [b8, b32] = spikeBytes(rng, k * n);
        const c0 = randF32(rng, m * n);
        const want = c0.slice();
        e.gemm(ta, false, m, n, k, 0.7, a, b32, 1, want);
        const onBytes = place(e, c0, rng);
        const bytes = rng.uniform() < 0.5 ? b8 : e.allocU8(b8.length);
        bytes.set(b8);
        e.gemm(ta, false, m, n, k, 0.7, place(e, a, rng), bytes, 1, onBytes);
        assert.deepEqual(onBytes, want, `gemm on bytes t${e.threads} ${m}x${n}x${k} ta=${ta}`);
        const twin = c0.slice();
        ref.gemm(ta, false, m, n, k, 0.7, a, b8, 1, twin);
        closeScaled(onBytes, twin, `gemm on bytes vs twin t${e.threads} ${m}x${n}x${k}`);
      }
    }
    assert.throws(
      () => e.gemm(false, true, 1, 1, 1, 1, new Float32Array(1), new Uint8Array(1), 0, new Float32Array(1)),
      /B as bytes must not be transposed/,
    );
    for (const s of convShapes) {
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      const [x8, x32] = spikeBytes(rng, s.n * s.cin * s.h * s.w);
      const gy = randF32(rng, s.n * s.cout * ho * wo);
      const gw0 = randF32(rng, s.cout * s.cin * s.kh * s.kw);
      const gb0 = randF32(rng, s.cout);
      const [gwWant, gbWant] = [gw0.slice(), gb0.slice()];
      e.conv2dBackwardWeight(x32, gy, gwWant, gbWant, s);
      const [gw, gb] = [place(e, gw0, rng), place(e, gb0, rng)];
      const x = rng.uniform() < 0.5 ? x8 : e.allocU8(x8.length);
      x.set(x8);
      e.conv2dBackwardWeight(x, place(e, gy, rng), gw, gb, s);
      const tag = `t${e.threads} ${JSON.stringify(s)}`;
      assert.deepEqual(gw, gwWant, `conv dw on bytes ${tag}`);
      assert.deepEqual(gb, gbWant, `conv db on bytes ${tag}`);
      const twin = gw0.slice();
      ref.conv2dBackwardWeight(x8, gy, twin, null, s);
      closeScaled(gw, twin, `conv dw on bytes vs twin ${tag}`);
      const w = randF32(rng, gw0.length);
      const yWant = new Float32Array(gy.length);
      e.conv2dForward(x32, w, gb0, yWant, s);
      const y = place(e, new Float32Array(gy.length).fill(Number.NaN), rng);
      e.conv2dForward(x, place(e, w, rng), gb0, y, s);
      assert.deepEqual(y, yWant, `conv fwd on bytes ${tag}`);
      const yTwin = new Float32Array(gy.length);
      ref.conv2dForward(x8, w, gb0, yTwin, s);
      closeScaled(y, yTwin, `conv fwd on bytes vs twin ${tag}`);
    }
  }
});

test("scaleRows, mulRepeated, rowDots, rowMeans and addRows equal their twins bit for bit (every split, in place too); bad shapes are refused", async () => {
  const rng = new Rng(23);
  for (const e of await wasmEngines()) {
    for (const [rows, f] of [
      [1, 1],
      [3, 5],
      [17, 4],
      [130, 33],
    ] as const) {
      const tag = `t${e.threads} ${rows}x${f}`;
      const x = randF32(rng, rows * f);
      const w = randF32(rng, rows);
      const want = new Float32Array(x.length);
      ref.scaleRows(x, w, want);
      const out = place(e, new Float32Array(x.length), rng);
      e.scaleRows(place(e, x, rng), place(e, w, rng), out);
      assert.deepEqual(out, want, `scaleRows ${tag}`);
      const inPlace = place(e, x, rng);
      e.scaleRows(inPlace, w, inPlace);
      assert.deepEqual(inPlace, want, `scaleRows in place ${tag}`);

      const m = randF32(rng, f);
      ref.mulRepeated(x, m, want);
      e.mulRepeated(place(e, x, rng), place(e, m, rng), out);
      assert.deepEqual(out, want, `mulRepeated ${tag}`);

      const b = randF32(rng, rows * f);
      const mask = Uint8Array.from({ length: rows }, () => (rng.uniform() < 0.3 ? 0 : 1));
      for (const mk of [null, mask]) {
        const dots = new Float32Array(rows);
        ref.rowDots(x, b, mk, dots);
        const got = place(e, new Float32Array(rows).fill(9), rng);
        e.rowDots(place(e, x, rng), place(e, b, rng), mk, got);
        assert.deepEqual(got, dots, `rowDots ${tag} mask ${mk !== null}`);
        // the twin is the float64 sum in index order, rounded once
        for (let r = 0; r < rows; r++) {
          let s = 0;
          if (mk === null || mk[r] === 1) for (let i = 0; i < f; i++) s += x[r * f + i]! * b[r * f + i]!;
          assert.equal(dots[r], Math.fround(s));
        }
      }
    }
    for (const [rows, f] of [
      [1, 1],
      [5, 3],
      [130, 33],
    ] as const) {
      const x = randF32(rng, rows * f);
      const means = new Float32Array(rows);
      ref.rowMeans(x, means);
      const got = place(e, new Float32Array(rows), rng);
      e.rowMeans(place(e, x, rng), got);
      assert.deepEqual(got, means, `rowMeans t${e.threads} ${rows}x${f}`);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < f; i++) s += x[r * f + i]!;
        assert.equal(means[r], Math.fround(s / f), "rowMeans: the float64 sum in index order, divided, rounded once");
      }
      const v = Float64Array.from({ length: rows }, () => rng.normal() / 3);
      const want = x.slice();
      ref.addRows(want, v);
      for (let i = 0; i < x.length; i++) assert.equal(want[i], Math.fround(x[i]! + v[Math.floor(i / f)]!));
      const y = place(e, x, rng);
      e.addRows(y, v);
      assert.deepEqual(y, want, `addRows t${e.threads} ${rows}x${f}`);
    }
    for (const k of [ref, e]) {
      assert.throws(
        () => k.scaleRows(new Float32Array(7), new Float32Array(2), new Float32Array(7)),
        /scaleRows: 7 values/,
      );
      assert.throws(() => k.mulRepeated(new Float32Array(7), new Float32Array(2), new Float32Array(7)), /mulRepeated/);
      assert.throws(
        () => k.rowDots(new Float32Array(6), new Float32Array(6), new Uint8Array(2), new Float32Array(3)),
        /rowDots: mask has 2 bytes for 3 rows/,
      );
      assert.throws(
        () => k.rowMeans(new Float32Array(7), new Float32Array(2)),
        /rowMeans: 7 values do not split into 2 rows/,
      );
      assert.throws(
        () => k.addRows(new Float32Array(7), new Float64Array(2)),
        /addRows: 7 values do not split into 2 rows/,
      );
    }
  }
});

// Batch norm of fully connected layers (x [n, c], hw = 1) eight channels at a time. The per-channel loops of
// batchnorm.ts walk a column with a stride of c floats, one cache line per value; here each row's eight
// neighbouring channels are read together. Every channel still sees exactly the scalar loop's operations in the
// same order (float64 sums over rows from 0, the same float32 affine maps), so results are bit for bit those of
// the per-channel code, whatever block a channel falls in. Channels left over after the last block go through the
// per-channel code. (Where the scalar code also adds its zero vector lanes, the sum cannot differ: a float sum that
// starts at +0 never becomes -0, and adding +0 to anything else changes nothing.) Each call gets 256 bytes of
// scratch memory of its own.
import {
  addParamGrads,
  affineShift,
  batchNormBackward,
  batchNormForwardEval,
  batchNormForwardTrain,
  evalScale,
  storeTrainStats,
} from "./batchnorm";

/** Channels per block. */
export const ROW_BLOCK: i32 = 8;

@inline
function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline
function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Sums over the n rows of channels [ch, ch + 8): four float64x2 lanes, into acc (64 bytes). */
@inline
function blockSums(x: usize, n: i32, c: i32, ch: i32, m0: v128, m1: v128, m2: v128, m3: v128, squares: bool, acc: usize): void {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let s2 = f64x2.splat(0);
  let s3 = f64x2.splat(0);
  const stride = <usize>c << 2;
  let p = x + (<usize>ch << 2);
  for (let b = 0; b < n; b++, p += stride) {
    const v = v128.load(p);
    const w = v128.load(p, 16);
    let d0 = f64x2.sub(lo(v), m0);
    let d1 = f64x2.sub(hi(v), m1);
    let d2 = f64x2.sub(lo(w), m2);
    let d3 = f64x2.sub(hi(w), m3);
    if (squares) {
      d0 = f64x2.mul(d0, d0);
      d1 = f64x2.mul(d1, d1);
      d2 = f64x2.mul(d2, d2);
      d3 = f64x2.mul(d3, d3);
    }
    s0 = f64x2.add(s0, d0);
    s1 = f64x2.add(s1, d1);
    s2 = f64x2.add(s2, d2);
    s3 = f64x2.add(s3, d3);
  }
  v128.store(acc, s0);
  v128.store(acc, s1, 16);
  v128.store(acc, s2, 32);
  v128.store(acc, s3, 48);
}

/** y[b, ch..ch+8) = x·scale + shift with the block's float32 scale and shift at affine, affine + 32. */
@inline
function blockAffine(x: usize, y: usize, n: i32, c: i32, ch: i32, affine: usize): void {
  const sc0 = v128.load(affine);
  const sc1 = v128.load(affine, 16);
  const sh0 = v128.load(affine, 32);
  const sh1 = v128.load(affine, 48);
  const stride = <usize>c << 2;
  const o = <usize>ch << 2;
  for (let b = 0; b < n; b++) {
    const q = o + <usize>b * stride;
    v128.store(y + q, f32x4.add(f32x4.mul(v128.load(x + q), sc0), sh0));
    v128.store(y + q, f32x4.add(f32x4.mul(v128.load(x + q, 16), sc1), sh1), 16);
  }
}

/** Training forward of channels [begin, end). */
export function batchNormRowsForwardTrain(
  x: usize,
  gamma: usize,
  beta: usize,
  y: usize,
  saveMean: usize,
  saveInvStd: usize,
  runningMean: usize,
  runningVar: usize,
  n: i32,
  c: i32,
  momentum: f64,
  eps: f64,
  begin: i32,
  end: i32,
  scratch: usize,
): void {
  const count = <f64>n;
  const sums = scratch;
  const affine = scratch + 64;
  const z = f64x2.splat(0);
  let ch = begin;
  for (; ch + ROW_BLOCK <= end; ch += ROW_BLOCK) {
    blockSums(x, n, c, ch, z, z, z, z, false, sums);
    const cnt = f64x2.splat(count);
    const m0 = f64x2.div(v128.load(sums), cnt);
    const m1 = f64x2.div(v128.load(sums, 16), cnt);
    const m2 = f64x2.div(v128.load(sums, 32), cnt);
    const m3 = f64x2.div(v128.load(sums, 48), cnt);
    v128.store(scratch + 128, m0);
    v128.store(scratch + 128, m1, 16);
    v128.store(scratch + 128, m2, 32);
    v128.store(scratch + 128, m3, 48);
    blockSums(x, n, c, ch, m0, m1, m2, m3, true, sums);
    for (let j = 0; j < ROW_BLOCK; j++) {
      const o = <usize>(ch + j) << 2;
      const mean = load<f64>(scratch + 128 + (<usize>j << 3));
      const varB = load<f64>(sums + (<usize>j << 3)) / count;
      const scale = storeTrainStats(o, mean, varB, count, gamma, saveMean, saveInvStd, runningMean, runningVar, momentum, eps);
      // the block's float32 scale and shift, lane j, for the affine pass
      store<f32>(affine + (<usize>j << 2), <f32>scale);
      store<f32>(affine + 32 + (<usize>j << 2), <f32>affineShift(o, beta, mean, scale));
    }
    blockAffine(x, y, n, c, ch, affine);
  }
  batchNormForwardTrain(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, 1, momentum, eps, ch, end);
}

/** Evaluation forward of channels [begin, end). */
export function batchNormRowsForwardEval(
  x: usize,
  gamma: usize,
  beta: usize,
  runningMean: usize,
  runningVar: usize,
  y: usize,
  n: i32,
  c: i32,
  eps: f64,
  begin: i32,
  end: i32,
  scratch: usize,
): void {
  let ch = begin;
  for (; ch + ROW_BLOCK <= end; ch += ROW_BLOCK) {
    for (let j = 0; j < ROW_BLOCK; j++) {
      const o = <usize>(ch + j) << 2;
      const scale = evalScale(o, gamma, runningVar, eps);
      store<f32>(scratch + (<usize>j << 2), <f32>scale);
      store<f32>(scratch + 32 + (<usize>j << 2), <f32>affineShift(o, beta, <f64>load<f32>(runningMean + o), scale));
    }
    blockAffine(x, y, n, c, ch, scratch);
  }
  batchNormForwardEval(x, gamma, beta, runningMean, runningVar, y, n, c, 1, eps, ch, end);
}

/** Backward of channels [begin, end). */
export function batchNormRowsBackward(
  gy: usize,
  x: usize,
  gamma: usize,
  saveMean: usize,
  saveInvStd: usize,
  gx: usize,
  gGamma: usize,
  gBeta: usize,
  n: i32,
  c: i32,
  begin: i32,
  end: i32,
  scratch: usize,
): void {
  const count = <f64>n;
  const stride = <usize>c << 2;
  const z = f64x2.splat(0);
  let ch = begin;
  for (; ch + ROW_BLOCK <= end; ch += ROW_BLOCK) {
    const o = <usize>ch << 2;
    const mv0 = v128.load(saveMean + o);
    const mv1 = v128.load(saveMean + o, 16);
    const m0 = lo(mv0);
    const m1 = hi(mv0);
    const m2 = lo(mv1);
    const m3 = hi(mv1);
    let g0 = z;
    let g1 = z;
    let g2 = z;
    let g3 = z;
    let h0 = z;
    let h1 = z;
    let h2 = z;
    let h3 = z;
    let p = o;
    for (let b = 0; b < n; b++, p += stride) {
      const g = v128.load(gy + p);
      const gg = v128.load(gy + p, 16);
      const v = v128.load(x + p);
      const w = v128.load(x + p, 16);
      const a0 = lo(g);
      const a1 = hi(g);
      const a2 = lo(gg);
      const a3 = hi(gg);
      g0 = f64x2.add(g0, a0);
      g1 = f64x2.add(g1, a1);
      g2 = f64x2.add(g2, a2);
      g3 = f64x2.add(g3, a3);
      h0 = f64x2.add(h0, f64x2.mul(a0, f64x2.sub(lo(v), m0)));
      h1 = f64x2.add(h1, f64x2.mul(a1, f64x2.sub(hi(v), m1)));
      h2 = f64x2.add(h2, f64x2.mul(a2, f64x2.sub(lo(w), m2)));
      h3 = f64x2.add(h3, f64x2.mul(a3, f64x2.sub(hi(w), m3)));
    }
    v128.store(scratch, g0);
    v128.store(scratch, g1, 16);
    v128.store(scratch, g2, 32);
    v128.store(scratch, g3, 48);
    v128.store(scratch + 64, h0);
    v128.store(scratch + 64, h1, 16);
    v128.store(scratch + 64, h2, 32);
    v128.store(scratch + 64, h3, 48);
    // per channel: the same float64 → float32 coefficients as the scalar code
    for (let j = 0; j < ROW_BLOCK; j++) {
      const q = <usize>(ch + j) << 2;
      const sumGy = load<f64>(scratch + (<usize>j << 3));
      const sumGyXc = load<f64>(scratch + 64 + (<usize>j << 3));
      const mean = <f64>load<f32>(saveMean + q);
      const invStd = <f64>load<f32>(saveInvStd + q);
      const sumGyXhat = sumGyXc * invStd;
      const k = addParamGrads(q, sumGy, sumGyXhat, invStd, count, gamma, gGamma, gBeta);
      const l = <usize>j << 2;
      store<f32>(scratch + 128 + l, <f32>(k * count));
      store<f32>(scratch + 160 + l, <f32>(-k * invStd * sumGyXhat));
      store<f32>(scratch + 192 + l, <f32>(-k * sumGy));
      store<f32>(scratch + 224 + l, <f32>mean);
    }
    const va0 = v128.load(scratch + 128);
    const va1 = v128.load(scratch + 128, 16);
    const vb0 = v128.load(scratch + 160);
    const vb1 = v128.load(scratch + 160, 16);
    const vc0 = v128.load(scratch + 192);
    const vc1 = v128.load(scratch + 192, 16);
    const vm0 = v128.load(scratch + 224);
    const vm1 = v128.load(scratch + 224, 16);
    p = o;
    for (let b = 0; b < n; b++, p += stride) {
      const xc0 = f32x4.sub(v128.load(x + p), vm0);
      const xc1 = f32x4.sub(v128.load(x + p, 16), vm1);
      v128.store(gx + p, f32x4.add(f32x4.add(f32x4.mul(v128.load(gy + p), va0), f32x4.mul(xc0, vb0)), vc0));
      v128.store(gx + p, f32x4.add(f32x4.add(f32x4.mul(v128.load(gy + p, 16), va1), f32x4.mul(xc1, vb1)), vc1), 16);
    }
  }
  batchNormBackward(gy, x, gamma, saveMean, saveInvStd, gx, gGamma, gBeta, n, c, 1, ch, end);
}

// Batch norm over x [n, c, hw], statistics per channel in float64; work items are channels, each reduced in a
// fixed order, so results do not depend on the thread count.

// Σ x and Σ x² over one channel's n segments of hw floats.
function channelSum(x: usize, n: i32, c: i32, hw: i32, ch: i32, shift: f64, squares: bool): f64 {
  let acc = f64x2.splat(0);
  let tail: f64 = 0;
  const vs = f64x2.splat(shift);
  for (let b = 0; b < n; b++) {
    const seg = x + ((<usize>(b * c + ch) * hw) << 2);
    let i = 0;
    for (; i + 4 <= hw; i += 4) {
      const v = v128.load(seg + (<usize>i << 2));
      let lo = f64x2.sub(f64x2.promote_low_f32x4(v), vs);
      let hi = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), vs);
      if (squares) {
        lo = f64x2.mul(lo, lo);
        hi = f64x2.mul(hi, hi);
      }
      acc = f64x2.add(acc, f64x2.add(lo, hi));
    }
    for (; i < hw; i++) {
      const d = <f64>load<f32>(seg + (<usize>i << 2)) - shift;
      tail += squares ? d * d : d;
    }
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + tail;
}

// y = x·scale + shift over one channel.
function channelAffine(x: usize, y: usize, n: i32, c: i32, hw: i32, ch: i32, scale: f32, shift: f32): void {
  const vs = f32x4.splat(scale);
  const vt = f32x4.splat(shift);
  for (let b = 0; b < n; b++) {
    const o = (<usize>(b * c + ch) * hw) << 2;
    let i = 0;
    for (; i + 4 <= hw; i += 4) {
      const q = o + (<usize>i << 2);
      v128.store(y + q, f32x4.add(f32x4.mul(v128.load(x + q), vs), vt));
    }
    for (; i < hw; i++) {
      const q = o + (<usize>i << 2);
      store<f32>(y + q, load<f32>(x + q) * scale + shift);
    }
  }
}

// Per-channel coefficients, one definition for the per-channel loops here and the row blocks of
// batchnorm-rows.ts (so both give the same bits).

/** Stores channel o's batch statistics and updated running ones; returns its scale γ·invStd (float64). */
@inline
export function storeTrainStats(
  o: usize,
  mean: f64,
  varB: f64,
  count: f64,
  gamma: usize,
  saveMean: usize,
  saveInvStd: usize,
  runningMean: usize,
  runningVar: usize,
  momentum: f64,
  eps: f64,
): f64 {
  const invStd = 1 / Math.sqrt(varB + eps);
  store<f32>(saveMean + o, <f32>mean);
  store<f32>(saveInvStd + o, <f32>invStd);
  store<f32>(runningMean + o, <f32>((1 - momentum) * <f64>load<f32>(runningMean + o) + momentum * mean));
  const unbiased = (varB * count) / (count - 1);
  store<f32>(runningVar + o, <f32>((1 - momentum) * <f64>load<f32>(runningVar + o) + momentum * unbiased));
  return <f64>load<f32>(gamma + o) * invStd;
}

/** The evaluation scale γ / sqrt(running var + ε) of channel o. */
@inline
export function evalScale(o: usize, gamma: usize, runningVar: usize, eps: f64): f64 {
  return <f64>load<f32>(gamma + o) / Math.sqrt(<f64>load<f32>(runningVar + o) + eps);
}

/** The shift β − mean·scale of channel o. */
@inline
export function affineShift(o: usize, beta: usize, mean: f64, scale: f64): f64 {
  return <f64>load<f32>(beta + o) - mean * scale;
}

/** Adds channel o's Σ gy and Σ gy·x̂ to gβ and gγ; returns k = γ·invStd / count for the input gradient. */
@inline
export function addParamGrads(
  o: usize,
  sumGy: f64,
  sumGyXhat: f64,
  invStd: f64,
  count: f64,
  gamma: usize,
  gGamma: usize,
  gBeta: usize,
): f64 {
  store<f32>(gBeta + o, <f32>(<f64>load<f32>(gBeta + o) + sumGy));
  store<f32>(gGamma + o, <f32>(<f64>load<f32>(gGamma + o) + sumGyXhat));
  return (<f64>load<f32>(gamma + o) * invStd) / count;
}

export function batchNormForwardTrain(
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
  hw: i32,
  momentum: f64,
  eps: f64,
  begin: i32,
  end: i32,
): void {
  const count = <f64>n * <f64>hw;
  for (let ch = begin; ch < end; ch++) {
    const o = <usize>ch << 2;
    const mean = channelSum(x, n, c, hw, ch, 0, false) / count;
    const varB = channelSum(x, n, c, hw, ch, mean, true) / count;
    const scale = storeTrainStats(o, mean, varB, count, gamma, saveMean, saveInvStd, runningMean, runningVar, momentum, eps);
    channelAffine(x, y, n, c, hw, ch, <f32>scale, <f32>affineShift(o, beta, mean, scale));
  }
}

export function batchNormForwardEval(
  x: usize,
  gamma: usize,
  beta: usize,
  runningMean: usize,
  runningVar: usize,
  y: usize,
  n: i32,
  c: i32,
  hw: i32,
  eps: f64,
  begin: i32,
  end: i32,
): void {
  for (let ch = begin; ch < end; ch++) {
    const o = <usize>ch << 2;
    const scale = evalScale(o, gamma, runningVar, eps);
    channelAffine(x, y, n, c, hw, ch, <f32>scale, <f32>affineShift(o, beta, <f64>load<f32>(runningMean + o), scale));
  }
}

export function batchNormBackward(
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
  hw: i32,
  begin: i32,
  end: i32,
): void {
  const count = <f64>n * <f64>hw;
  for (let ch = begin; ch < end; ch++) {
    const o = <usize>ch << 2;
    const mean = <f64>load<f32>(saveMean + o);
    const invStd = <f64>load<f32>(saveInvStd + o);
    // Σ gy and Σ gy·(x - mean), float64
    let sumGy: f64 = 0;
    let sumGyXc: f64 = 0;
    for (let b = 0; b < n; b++) {
      const base = (<usize>(b * c + ch) * hw) << 2;
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      const vm = f64x2.splat(mean);
      let i = 0;
      for (; i + 4 <= hw; i += 4) {
        const q = base + (<usize>i << 2);
        const g = v128.load(gy + q);
        const v = v128.load(x + q);
        const glo = f64x2.promote_low_f32x4(g);
        const ghi = f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 2, 3));
        const xlo = f64x2.sub(f64x2.promote_low_f32x4(v), vm);
        const xhi = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), vm);
        a0 = f64x2.add(a0, f64x2.add(glo, ghi));
        a1 = f64x2.add(a1, f64x2.add(f64x2.mul(glo, xlo), f64x2.mul(ghi, xhi)));
      }
      sumGy += f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
      sumGyXc += f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
      for (; i < hw; i++) {
        const q = base + (<usize>i << 2);
        const g = <f64>load<f32>(gy + q);
        sumGy += g;
        sumGyXc += g * (<f64>load<f32>(x + q) - mean);
      }
    }
    const sumGyXhat = sumGyXc * invStd;
    // gx = k·(count·gy - Σgy - xhat·Σ(gy·xhat)) with k = gamma·invStd / count, as gy·a + (x - mean)·bx + c0
    const k = addParamGrads(o, sumGy, sumGyXhat, invStd, count, gamma, gGamma, gBeta);
    const a = <f32>(k * count);
    const bx = <f32>(-k * invStd * sumGyXhat);
    const c0 = <f32>(-k * sumGy);
    const m32 = <f32>mean;
    const va = f32x4.splat(a);
    const vb = f32x4.splat(bx);
    const vc = f32x4.splat(c0);
    const vm = f32x4.splat(m32);
    for (let b = 0; b < n; b++) {
      const base = (<usize>(b * c + ch) * hw) << 2;
      let i = 0;
      for (; i + 4 <= hw; i += 4) {
        const q = base + (<usize>i << 2);
        const xc = f32x4.sub(v128.load(x + q), vm);
        v128.store(gx + q, f32x4.add(f32x4.add(f32x4.mul(v128.load(gy + q), va), f32x4.mul(xc, vb)), vc));
      }
      for (; i < hw; i++) {
        const q = base + (<usize>i << 2);
        store<f32>(gx + q, load<f32>(gy + q) * a + (load<f32>(x + q) - m32) * bx + c0);
      }
    }
  }
}

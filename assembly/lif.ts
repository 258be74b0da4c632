// Fused multi-step LIF kernels (forward with spike-list output, BPTT backward) over a time-major current [t, n].
// Pointers are byte offsets into the shared memory; the work range [begin, end) is the trailing pair.
// Every neuron is computed independently and in the same f32 operation order as the TS twin, so results are
// bit-identical for any split.

// One step of 4 neurons at flat index k (step s): writes u and the spike bytes.
@inline
function lifStep4(cur: usize, spk: usize, u: usize, k: usize, n: i32, s: i32, alphaV: v128, vthV: v128, hard: i32): void {
  let h = f32x4.splat(0);
  if (s > 0) h = resetV(v128.load(u + ((k - <usize>n) << 2)), alphaV, vthV, hard);
  const uk = f32x4.add(h, v128.load(cur + (k << 2)));
  v128.store(u + (k << 2), uk);
  const fired = f32x4.ge(uk, vthV);
  const bits = v128.and(fired, i32x4.splat(1));
  const halves = i16x8.narrow_i32x4_u(bits, bits);
  v128.store32_lane(spk + k, i8x16.narrow_i16x8_u(halves, halves), 0);
}

// Membrane left after step t-1 (H[t-1]) recomputed from u[t-1]: the spike is u >= vth (TA-SNN reference), so nothing else is stored.
@inline
function resetV(uPrev: v128, alphaV: v128, vthV: v128, hard: i32): v128 {
  const fired = f32x4.ge(uPrev, vthV);
  if (hard) return v128.andnot(f32x4.mul(alphaV, uPrev), fired);
  return f32x4.mul(alphaV, v128.bitselect(vthV, uPrev, fired));
}

@inline
function resetS(uPrev: f32, alpha: f32, vth: f32, hard: i32): f32 {
  const fired = uPrev >= vth;
  if (hard) return fired ? 0 : alpha * uPrev;
  return alpha * (fired ? vth : uPrev);
}

/**
 * LIF forward for neurons [begin, end) in segments of `segLen`, all t steps, time outermost within a segment (so
 * the segment's slice of u stays in cache from one step to the next). Writes u (membrane before threshold) and
 * spikes (0/1 bytes); the wrapper lists the spikes afterwards (spikeRowCounts / spikeRowsFill in spike.ts), which
 * measured faster than appending positions inside this loop.
 */
export function lifForward(
  cur: usize,
  spk: usize,
  u: usize,
  t: i32,
  n: i32,
  alpha: f32,
  vth: f32,
  hard: i32,
  segLen: i32,
  begin: i32,
  end: i32,
): void {
  const alphaV = f32x4.splat(alpha);
  const vthV = f32x4.splat(vth);
  for (let j0 = begin; j0 < end; j0 += segLen) {
    const j1 = min(j0 + segLen, end);
    for (let s = 0; s < t; s++) {
      const row = <usize>s * <usize>n;
      let j = j0;
      for (; j + 4 <= j1; j += 4) lifStep4(cur, spk, u, row + <usize>j, n, s, alphaV, vthV, hard);
      for (; j < j1; j++) {
        const k = row + <usize>j;
        let h: f32 = 0;
        if (s > 0) h = resetS(load<f32>(u + ((k - <usize>n) << 2)), alpha, vth, hard);
        const uk = h + load<f32>(cur + (k << 2));
        store<f32>(u + (k << 2), uk);
        store<u8>(spk + k, uk >= vth ? 1 : 0);
      }
    }
  }
}

// Surrogate kinds as passed from TS.
const RECT = 0;
const SIGMOID = 1;

// Neurons per block of the backward scan: the block's slice of every array stays in L1 across time steps.
const BLOCK = 256;

// e^x for 4 lanes: 2^n · 2^f with n = round(x·log2 e), |f| <= 1/2, 2^f by its degree-6 Taylor series
// (relative error ~1e-7); the argument is clamped so 2^n stays a normal float. Rounding adds 1.5·2^23, which
// leaves n in the low mantissa bits: shifted into the exponent field they give 2^n without a float-int conversion.
@inline
function expV(x: v128): v128 {
  const magic = f32x4.splat(12582912);
  const y = f32x4.pmin(f32x4.pmax(f32x4.mul(x, f32x4.splat(1.4426950408889634)), f32x4.splat(-126)), f32x4.splat(126));
  const shifted = f32x4.add(y, magic);
  const f = f32x4.sub(y, f32x4.sub(shifted, magic));
  let p = f32x4.splat(0.00015403530393381608);
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.0013333558146428443));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.009618129107628477));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.05550410866482158));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.2402265069591007));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.6931471805599453));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(shifted, i32x4.splat(127 - 0x4b400000)), 23);
  return f32x4.mul(p, scale);
}

// k σ(kx)(1 - σ(kx)).
@inline
function sigmoidGradV(x: v128, k: v128): v128 {
  const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expV(f32x4.neg(f32x4.mul(k, x)))));
  return f32x4.mul(f32x4.mul(k, s), f32x4.sub(f32x4.splat(1), s));
}

// dS/dU at x = U - vth (see LifParams in src/engine/api.ts).
@inline
function surrogateV(kind: i32, x: v128, width: f32): v128 {
  if (kind == RECT) {
    const inside = f32x4.lt(f32x4.abs(x), f32x4.splat(width * 0.5));
    return v128.and(f32x4.splat(1 / width), inside);
  }
  if (kind == SIGMOID) return sigmoidGradV(x, f32x4.splat(4 / width));
  const z = f32x4.mul(x, f32x4.splat(<f32>Math.PI / width));
  return f32x4.div(f32x4.splat(1 / width), f32x4.add(f32x4.splat(1), f32x4.mul(z, z)));
}

@inline
function surrogateS(kind: i32, x: f32, width: f32): f32 {
  if (kind == RECT) return Mathf.abs(x) < width * 0.5 ? 1 / width : 0;
  // Lane 0 of the vector form, so a neuron's result does not depend on whether it falls in a vector or the tail.
  if (kind == SIGMOID) return f32x4.extract_lane(sigmoidGradV(f32x4.splat(x), f32x4.splat(4 / width)), 0);
  const z = x * (<f32>Math.PI / width);
  return 1 / width / (1 + z * z);
}

/**
 * LIF BPTT for neurons [begin, end): gCur[t] = gS[t]·σ'(U[t]) + gCur[t+1]·dH[t]/dU[t], in reverse time, with
 * soft dH/dU = α((vth - U)σ' + 1 - S) and hard dH/dU = α(1 - S - Uσ'). Runs over blocks of neurons, time
 * outermost within a block, reading gCur[t+1] back from the output (contiguous rows, no power-of-two strides).
 */
export function lifBackward(
  gS: usize,
  u: usize,
  spk: usize,
  gCur: usize,
  t: i32,
  n: i32,
  alpha: f32,
  vth: f32,
  hard: i32,
  kind: i32,
  width: f32,
  begin: i32,
  end: i32,
): void {
  const alphaV = f32x4.splat(alpha);
  const vthV = f32x4.splat(vth);
  const oneV = f32x4.splat(1);
  const nextRow = <usize>n << 2;
  for (let b0 = begin; b0 < end; b0 += BLOCK) {
    const b1 = min(b0 + BLOCK, end);
    for (let s = t - 1; s >= 0; s--) {
      const last = s == t - 1;
      const row = <usize>s * <usize>n;
      let j = b0;
      for (; j + 4 <= b1; j += 4) {
        const k = row + <usize>j;
        const uk = v128.load(u + (k << 2));
        const sg = surrogateV(kind, f32x4.sub(uk, vthV), width);
        const fired = f32x4.convert_i32x4_u(
          i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(spk + k))),
        );
        const notFired = f32x4.sub(oneV, fired);
        const dHdU = hard
          ? f32x4.mul(alphaV, f32x4.sub(notFired, f32x4.mul(uk, sg)))
          : f32x4.mul(alphaV, f32x4.add(f32x4.mul(f32x4.sub(vthV, uk), sg), notFired));
        const gNext = last ? f32x4.splat(0) : v128.load(gCur + (k << 2) + nextRow);
        v128.store(gCur + (k << 2), f32x4.add(f32x4.mul(v128.load(gS + (k << 2)), sg), f32x4.mul(gNext, dHdU)));
      }
      for (; j < b1; j++) {
        const k = row + <usize>j;
        const uk = load<f32>(u + (k << 2));
        const sg = surrogateS(kind, uk - vth, width);
        const notFired: f32 = load<u8>(spk + k) != 0 ? 0 : 1;
        const dHdU: f32 = hard ? alpha * (notFired - uk * sg) : alpha * ((vth - uk) * sg + notFired);
        const gNext: f32 = last ? 0 : load<f32>(gCur + (k << 2) + nextRow);
        store<f32>(gCur + (k << 2), load<f32>(gS + (k << 2)) * sg + gNext * dHdU);
      }
    }
  }
}

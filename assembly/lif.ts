// Fused multi-step LIF kernels (forward with spike-list output, BPTT backward) over a time-major current [t, n].
// Pointers are byte offsets into the shared memory; the work range [begin, end) is the trailing pair.
// Every neuron is computed independently and in the same f32 operation order as the TS twin, so results are
// bit-identical for any split.

// Writes the active positions of 4 lanes (bits of `mask`) as i32 indices base + lane at idx; returns how many.
@inline
function appendActive(mask: i32, base: i32, idx: usize): i32 {
  let count = 0;
  while (mask != 0) {
    store<i32>(idx + (<usize>count << 2), base + ctz(mask));
    mask &= mask - 1;
    count++;
  }
  return count;
}

// Membrane left after step t-1 (H[t-1]) recomputed from u[t-1]: the spike is u > vth, so nothing else is stored.
@inline
function resetV(uPrev: v128, alphaV: v128, vthV: v128, hard: i32): v128 {
  const fired = f32x4.gt(uPrev, vthV);
  if (hard) return v128.andnot(f32x4.mul(alphaV, uPrev), fired);
  return f32x4.mul(alphaV, v128.bitselect(vthV, uPrev, fired));
}

@inline
function resetS(uPrev: f32, alpha: f32, vth: f32, hard: i32): f32 {
  const fired = uPrev > vth;
  if (hard) return fired ? 0 : alpha * uPrev;
  return alpha * (fired ? vth : uPrev);
}

/**
 * LIF forward over segments [begin, end) of `segLen` neurons each (the last one may be shorter), all t steps.
 * Writes u (membrane before threshold) and spikes (0/1 bytes). When idx != 0 the segments are the rows of a
 * spike list (segLen = rowLen, n a multiple of it): row f = step·(n/segLen) + segment gets its active positions
 * written ascending at idx[f·segLen ..] and its count at counts[f]; spikeListCompact then packs them into CSR.
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
  idx: usize,
  counts: usize,
  segLen: i32,
  begin: i32,
  end: i32,
): void {
  const alphaV = f32x4.splat(alpha);
  const vthV = f32x4.splat(vth);
  const one = i32x4.splat(1);
  const segsPerStep = n / segLen;
  for (let g = begin; g < end; g++) {
    const j0 = g * segLen;
    const j1 = min(j0 + segLen, n);
    for (let s = 0; s < t; s++) {
      const row = <usize>s * <usize>n;
      let count = 0;
      const slot = idx + ((row + <usize>j0) << 2);
      let j = j0;
      for (; j + 4 <= j1; j += 4) {
        const k = row + <usize>j;
        let h = f32x4.splat(0);
        if (s > 0) h = resetV(v128.load(u + ((k - <usize>n) << 2)), alphaV, vthV, hard);
        const uk = f32x4.add(h, v128.load(cur + (k << 2)));
        v128.store(u + (k << 2), uk);
        const fired = f32x4.gt(uk, vthV);
        const bits = v128.and(fired, one);
        const halves = i16x8.narrow_i32x4_u(bits, bits);
        const bytes = i8x16.narrow_i16x8_u(halves, halves);
        v128.store32_lane(spk + k, bytes, 0);
        if (idx != 0) count += appendActive(i32x4.bitmask(fired), j - j0, slot + (<usize>count << 2));
      }
      for (; j < j1; j++) {
        const k = row + <usize>j;
        let h: f32 = 0;
        if (s > 0) h = resetS(load<f32>(u + ((k - <usize>n) << 2)), alpha, vth, hard);
        const uk = h + load<f32>(cur + (k << 2));
        store<f32>(u + (k << 2), uk);
        const fired = uk > vth;
        store<u8>(spk + k, fired ? 1 : 0);
        if (idx != 0 && fired) {
          store<i32>(slot + (<usize>count << 2), j - j0);
          count++;
        }
      }
      if (idx != 0) store<i32>(counts + (<usize>(s * segsPerStep + g) << 2), count);
    }
  }
}

// Surrogate kinds as passed from TS.
const RECT = 0;
const SIGMOID = 1;

@inline
function sigmoidGradLane(x: f32, k: f32): f32 {
  const s: f32 = 1 / (1 + Mathf.exp(-k * x));
  return k * s * (1 - s);
}

// dS/dU at x = U - vth (see LifParams in src/engine/api.ts).
@inline
function surrogateV(kind: i32, x: v128, width: f32): v128 {
  if (kind == RECT) {
    const inside = f32x4.lt(f32x4.abs(x), f32x4.splat(width * 0.5));
    return v128.and(f32x4.splat(1 / width), inside);
  }
  if (kind == SIGMOID) {
    const k: f32 = 4 / width;
    let r = f32x4.splat(sigmoidGradLane(f32x4.extract_lane(x, 0), k));
    r = f32x4.replace_lane(r, 1, sigmoidGradLane(f32x4.extract_lane(x, 1), k));
    r = f32x4.replace_lane(r, 2, sigmoidGradLane(f32x4.extract_lane(x, 2), k));
    return f32x4.replace_lane(r, 3, sigmoidGradLane(f32x4.extract_lane(x, 3), k));
  }
  const z = f32x4.mul(x, f32x4.splat(<f32>Math.PI / width));
  return f32x4.div(f32x4.splat(1 / width), f32x4.add(f32x4.splat(1), f32x4.mul(z, z)));
}

@inline
function surrogateS(kind: i32, x: f32, width: f32): f32 {
  if (kind == RECT) return Mathf.abs(x) < width * 0.5 ? 1 / width : 0;
  if (kind == SIGMOID) return sigmoidGradLane(x, 4 / width);
  const z = x * (<f32>Math.PI / width);
  return 1 / width / (1 + z * z);
}

/**
 * LIF BPTT for neurons [begin, end): gCur[t] = gS[t]·σ'(U[t]) + gCur[t+1]·dH[t]/dU[t], in reverse time, with
 * soft dH/dU = α((vth - U)σ' + 1 - S) and hard dH/dU = α(1 - S - Uσ').
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
  let j = begin;
  for (; j + 4 <= end; j += 4) {
    let gNext = f32x4.splat(0);
    for (let s = t - 1; s >= 0; s--) {
      const k = <usize>s * <usize>n + <usize>j;
      const uk = v128.load(u + (k << 2));
      const sg = surrogateV(kind, f32x4.sub(uk, vthV), width);
      const fired = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(spk + k))));
      const notFired = f32x4.sub(oneV, fired);
      const dHdU = hard
        ? f32x4.mul(alphaV, f32x4.sub(notFired, f32x4.mul(uk, sg)))
        : f32x4.mul(alphaV, f32x4.add(f32x4.mul(f32x4.sub(vthV, uk), sg), notFired));
      gNext = f32x4.add(f32x4.mul(v128.load(gS + (k << 2)), sg), f32x4.mul(gNext, dHdU));
      v128.store(gCur + (k << 2), gNext);
    }
  }
  for (; j < end; j++) {
    let gNext: f32 = 0;
    for (let s = t - 1; s >= 0; s--) {
      const k = <usize>s * <usize>n + <usize>j;
      const uk = load<f32>(u + (k << 2));
      const sg = surrogateS(kind, uk - vth, width);
      const notFired: f32 = load<u8>(spk + k) != 0 ? 0 : 1;
      const dHdU: f32 = hard ? alpha * (notFired - uk * sg) : alpha * ((vth - uk) * sg + notFired);
      gNext = load<f32>(gS + (k << 2)) * sg + gNext * dHdU;
      store<f32>(gCur + (k << 2), gNext);
    }
  }
}

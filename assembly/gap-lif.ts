// LIF over the kept frames only, decaying lazily across skipped ones (src/infer/gap-lif.ts is its twin).

/**
 * The current a neuron integrates is cur, or with scaleN/shiftN (per-neuron, 0: none) the batch-norm map
 * cur·scale + shift, then with rowW (per kept row, 0: none) times the row's Razor weight d: the same f32 operations,
 * in the same order, as the separate BN kernel and weighting they replace.
 *
 * Neurons [begin, end) of every kept row, in segments of `segLen` neurons (row loop inside, so the segment's slice
 * of u stays in cache). Row k belongs to sample bs[k] and follows gaps[k] skipped frames since that sample's last
 * computed frame (-1: the sample's first frame, state 0). cur [nRows, n] holds the kept rows' currents; u [B, n]
 * the membrane (before threshold) at each sample's last computed frame, updated in place. Writes spk [nRows, n]
 * as 0/1 bytes. Neurons are independent, so any split gives the same bits.
 */
export function lifGapSteps(
  cur: usize,
  u: usize,
  bs: usize,
  gaps: usize,
  scaleN: usize,
  shiftN: usize,
  rowW: usize,
  nRows: i32,
  n: i32,
  alpha: f32,
  vth: f32,
  hard: i32,
  spk: usize,
  segLen: i32,
  begin: i32,
  end: i32,
): void {
  const alphaV = f32x4.splat(alpha);
  const vthV = f32x4.splat(vth);
  const zero = f32x4.splat(0);
  const resetV = hard ? zero : f32x4.mul(alphaV, vthV);
  const resetS: f32 = hard ? 0 : alpha * vth;
  for (let j0 = begin; j0 < end; j0 += segLen) {
    const j1 = min(j0 + segLen, end);
    for (let k = 0; k < nRows; k++) {
      const b = load<i32>(bs + (<usize>k << 2));
      const gap = load<i32>(gaps + (<usize>k << 2));
      const ub = u + ((<usize>b * <usize>n) << 2);
      const cb = cur + ((<usize>k * <usize>n) << 2);
      const sb = spk + <usize>k * <usize>n;
      const w: f32 = rowW != 0 ? load<f32>(rowW + (<usize>k << 2)) : 1;
      const wV = f32x4.splat(w);
      let i = j0;
      for (; i + 4 <= j1; i += 4) {
        let h = zero;
        if (gap >= 0) {
          // reset after the last computed frame, then one decay per skipped (zero-current) frame
          const prev = v128.load(ub + (<usize>i << 2));
          h = v128.bitselect(resetV, f32x4.mul(alphaV, prev), f32x4.ge(prev, vthV));
          for (let s = 0; s < gap; s++) h = f32x4.mul(alphaV, h);
        }
        let c = v128.load(cb + (<usize>i << 2));
        if (scaleN != 0) {
          const q = <usize>i << 2;
          c = f32x4.add(f32x4.mul(c, v128.load(scaleN + q)), v128.load(shiftN + q));
        }
        if (rowW != 0) c = f32x4.mul(c, wV);
        const uu = f32x4.add(h, c);
        v128.store(ub + (<usize>i << 2), uu);
        const bits = v128.and(f32x4.ge(uu, vthV), i32x4.splat(1));
        const halves = i16x8.narrow_i32x4_u(bits, bits);
        v128.store32_lane(sb + <usize>i, i8x16.narrow_i16x8_u(halves, halves), 0);
      }
      for (; i < j1; i++) {
        let h: f32 = 0;
        if (gap >= 0) {
          const prev = load<f32>(ub + (<usize>i << 2));
          h = prev >= vth ? resetS : alpha * prev;
          for (let s = 0; s < gap; s++) h = alpha * h;
        }
        let c = load<f32>(cb + (<usize>i << 2));
        if (scaleN != 0) c = c * load<f32>(scaleN + (<usize>i << 2)) + load<f32>(shiftN + (<usize>i << 2));
        if (rowW != 0) c = c * w;
        const uu = h + c;
        store<f32>(ub + (<usize>i << 2), uu);
        store<u8>(sb + <usize>i, uu >= vth ? 1 : 0);
      }
    }
  }
}

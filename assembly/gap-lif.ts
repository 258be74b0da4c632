// LIF over the kept frames only, decaying lazily across skipped ones (src/infer/gap-lif.ts is its twin).

/**
 * rows: kept frame indices r = t·B + b, ascending; cur [nRows, n] their currents; u [B, n] membrane at each
 * sample's last computed frame, lastT [B] its time step (-1: none). Writes out [nRows, n] (0/1), the active
 * positions of row k at idx[offsets[k] ..] ascending, offsets [nRows + 1]; updates u and lastT.
 */
export function lifGapForward(
  cur: usize,
  u: usize,
  lastT: usize,
  rows: usize,
  nRows: i32,
  B: i32,
  n: i32,
  alpha: f32,
  vth: f32,
  hard: i32,
  out: usize,
  idx: usize,
  offsets: usize,
): void {
  const alphaV = f32x4.splat(alpha);
  const vthV = f32x4.splat(vth);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let count = 0;
  store<i32>(offsets, 0);
  for (let k = 0; k < nRows; k++) {
    const r = load<i32>(rows + (<usize>k << 2));
    const b = r % B;
    const t = (r - b) / B;
    const last = load<i32>(lastT + (<usize>b << 2));
    const skipped = last < 0 ? 0 : t - last - 1;
    const ub = u + ((<usize>b * <usize>n) << 2);
    const cb = cur + ((<usize>k * <usize>n) << 2);
    const ob = out + ((<usize>k * <usize>n) << 2);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      let h = zero;
      if (last >= 0) {
        const prev = v128.load(ub + (<usize>i << 2));
        const fired = f32x4.gt(prev, vthV);
        const kept = f32x4.mul(alphaV, prev);
        const reset = hard ? zero : f32x4.mul(alphaV, vthV);
        h = v128.bitselect(reset, kept, fired);
        for (let s = 0; s < skipped; s++) h = f32x4.mul(alphaV, h);
      }
      const uu = f32x4.add(h, v128.load(cb + (<usize>i << 2)));
      v128.store(ub + (<usize>i << 2), uu);
      const fired = f32x4.gt(uu, vthV);
      v128.store(ob + (<usize>i << 2), v128.and(fired, one));
      let mask = i32x4.bitmask(fired);
      while (mask != 0) {
        store<i32>(idx + (<usize>count << 2), i + ctz(mask));
        count++;
        mask &= mask - 1;
      }
    }
    for (; i < n; i++) {
      let h: f32 = 0;
      if (last >= 0) {
        const prev = load<f32>(ub + (<usize>i << 2));
        h = prev > vth ? (hard ? <f32>0 : alpha * vth) : alpha * prev;
        for (let s = 0; s < skipped; s++) h = alpha * h;
      }
      const uu = h + load<f32>(cb + (<usize>i << 2));
      store<f32>(ub + (<usize>i << 2), uu);
      if (uu > vth) {
        store<f32>(ob + (<usize>i << 2), 1);
        store<i32>(idx + (<usize>count << 2), i);
        count++;
      } else store<f32>(ob + (<usize>i << 2), 0);
    }
    store<i32>(offsets + (<usize>(k + 1) << 2), count);
    store<i32>(lastT + (<usize>b << 2), t);
  }
}

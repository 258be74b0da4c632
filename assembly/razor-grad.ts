// Razor's gradient into its source (the twin is src/engine/reference-razor.ts; the formula is RazorSourceGrad in
// src/engine/api.ts): a dense pass over every channel of every scored frame, in float64 with the twin's operations
// in the twin's order, so results are bit for bit the twin's. Rows are the work items (each writes only its own
// gx), so any split over threads gives the same bits.

export function razorSourceGrad(
  active: usize,
  gp: usize,
  norm: usize,
  dot: usize,
  gAct: usize,
  fOff: usize,
  fIdx: usize,
  fVal: usize,
  eHatT: usize,
  gx: usize,
  C: i32,
  K: i32,
  hw: i32,
  terms: usize,
  begin: i32,
  end: i32,
): void {
  const hwF = <f64>hw;
  for (let r = begin; r < end; r++) {
    if (load<u8>(active + <usize>r) == 0) continue;
    const nr = load<f64>(norm + (<usize>r << 3));
    const dr = load<f64>(dot + (<usize>r << 3));
    const ga = load<f64>(gAct + (<usize>r << 3));
    if (!(nr > 0)) {
      // no descriptor norm: every channel gets the activity gradient alone
      const g = 0 + ga;
      const v = hw == 1 ? 0 + g : (0 + g) / hwF;
      if (v != 0) addToRow(gx + ((<usize>r * <usize>C * <usize>hw) << 2), C * hw, v);
      continue;
    }
    // each channel's (f / nr) · dr, in `terms` (this thread's C float64): an unlisted channel's is (+0 / nr) · dr
    // = 0 · dr, a listed one's from its value. The loop below then has no branch on the channel's listing, which
    // random descriptors mispredict.
    const unlisted = f64x2.splat(0 * dr);
    let c = 0;
    for (; c + 2 <= C; c += 2) v128.store(terms + (<usize>c << 3), unlisted);
    if (c < C) store<f64>(terms + (<usize>c << 3), 0 * dr);
    const jEnd = load<i32>(fOff + (<usize>(r + 1) << 2));
    for (let j = load<i32>(fOff + (<usize>r << 2)); j < jEnd; j++) {
      const at = terms + (<usize>load<i32>(fIdx + (<usize>j << 2)) << 3);
      store<f64>(at, (load<f64>(fVal + (<usize>j << 3)) / nr) * dr);
    }
    const g0 = gp + ((<usize>r * <usize>K) << 3);
    const p0 = K == 4 ? load<f64>(g0) : 0;
    const p1 = K == 4 ? load<f64>(g0, 8) : 0;
    const p2 = K == 4 ? load<f64>(g0, 16) : 0;
    const p3 = K == 4 ? load<f64>(g0, 24) : 0;
    for (c = 0; c < C; c++) {
      let h: f64 = 0;
      const e = eHatT + ((<usize>c * <usize>K) << 3);
      if (K == 4) {
        // the usual K: the row's four coefficients stay in registers (same sum, same order)
        h = h + p0 * load<f64>(e);
        h = h + p1 * load<f64>(e, 8);
        h = h + p2 * load<f64>(e, 16);
        h = h + p3 * load<f64>(e, 24);
      } else {
        for (let k = 0; k < K; k++) h = h + load<f64>(g0 + (<usize>k << 3)) * load<f64>(e + (<usize>k << 3));
      }
      const g = (h - load<f64>(terms + (<usize>c << 3))) / nr + ga;
      // x / 1 is x exactly: one division less per channel for fully connected layers
      const v = hw == 1 ? 0 + g : (0 + g) / hwF;
      if (v == 0) continue;
      addToRow(gx + ((<usize>r * <usize>C + <usize>c) * <usize>hw << 2), hw, v);
    }
  }
}

/** q[0, n) += v, each in float64 and rounded back to float32 (v != 0: adding 0 would turn -0 into +0). */
// @ts-ignore: decorator
@inline
function addToRow(q: usize, n: i32, v: f64): void {
  for (let i = 0; i < n; i++) {
    const at = q + (<usize>i << 2);
    store<f32>(at, <f32>(<f64>load<f32>(at) + v));
  }
}

/**
 * razorScoreGrad's embedding term (the twin is refRazorScoreGrad): gEHat[k, c] += (gp[r,k] · f[r,c]) / norm[r] over
 * the frames with on[r] = 1 in frame order, for embeddings [begin, end): each thread owns whole rows of gEHat, so
 * every element sums its frames in the same order for any split.
 */
export function razorEHatGrad(
  on: usize,
  gp: usize,
  norm: usize,
  fOff: usize,
  fIdx: usize,
  fVal: usize,
  gEHat: usize,
  rows: i32,
  C: i32,
  K: i32,
  begin: i32,
  end: i32,
): void {
  for (let r = 0; r < rows; r++) {
    if (load<u8>(on + <usize>r) == 0) continue;
    const nr = load<f64>(norm + (<usize>r << 3));
    const lo = load<i32>(fOff + (<usize>r << 2));
    const hi = load<i32>(fOff + (<usize>(r + 1) << 2));
    for (let k = begin; k < end; k++) {
      const g = load<f64>(gp + ((<usize>r * <usize>K + <usize>k) << 3));
      const row = gEHat + ((<usize>k * <usize>C) << 3);
      for (let j = lo; j < hi; j++) {
        const q = row + (<usize>load<i32>(fIdx + (<usize>j << 2)) << 3);
        store<f64>(q, load<f64>(q) + (g * load<f64>(fVal + (<usize>j << 3))) / nr);
      }
    }
  }
}

/** razorScoreGrad's per-frame dots for frames [begin, end) (each writes its own dot[r]). */
export function razorGradDots(
  on: usize,
  gp: usize,
  norm: usize,
  fOff: usize,
  fIdx: usize,
  fVal: usize,
  eHatT: usize,
  dot: usize,
  K: i32,
  begin: i32,
  end: i32,
): void {
  for (let r = begin; r < end; r++) {
    if (load<u8>(on + <usize>r) == 0) continue;
    const nr = load<f64>(norm + (<usize>r << 3));
    const g0 = gp + ((<usize>r * <usize>K) << 3);
    const lo = load<i32>(fOff + (<usize>r << 2));
    const hi = load<i32>(fOff + (<usize>(r + 1) << 2));
    let d: f64 = 0;
    for (let j = lo; j < hi; j++) {
      const e = eHatT + ((<usize>load<i32>(fIdx + (<usize>j << 2)) * <usize>K) << 3);
      let h: f64 = 0;
      for (let k = 0; k < K; k++) h = h + load<f64>(g0 + (<usize>k << 3)) * load<f64>(e + (<usize>k << 3));
      d += (load<f64>(fVal + (<usize>j << 3)) / nr) * h;
    }
    store<f64>(dot + (<usize>r << 3), d);
  }
}

/**
 * 1 when the descriptor rows are well formed (offsets from >= 0 never decreasing, each row's channels ascending
 * inside [0, C)), else 0: the wrappers' check, in wasm (the TS check then runs only to name the bad entry).
 */
export function sparseRowsOrdered(fOff: usize, fIdx: usize, rows: i32, C: i32): i32 {
  if (rows > 0 && load<i32>(fOff) < 0) return 0;
  for (let r = 0; r < rows; r++) {
    const lo = load<i32>(fOff + (<usize>r << 2));
    const hi = load<i32>(fOff + (<usize>(r + 1) << 2));
    if (lo > hi) return 0;
    let last = -1;
    for (let j = lo; j < hi; j++) {
      const c = load<i32>(fIdx + (<usize>j << 2));
      if (c <= last || c >= C) return 0;
      last = c;
    }
  }
  return 1;
}

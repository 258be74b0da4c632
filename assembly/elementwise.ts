// Elementwise kernels over [begin, end) of flat float32 arrays (any split gives the same values) and the per-channel
// bias add / bias gradient over [outer, c, inner] (work items are channels).

export function fill(x: usize, value: f32, begin: i32, end: i32): void {
  const v = f32x4.splat(value);
  let i = begin;
  for (; i + 4 <= end; i += 4) v128.store(x + (<usize>i << 2), v);
  for (; i < end; i++) store<f32>(x + (<usize>i << 2), value);
}

export function copy(src: usize, dst: usize, begin: i32, end: i32): void {
  memory.copy(dst + (<usize>begin << 2), src + (<usize>begin << 2), <usize>(end - begin) << 2);
}

export function add(a: usize, b: usize, y: usize, begin: i32, end: i32): void {
  let i = begin;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

export function mul(a: usize, b: usize, y: usize, begin: i32, end: i32): void {
  let i = begin;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

export function scale(x: usize, alpha: f32, y: usize, begin: i32, end: i32): void {
  const va = f32x4.splat(alpha);
  let i = begin;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(x + o), va));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, alpha * load<f32>(x + o));
  }
}

export function axpy(alpha: f32, x: usize, y: usize, begin: i32, end: i32): void {
  const va = f32x4.splat(alpha);
  let i = begin;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(v128.load(x + o), va)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/** row[i] += value for i < n. */
export function addScalarToRow(row: usize, n: i32, value: f32): void {
  const vb = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = row + (<usize>i << 2);
    v128.store(q, f32x4.add(v128.load(q), vb));
  }
  for (; i < n; i++) {
    const q = row + (<usize>i << 2);
    store<f32>(q, load<f32>(q) + value);
  }
}

export function addChannelBias(y: usize, bias: usize, outer: i32, c: i32, inner: i32, begin: i32, end: i32): void {
  if (inner == 1) {
    // a linear layer's bias: each row's channels are contiguous (one add per value, so the order is free)
    for (let o = 0; o < outer; o++) {
      const row = y + (<usize>(o * c) << 2);
      let ch = begin;
      for (; ch + 4 <= end; ch += 4) {
        const q = <usize>ch << 2;
        v128.store(row + q, f32x4.add(v128.load(row + q), v128.load(bias + q)));
      }
      for (; ch < end; ch++) {
        const q = <usize>ch << 2;
        store<f32>(row + q, load<f32>(row + q) + load<f32>(bias + q));
      }
    }
    return;
  }
  for (let ch = begin; ch < end; ch++) {
    const bv = load<f32>(bias + (<usize>ch << 2));
    for (let o = 0; o < outer; o++) addScalarToRow(y + ((<usize>(o * c + ch) * inner) << 2), inner, bv);
  }
}

/** gb[ch] += Σ gy[:, ch, :], accumulated in float64. */
export function channelBiasGrad(gy: usize, gb: usize, outer: i32, c: i32, inner: i32, begin: i32, end: i32): void {
  let ch = begin;
  // a linear layer's bias (inner 1): four neighbouring channels per row, each summed over rows from 0 in order as
  // below (whose vector lanes then stay zero), so every channel gets the same float64 sum
  if (inner == 1) {
    const stride = <usize>c << 2;
    for (; ch + 4 <= end; ch += 4) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let p = gy + (<usize>ch << 2);
      for (let o = 0; o < outer; o++, p += stride) {
        const v = v128.load(p);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)));
      }
      const q = gb + (<usize>ch << 2);
      store<f32>(q, <f32>(<f64>load<f32>(q) + 0 + 0 + f64x2.extract_lane(s0, 0)));
      store<f32>(q, <f32>(<f64>load<f32>(q, 4) + 0 + 0 + f64x2.extract_lane(s0, 1)), 4);
      store<f32>(q, <f32>(<f64>load<f32>(q, 8) + 0 + 0 + f64x2.extract_lane(s1, 0)), 8);
      store<f32>(q, <f32>(<f64>load<f32>(q, 12) + 0 + 0 + f64x2.extract_lane(s1, 1)), 12);
    }
  }
  for (; ch < end; ch++) {
    let acc = f64x2.splat(0);
    let tail: f64 = 0;
    for (let o = 0; o < outer; o++) {
      const row = gy + ((<usize>(o * c + ch) * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))));
      }
      for (; i < inner; i++) tail += <f64>load<f32>(row + (<usize>i << 2));
    }
    const q = gb + (<usize>ch << 2);
    store<f32>(q, <f32>(<f64>load<f32>(q) + f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + tail));
  }
}

/**
 * Adam (PyTorch form): g = grad + wd·param; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
 * param -= stepSize · m / (sqrt(v) / sqrt(bc2) + eps), stepSize = lr / bc1.
 */
export function adam(
  param: usize,
  grad: usize,
  m: usize,
  v: usize,
  stepSize: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  sqrtBc2: f32,
  weightDecay: f32,
  begin: i32,
  end: i32,
): void {
  const vb1 = f32x4.splat(beta1);
  const vb2 = f32x4.splat(beta2);
  const v1b1 = f32x4.splat(1 - beta1);
  const v1b2 = f32x4.splat(1 - beta2);
  const veps = f32x4.splat(eps);
  const vs = f32x4.splat(stepSize);
  const vbc = f32x4.splat(sqrtBc2);
  const vwd = f32x4.splat(weightDecay);
  let i = begin;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = f32x4.add(v128.load(grad + o), f32x4.mul(vwd, p));
    const mm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(v1b1, g));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(v1b2, f32x4.mul(g, g)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc), veps);
    v128.store(param + o, f32x4.sub(p, f32x4.div(f32x4.mul(vs, mm), denom)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    const g = load<f32>(grad + o) + weightDecay * p;
    const mm = beta1 * load<f32>(m + o) + (1 - beta1) * g;
    const vv = beta2 * load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(param + o, p - (stepSize * mm) / (Mathf.sqrt(vv) / sqrtBc2 + eps));
  }
}

/** out[r, :] = x[r, :] · w[r] for rows [begin, end) of length f (out may be x). */
export function scaleRows(x: usize, w: usize, out: usize, f: i32, begin: i32, end: i32): void {
  for (let r = begin; r < end; r++) {
    const at = <usize>r * <usize>f;
    scale(x + (at << 2), load<f32>(w + (<usize>r << 2)), out + (at << 2), 0, f);
  }
}

/** out[t, :] = x[t, :] ⊙ m for tiles t in [begin, end) of m's length f (out may be x). */
export function mulRepeated(x: usize, m: usize, out: usize, f: i32, begin: i32, end: i32): void {
  for (let t = begin; t < end; t++) {
    const o = (<usize>t * <usize>f) << 2;
    mul(x + o, m, out + o, 0, f);
  }
}

/**
 * out[r] = Σ_i a[r, i]·b[r, i] for rows [begin, end) of length f, each product and the sum in float64 in index order
 * (one order for every split), 0 where mask[r] = 0 (mask 0: every row).
 */
export function rowDots(a: usize, b: usize, mask: usize, out: usize, f: i32, begin: i32, end: i32): void {
  for (let r = begin; r < end; r++) {
    let s: f64 = 0;
    if (mask == 0 || load<u8>(mask + <usize>r) != 0) {
      const at = (<usize>r * <usize>f) << 2;
      for (let i = 0; i < f; i++) {
        const o = at + (<usize>i << 2);
        s += <f64>load<f32>(a + o) * <f64>load<f32>(b + o);
      }
    }
    store<f32>(out + (<usize>r << 2), <f32>s);
  }
}

/** out[r] = (Σ_i x[r, i]) / f for rows [begin, end) of length f: the sum in float64 in index order, then rounded. */
export function rowMeans(x: usize, out: usize, f: i32, begin: i32, end: i32): void {
  for (let r = begin; r < end; r++) {
    const at = (<usize>r * <usize>f) << 2;
    let s: f64 = 0;
    for (let i = 0; i < f; i++) s += <f64>load<f32>(x + at + (<usize>i << 2));
    store<f32>(out + (<usize>r << 2), <f32>(s / <f64>f));
  }
}

/** x[r, :] += v[r] (v float64) for rows [begin, end) of length f, each sum in float64, then rounded. */
export function addRows(x: usize, v: usize, f: i32, begin: i32, end: i32): void {
  for (let r = begin; r < end; r++) {
    const g = load<f64>(v + (<usize>r << 3));
    const at = x + ((<usize>r * <usize>f) << 2);
    for (let i = 0; i < f; i++) {
      const q = at + (<usize>i << 2);
      store<f32>(q, <f32>(<f64>load<f32>(q) + g));
    }
  }
}

// Square-window pooling without padding over planes [n·c, h, w]; work items are planes, so threads write disjoint
// outputs (max-pool backward scatters through argmax, which forward keeps inside the window's own plane).

function outSize(size: i32, k: i32, stride: i32): i32 {
  return (size - k) / stride + 1;
}

// 2×2 windows with stride 2 (the networks' AP2): four outputs per step from two rows of eight inputs.
function avgPool2x2Plane(xp: usize, yp: usize, w: i32, ho: i32, wo: i32): void {
  const quarter = f32x4.splat(0.25);
  for (let oy = 0; oy < ho; oy++) {
    const r0 = xp + ((<usize>(2 * oy) * w) << 2);
    const r1 = r0 + (<usize>w << 2);
    const out = yp + ((<usize>oy * wo) << 2);
    let ox = 0;
    for (; ox + 4 <= wo; ox += 4) {
      const o = <usize>ox << 3;
      const a = f32x4.add(v128.load(r0 + o), v128.load(r1 + o));
      const b = f32x4.add(v128.load(r0 + o, 16), v128.load(r1 + o, 16));
      const sum = f32x4.add(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
      v128.store(out + (<usize>ox << 2), f32x4.mul(sum, quarter));
    }
    for (; ox < wo; ox++) {
      const o = <usize>ox << 3;
      const left = load<f32>(r0 + o) + load<f32>(r1 + o);
      const right = load<f32>(r0 + o, 4) + load<f32>(r1 + o, 4);
      store<f32>(out + (<usize>ox << 2), (left + right) * 0.25);
    }
  }
}

// Gradient of avgPool2x2Plane: each output gradient / 4 to its four inputs (rows and columns past 2·ho, 2·wo get 0).
function avgPool2x2PlaneBackward(gyp: usize, gp: usize, h: i32, w: i32, ho: i32, wo: i32): void {
  memory.fill(gp, 0, <usize>(h * w) << 2);
  const quarter = f32x4.splat(0.25);
  for (let oy = 0; oy < ho; oy++) {
    const r0 = gp + ((<usize>(2 * oy) * w) << 2);
    const r1 = r0 + (<usize>w << 2);
    const g = gyp + ((<usize>oy * wo) << 2);
    let ox = 0;
    for (; ox + 4 <= wo; ox += 4) {
      const v = f32x4.mul(v128.load(g + (<usize>ox << 2)), quarter);
      const lo = v128.shuffle<f32>(v, v, 0, 0, 1, 1);
      const hi = v128.shuffle<f32>(v, v, 2, 2, 3, 3);
      const o = <usize>ox << 3;
      v128.store(r0 + o, lo);
      v128.store(r0 + o, hi, 16);
      v128.store(r1 + o, lo);
      v128.store(r1 + o, hi, 16);
    }
    for (; ox < wo; ox++) {
      const v = load<f32>(g + (<usize>ox << 2)) * 0.25;
      const o = <usize>ox << 3;
      store<f32>(r0 + o, v);
      store<f32>(r0 + o, v, 4);
      store<f32>(r1 + o, v);
      store<f32>(r1 + o, v, 4);
    }
  }
}

export function avgPool2dForward(x: usize, y: usize, h: i32, w: i32, k: i32, stride: i32, begin: i32, end: i32): void {
  const ho = outSize(h, k, stride);
  const wo = outSize(w, k, stride);
  if (k == 2 && stride == 2) {
    for (let p = begin; p < end; p++) {
      avgPool2x2Plane(x + ((<usize>p * h * w) << 2), y + ((<usize>p * ho * wo) << 2), w, ho, wo);
    }
    return;
  }
  const inv: f32 = <f32>1 / <f32>(k * k);
  for (let p = begin; p < end; p++) {
    const xp = x + ((<usize>p * h * w) << 2);
    let yp = y + ((<usize>p * ho * wo) << 2);
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let s: f32 = 0;
        for (let ky = 0; ky < k; ky++) {
          const row = xp + ((<usize>(oy * stride + ky) * w + ox * stride) << 2);
          for (let kx = 0; kx < k; kx++) s += load<f32>(row + (<usize>kx << 2));
        }
        store<f32>(yp, s * inv);
        yp += 4;
      }
    }
  }
}

export function avgPool2dBackward(gy: usize, gx: usize, h: i32, w: i32, k: i32, stride: i32, begin: i32, end: i32): void {
  const ho = outSize(h, k, stride);
  const wo = outSize(w, k, stride);
  if (k == 2 && stride == 2) {
    for (let p = begin; p < end; p++) {
      avgPool2x2PlaneBackward(gy + ((<usize>p * ho * wo) << 2), gx + ((<usize>p * h * w) << 2), h, w, ho, wo);
    }
    return;
  }
  const inv: f32 = <f32>1 / <f32>(k * k);
  for (let p = begin; p < end; p++) {
    const gp = gx + ((<usize>p * h * w) << 2);
    memory.fill(gp, 0, <usize>(h * w) << 2);
    let gyp = gy + ((<usize>p * ho * wo) << 2);
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const g = load<f32>(gyp) * inv;
        gyp += 4;
        for (let ky = 0; ky < k; ky++) {
          const row = gp + ((<usize>(oy * stride + ky) * w + ox * stride) << 2);
          for (let kx = 0; kx < k; kx++) {
            const o = row + (<usize>kx << 2);
            store<f32>(o, load<f32>(o) + g);
          }
        }
      }
    }
  }
}

/** argmax holds flat indices into x (including the plane offset); the first maximum wins. */
export function maxPool2dForward(
  x: usize,
  y: usize,
  argmax: usize,
  h: i32,
  w: i32,
  k: i32,
  stride: i32,
  begin: i32,
  end: i32,
): void {
  const ho = outSize(h, k, stride);
  const wo = outSize(w, k, stride);
  for (let p = begin; p < end; p++) {
    const base = p * h * w;
    let o = <usize>p * ho * wo;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let best = base + oy * stride * w + ox * stride;
        let bv = load<f32>(x + (<usize>best << 2));
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const i = base + (oy * stride + ky) * w + ox * stride + kx;
            const v = load<f32>(x + (<usize>i << 2));
            if (v > bv) {
              bv = v;
              best = i;
            }
          }
        }
        store<f32>(y + (o << 2), bv);
        store<i32>(argmax + (o << 2), best);
        o++;
      }
    }
  }
}

export function maxPool2dBackward(
  gy: usize,
  argmax: usize,
  gx: usize,
  h: i32,
  w: i32,
  k: i32,
  stride: i32,
  begin: i32,
  end: i32,
): void {
  const windows = outSize(h, k, stride) * outSize(w, k, stride);
  for (let p = begin; p < end; p++) {
    memory.fill(gx + ((<usize>p * h * w) << 2), 0, <usize>(h * w) << 2);
    for (let i = p * windows; i < (p + 1) * windows; i++) {
      const o = gx + (<usize>load<i32>(argmax + (<usize>i << 2)) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(gy + (<usize>i << 2)));
    }
  }
}

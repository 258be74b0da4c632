// Square-window pooling without padding over planes [n·c, h, w]; work items are planes, so threads write disjoint
// outputs (max-pool backward scatters through argmax, which forward keeps inside the window's own plane).

function outSize(size: i32, k: i32, stride: i32): i32 {
  return (size - k) / stride + 1;
}

export function avgPool2dForward(x: usize, y: usize, h: i32, w: i32, k: i32, stride: i32, begin: i32, end: i32): void {
  const ho = outSize(h, k, stride);
  const wo = outSize(w, k, stride);
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

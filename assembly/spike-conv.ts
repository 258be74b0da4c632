// Event-driven conv for spike (or valued) input lists: the forward buckets (spike, tap) pairs by output position
// and sums each position's packed weight rows in registers (gather form, bit-identical to a scatter), with an
// optional inference epilogue (evaluation BN, 2×2 average pool); the weight gradient adds gy rows into the taps'
// rows. The forward splits over images or blocks of 4 output channels, each thread owning its bytes (results do not
// depend on the thread count); the weight gradient over images into per-thread partial sums that the caller adds
// in a fixed order (results fixed for a given thread count), or over channel blocks. Geometry arrives as one block
// (conv-geometry.ts).
import { geometryAt } from "./conv-geometry";
import { addTransposed } from "./weight-packing";

// Copies channels [c0, c1) between a channels-last image buffer cl[p·rowBytes + c] and planes pl[(c·plane + p)],
// in 4x4 tiles transposed in registers (toPlanes: cl -> pl, else pl -> cl).
function transposeChannels(cl: usize, rowBytes: usize, pl: usize, plane: i32, c0: i32, c1: i32, toPlanes: bool): void {
  const planeBytes = <usize>plane << 2;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const clc = cl + (<usize>c << 2);
    const plc = pl + <usize>c * planeBytes;
    let p = 0;
    for (; p + 4 <= plane; p += 4) {
      const a = clc + <usize>p * rowBytes;
      const b = plc + (<usize>p << 2);
      // Rows of the tile: 4 positions of cl, or 4 channels of pl.
      const r0 = toPlanes ? v128.load(a) : v128.load(b);
      const r1 = toPlanes ? v128.load(a + rowBytes) : v128.load(b + planeBytes);
      const r2 = toPlanes ? v128.load(a + 2 * rowBytes) : v128.load(b + 2 * planeBytes);
      const r3 = toPlanes ? v128.load(a + 3 * rowBytes) : v128.load(b + 3 * planeBytes);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const q0 = i32x4.shuffle(t0, t2, 0, 1, 4, 5);
      const q1 = i32x4.shuffle(t0, t2, 2, 3, 6, 7);
      const q2 = i32x4.shuffle(t1, t3, 0, 1, 4, 5);
      const q3 = i32x4.shuffle(t1, t3, 2, 3, 6, 7);
      if (toPlanes) {
        v128.store(b, q0);
        v128.store(b + planeBytes, q1);
        v128.store(b + 2 * planeBytes, q2);
        v128.store(b + 3 * planeBytes, q3);
      } else {
        v128.store(a, q0);
        v128.store(a + rowBytes, q1);
        v128.store(a + 2 * rowBytes, q2);
        v128.store(a + 3 * rowBytes, q3);
      }
    }
    for (; p < plane; p++) {
      for (let j = 0; j < 4; j++) copyOne(clc + <usize>p * rowBytes + (<usize>j << 2), plc + <usize>j * planeBytes + (<usize>p << 2), toPlanes);
    }
  }
  for (; c < c1; c++) {
    for (let p = 0; p < plane; p++) {
      copyOne(cl + <usize>p * rowBytes + (<usize>c << 2), pl + <usize>c * planeBytes + (<usize>p << 2), toPlanes);
    }
  }
}

@inline
function copyOne(clAt: usize, plAt: usize, toPlanes: bool): void {
  if (toPlanes) store<f32>(plAt, load<f32>(clAt));
  else store<f32>(clAt, load<f32>(plAt));
}

// dst[0 .. 4·nvec) += src[0 .. 4·nvec), four vectors per step.
@inline
function addRow(dst: usize, src: usize, nvec: i32): void {
  let v = 0;
  for (; v + 4 <= nvec; v += 4) {
    const o = <usize>v << 4;
    const d = dst + o;
    const s = src + o;
    v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
    v128.store(d, f32x4.add(v128.load(d, 16), v128.load(s, 16)), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), v128.load(s, 32)), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), v128.load(s, 48)), 48);
  }
  for (; v < nvec; v++) {
    const o = <usize>v << 4;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
}

// What walkTaps does at each (spike, tap, output position): count the position's pairs, list the tap in the
// position's bucket, or add the position's row of gy into the tap's row of the weight gradient.
const COUNT_TAPS = 0;
const LIST_TAPS = 1;
const ADD_INTO_TAPS = 2;
// LIST_TAPS for a list with values: each bucket entry is two i32, the tap's row offset and the spike's index k
const LIST_TAPS_VALUES = 3;

/**
 * Walks every spike of image `img` and every output position its window reaches. COUNT_TAPS / LIST_TAPS: bucket
 * the (spike, tap) pairs by output position (see bucketTaps; `starts`, `pairs`). ADD_INTO_TAPS: add `nvec` vectors
 * of the channels-last row of the position (base `posBase`) into the tap's row (c, ky, kx) at base `tapBase`.
 */
@inline
function walkTaps(
  idx: usize,
  offsets: usize,
  geo: usize,
  img: i32,
  mode: i32,
  rowBytes: usize,
  starts: usize,
  pairs: usize,
  tapBase: usize,
  posBase: usize,
  nvec: i32,
): void {
  // locals: the loop below stores to memory, so fields read through `g` would be reloaded every time
  const g = geometryAt(geo);
  const h = g.h;
  const w = g.w;
  const kh = g.kh;
  const kw = g.kw;
  const sh = g.strideH;
  const sw = g.strideW;
  const ph = g.padH;
  const pw = g.padW;
  const ho = g.ho;
  const wo = g.wo;
  const hw = h * w;
  const inLen = <u32>(g.cin * hw);
  const unit = sh == 1 && sw == 1; // the common case: no division per tap
  const invW = 1.0 / <f64>w;
  const k0 = load<i32>(offsets + (<usize>img << 2));
  const k1 = load<i32>(offsets + (<usize>(img + 1) << 2));
  // Positions ascend, channel-major: the channel only moves forward, so it is tracked, not divided out.
  let c = 0;
  for (let k = k0; k < k1; k++) {
    const pos = load<i32>(idx + (<usize>k << 2));
    if (<u32>pos >= inLen) continue; // malformed list: never write outside the buffers
    if (pos < c * hw) c = pos / hw; // out of order (malformed): start over from a division
    while (pos >= (c + 1) * hw) c++;
    const rem = pos - c * hw;
    // rem / w through a reciprocal (an integer division per spike costs more than the rest of the walk)
    let iy = <i32>(<f64>rem * invW);
    if (iy * w > rem) iy--;
    else if ((iy + 1) * w <= rem) iy++;
    const ix = rem - iy * w;
    if (unit) {
      // Output oy = iy + padH - ky must lie in [0, ho): ky runs over one interval, likewise kx.
      const ky0 = max(0, iy + ph - ho + 1);
      const ky1 = min(kh - 1, iy + ph);
      const kx0 = max(0, ix + pw - wo + 1);
      const kx1 = min(kw - 1, ix + pw);
      for (let ky = ky0; ky <= ky1; ky++) {
        const rowP = (iy + ph - ky) * wo + ix + pw;
        const rowTap = (c * kh + ky) * kw;
        for (let kx = kx0; kx <= kx1; kx++) visitTap(mode, rowTap + kx, rowP - kx, k, rowBytes, starts, pairs, tapBase, posBase, nvec);
      }
      continue;
    }
    // Output oy covers input iy through tap ky = iy + padH - oy·strideH: walk ky while that stays >= 0.
    for (let ky = 0; ky < kh; ky++) {
      const ny = iy + ph - ky;
      if (ny < 0) break;
      const oy = ny / sh;
      if (oy * sh != ny || oy >= ho) continue;
      for (let kx = 0; kx < kw; kx++) {
        const nx = ix + pw - kx;
        if (nx < 0) break;
        const ox = nx / sw;
        if (ox * sw != nx || ox >= wo) continue;
        visitTap(mode, (c * kh + ky) * kw + kx, oy * wo + ox, k, rowBytes, starts, pairs, tapBase, posBase, nvec);
      }
    }
  }
}

// walkTaps' work at one (tap, output position p) of spike k.
@inline
function visitTap(mode: i32, tap: i32, p: i32, k: i32, rowBytes: usize, starts: usize, pairs: usize, tapBase: usize, posBase: usize, nvec: i32): void {
  if (mode == ADD_INTO_TAPS) addRow(tapBase + <usize>tap * rowBytes, posBase + <usize>p * rowBytes, nvec);
  else {
    const cursor = starts + (<usize>(p + 1) << 2);
    const j = load<i32>(cursor);
    if (mode == LIST_TAPS) store<i32>(pairs + (<usize>j << 2), <i32>(<usize>tap * rowBytes));
    if (mode == LIST_TAPS_VALUES) {
      store<i32>(pairs + (<usize>j << 3), <i32>(<usize>tap * rowBytes));
      store<i32>(pairs + (<usize>j << 3), k, 4);
    }
    store<i32>(cursor, j + 1);
  }
}

function fillPlane(at: usize, len: i32, value: f32): void {
  const v = f32x4.splat(value);
  let p = 0;
  for (; p + 4 <= len; p += 4) v128.store(at + (<usize>p << 2), v);
  for (; p < len; p++) store<f32>(at + (<usize>p << 2), value);
}

/**
 * Conv forward on spike lists (one row per image) for output channels in blocks [begin, end) of 4. wT is the
 * packed weight [cin·kh·kw + 1, stride] (bias last). Per image, the (spike, tap) pairs are first bucketed by the
 * output position they reach (`lists`, see bucketTaps), in spike order; then each output position sums its taps'
 * weight rows in registers, starting from the bias — the same additions in the same order as scattering spike after
 * spike, with a third of the memory traffic. scratch [ho·wo, stride] holds one image channels-last, each thread in
 * its own columns, and goes out transposed to y [n, cout, ho, wo].
 *
 * With values != 0 (one f32 per list entry: event counts) each entry adds value · row and the sum starts at zero,
 * the bias added last: the dense conv2dForward's result for the same input, bit for bit, while cin·kh·kw fits one
 * GEMM depth panel (256).
 *
 * Inference epilogue (see convEpilogue): with scale != 0 an evaluation batch norm (packed rows [stride] of scale
 * and shift), with pool2 != 0 then a 2×2 stride-2 average pool; y is then [n, cout, ho/2, wo/2].
 */
export function conv2dSpikeForward(
  idx: usize,
  offsets: usize,
  wT: usize,
  stride: i32,
  scratch: usize,
  lists: usize,
  y: usize,
  geo: usize,
  values: usize,
  scale: usize,
  shift: usize,
  pool2: i32,
  begin: i32,
  end: i32,
): void {
  const g = geometryAt(geo);
  const taps = g.cin * g.kh * g.kw;
  const plane = g.ho * g.wo;
  const outPlane = pool2 ? (g.ho >> 1) * (g.wo >> 1) : plane;
  const epilogue = scale != 0 || pool2 != 0;
  const rowBytes = <usize>stride << 2;
  const c0 = begin * 4;
  const c1 = min(end * 4, g.cout);
  const nvec = end - begin;
  const colBytes = <usize>c0 << 2;
  const biasRow = wT + <usize>taps * rowBytes + colBytes;
  for (let img = 0; img < g.n; img++) {
    const yImg = y + ((<usize>(img * g.cout) * <usize>outPlane) << 2);
    const empty = load<i32>(offsets + (<usize>img << 2)) == load<i32>(offsets + (<usize>(img + 1) << 2));
    if (empty && !epilogue && values == 0) {
      // No spike in this image: its output is the bias, written straight out (an empty frame costs only that).
      for (let co = c0; co < c1; co++) fillPlane(yImg + ((<usize>co * <usize>plane) << 2), plane, load<f32>(biasRow + (<usize>(co - c0) << 2)));
      continue;
    }
    const starts = lists;
    const pairs = lists + ((<usize>(plane + 1 + g.h * g.w)) << 2);
    if (empty) memory.fill(starts, 0, (<usize>plane + 1) << 2);
    else bucketTaps(idx, offsets, geo, img, rowBytes, lists, values != 0);
    for (let p = 0; p < plane; p++) {
      const j0 = load<i32>(starts + (<usize>p << 2));
      const j1 = load<i32>(starts + (<usize>(p + 1) << 2));
      const out = scratch + <usize>p * rowBytes + colBytes;
      if (values == 0) sumTaps(pairs, j0, j1, wT + colBytes, biasRow, out, nvec);
      else sumValueTaps(pairs, j0, j1, values, wT + colBytes, biasRow, out, nvec);
    }
    if (epilogue) convEpilogue(scratch + colBytes, rowBytes, nvec, g.ho, g.wo, scale + colBytes, shift + colBytes, scale != 0, pool2 != 0);
    transposeChannels(scratch, rowBytes, yImg, outPlane, c0, c1, true);
  }
}

/**
 * In place on the channels-last image (rows of `rowBytes`, this thread's nvec vectors from `at`): batch norm
 * x·scale + shift, then a 2×2 stride-2 average ((x00 + x10) + (x01 + x11)) · 0.25 into rows py·(wo/2) + px, which
 * never overwrite a row still to be read. The same f32 operations in the same order as batchNormForwardEval and
 * avgPool2x2Plane (batchnorm.ts, pool.ts), so the fused result is bit-identical to the three kernels in turn.
 */
function convEpilogue(at: usize, rowBytes: usize, nvec: i32, ho: i32, wo: i32, scale: usize, shift: usize, bn: bool, pool: bool): void {
  if (!pool) {
    for (let p = 0; p < ho * wo; p++) {
      const row = at + <usize>p * rowBytes;
      for (let v = 0; v < nvec; v++) {
        const o = <usize>v << 4;
        v128.store(row + o, f32x4.add(f32x4.mul(v128.load(row + o), v128.load(scale + o)), v128.load(shift + o)));
      }
    }
    return;
  }
  const quarter = f32x4.splat(0.25);
  const hp = ho >> 1;
  const wp = wo >> 1;
  for (let py = 0; py < hp; py++) {
    for (let px = 0; px < wp; px++) {
      const r00 = at + <usize>(2 * py * wo + 2 * px) * rowBytes;
      const r10 = r00 + <usize>wo * rowBytes;
      const out = at + <usize>(py * wp + px) * rowBytes;
      for (let v = 0; v < nvec; v++) {
        const o = <usize>v << 4;
        let x00 = v128.load(r00 + o);
        let x01 = v128.load(r00 + rowBytes + o);
        let x10 = v128.load(r10 + o);
        let x11 = v128.load(r10 + rowBytes + o);
        if (bn) {
          const sc = v128.load(scale + o);
          const sh = v128.load(shift + o);
          x00 = f32x4.add(f32x4.mul(x00, sc), sh);
          x01 = f32x4.add(f32x4.mul(x01, sc), sh);
          x10 = f32x4.add(f32x4.mul(x10, sc), sh);
          x11 = f32x4.add(f32x4.mul(x11, sc), sh);
        }
        v128.store(out + o, f32x4.mul(f32x4.add(f32x4.add(x00, x10), f32x4.add(x01, x11)), quarter));
      }
    }
  }
}

/**
 * Buckets image `img`'s (spike, tap) pairs by output position: starts[p] .. starts[p + 1] index the byte offsets
 * (tap · rowBytes) of the weight rows that reach position p, in spike order. Counting pass, running sums, fill.
 * `lists` holds starts (ho·wo + 1 entries), then h·w per-pixel counts (stride 1), then the pairs.
 */
function bucketTaps(idx: usize, offsets: usize, geo: usize, img: i32, rowBytes: usize, lists: usize, valued: bool): void {
  const g = geometryAt(geo);
  const plane = g.ho * g.wo;
  const hw = g.h * g.w;
  const starts = lists;
  const pixels = lists + ((<usize>plane + 1) << 2);
  const pairs = pixels + (<usize>hw << 2);
  memory.fill(starts, 0, (<usize>plane + 1) << 2);
  if (g.strideH == 1 && g.strideW == 1) countByWindows(idx, offsets, geo, img, starts, pixels);
  else walkTaps(idx, offsets, geo, img, COUNT_TAPS, rowBytes, starts, pairs, 0, 0, 0);
  // exclusive running sums, shifted one place up so that the fill pass can use starts[p + 1] as p's cursor
  let total = 0;
  for (let p = 0; p < plane; p++) {
    const at = starts + (<usize>(p + 1) << 2);
    const c = load<i32>(at);
    store<i32>(at, total);
    total += c;
  }
  if (valued) walkTaps(idx, offsets, geo, img, LIST_TAPS_VALUES, rowBytes, starts, pairs, 0, 0, 0);
  else walkTaps(idx, offsets, geo, img, LIST_TAPS, rowBytes, starts, pairs, 0, 0, 0);
}

/**
 * Stride 1: the number of pairs reaching output (oy, ox) is the number of spikes (any channel) in its kh × kw input
 * window, so count spikes per input pixel once and sum windows (instead of one increment per spike and tap).
 * Writes the counts to starts[p + 1].
 */
function countByWindows(idx: usize, offsets: usize, geo: usize, img: i32, starts: usize, pixels: usize): void {
  const g = geometryAt(geo);
  const hw = g.h * g.w;
  const inLen = <u32>(g.cin * hw);
  memory.fill(pixels, 0, <usize>hw << 2);
  const k0 = load<i32>(offsets + (<usize>img << 2));
  const k1 = load<i32>(offsets + (<usize>(img + 1) << 2));
  for (let k = k0; k < k1; k++) {
    const pos = load<u32>(idx + (<usize>k << 2));
    if (pos >= inLen) continue; // skipped by walkTaps too
    const at = pixels + (<usize>(pos % <u32>hw) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  for (let oy = 0; oy < g.ho; oy++) {
    // input rows iy = oy - padH + ky, kept inside [0, h); likewise columns
    const iy0 = max(0, oy - g.padH);
    const iy1 = min(g.h - 1, oy - g.padH + g.kh - 1);
    for (let ox = 0; ox < g.wo; ox++) {
      const ix0 = max(0, ox - g.padW);
      const ix1 = min(g.w - 1, ox - g.padW + g.kw - 1);
      let n = 0;
      for (let iy = iy0; iy <= iy1; iy++) {
        const row = pixels + ((<usize>iy * <usize>g.w) << 2);
        for (let ix = ix0; ix <= ix1; ix++) n += load<i32>(row + (<usize>ix << 2));
      }
      store<i32>(starts + (<usize>(oy * g.wo + ox + 1) << 2), n);
    }
  }
}

/**
 * out[0 .. 4·nvec) = (Σ_j x_j · row_j) + bias over the bucket's (row offset, spike k) entries j in [j0, j1), with
 * x_j = values[k]: the sum starts at zero and runs in spike order, as the dense conv's GEMM runs over k = (c, ky, kx)
 * (its zero inputs add nothing), and the bias comes last, as there.
 */
function sumValueTaps(pairs: usize, j0: i32, j1: i32, values: usize, w: usize, bias: usize, out: usize, nvec: i32): void {
  let v = 0;
  for (; v + 4 <= nvec; v += 4) {
    const o = <usize>v << 4;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let j = j0; j < j1; j++) {
      const e = pairs + (<usize>j << 3);
      const r = w + <usize>load<i32>(e) + o;
      const x = v128.load32_splat(values + (<usize>load<i32>(e, 4) << 2));
      a0 = f32x4.add(a0, f32x4.mul(v128.load(r), x));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(r, 16), x));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(r, 32), x));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(r, 48), x));
    }
    v128.store(out + o, f32x4.add(a0, v128.load(bias + o)));
    v128.store(out + o, f32x4.add(a1, v128.load(bias + o, 16)), 16);
    v128.store(out + o, f32x4.add(a2, v128.load(bias + o, 32)), 32);
    v128.store(out + o, f32x4.add(a3, v128.load(bias + o, 48)), 48);
  }
  for (; v < nvec; v++) {
    const o = <usize>v << 4;
    let a = f32x4.splat(0);
    for (let j = j0; j < j1; j++) {
      const e = pairs + (<usize>j << 3);
      a = f32x4.add(a, f32x4.mul(v128.load(w + <usize>load<i32>(e) + o), v128.load32_splat(values + (<usize>load<i32>(e, 4) << 2))));
    }
    v128.store(out + o, f32x4.add(a, v128.load(bias + o)));
  }
}

// out[0 .. 4·nvec) = bias + Σ_j row(pairs[j]) for j in [j0, j1), accumulated in registers 4 vectors at a time
// (measured faster than 8: V8 keeps 4 accumulators and their loads in registers without spilling).
function sumTaps(pairs: usize, j0: i32, j1: i32, w: usize, bias: usize, out: usize, nvec: i32): void {
  let v = 0;
  for (; v + 4 <= nvec; v += 4) {
    const o = <usize>v << 4;
    let a0 = v128.load(bias + o);
    let a1 = v128.load(bias + o, 16);
    let a2 = v128.load(bias + o, 32);
    let a3 = v128.load(bias + o, 48);
    for (let j = j0; j < j1; j++) {
      const r = w + <usize>load<i32>(pairs + (<usize>j << 2)) + o;
      a0 = f32x4.add(a0, v128.load(r));
      a1 = f32x4.add(a1, v128.load(r, 16));
      a2 = f32x4.add(a2, v128.load(r, 32));
      a3 = f32x4.add(a3, v128.load(r, 48));
    }
    v128.store(out + o, a0);
    v128.store(out + o, a1, 16);
    v128.store(out + o, a2, 32);
    v128.store(out + o, a3, 48);
  }
  for (; v < nvec; v++) {
    const o = <usize>v << 4;
    let a = v128.load(bias + o);
    for (let j = j0; j < j1; j++) a = f32x4.add(a, v128.load(w + <usize>load<i32>(pairs + (<usize>j << 2)) + o));
    v128.store(out + o, a);
  }
}

/**
 * Conv weight gradient on spike lists for the geometry's n images (`offsets` and `gy` start at the first of them)
 * and output channels in blocks [begin, end) of 4: gwT [cin·kh·kw, stride] and scratch [ho·wo, stride] (gy of one
 * image, channels-last) are scratch, zeroed here in this range's columns. With gw != 0 the sum is added into
 * gw [cout, cin, kh, kw] at the end; with gw == 0 it is left in gwT (a thread's partial sum over its images, which
 * the caller reduces). Images without spikes are skipped. With coords != 0 (room for the busiest image's spikes;
 * stride 1 only) each tap's row is updated once per image and input channel by gathering (gatherTapsStride1)
 * instead of once per spike.
 */
export function conv2dSpikeWeightGrad(
  idx: usize,
  offsets: usize,
  gy: usize,
  gwT: usize,
  stride: i32,
  scratch: usize,
  gw: usize,
  geo: usize,
  coords: usize,
  begin: i32,
  end: i32,
): void {
  const g = geometryAt(geo);
  const n = g.n;
  const taps = g.cin * g.kh * g.kw;
  const cout = g.cout;
  const plane = g.ho * g.wo;
  const rowBytes = <usize>stride << 2;
  const c0 = begin * 4;
  const c1 = min(end * 4, cout);
  const nvec = end - begin;
  const colBytes = <usize>c0 << 2;
  for (let k = 0; k < taps; k++) {
    const at = gwT + <usize>k * rowBytes + colBytes;
    for (let v = 0; v < nvec; v++) v128.store(at + (<usize>v << 4), f32x4.splat(0));
  }
  // Padding columns (cout .. end·4) of the image buffer stay zero so they add nothing.
  for (let p = 0; p < plane; p++) {
    const at = scratch + <usize>p * rowBytes;
    for (let co = c1; co < end * 4; co++) store<f32>(at + (<usize>co << 2), 0);
  }
  for (let img = 0; img < n; img++) {
    const k0 = load<i32>(offsets + (<usize>img << 2));
    const k1 = load<i32>(offsets + (<usize>(img + 1) << 2));
    if (k0 == k1) continue;
    transposeChannels(scratch, rowBytes, gy + ((<usize>(img * cout) * <usize>plane) << 2), plane, c0, c1, false);
    if (coords != 0) {
      spikeCoords(idx + (<usize>k0 << 2), k1 - k0, g.h, g.w, coords);
      gatherTapsStride1(idx + (<usize>k0 << 2), coords, k1 - k0, geo, gwT + colBytes, scratch + colBytes, rowBytes, nvec);
    } else walkTaps(idx, offsets, geo, img, ADD_INTO_TAPS, rowBytes, 0, 0, gwT + colBytes, scratch + colBytes, nvec);
  }
  if (gw != 0) addTransposed(gwT, stride, gw, taps, c0, c1);
}

/** coords[k] = (iy << 16) | ix of each of the `count` listed positions (c·h·w + iy·w + ix), for the stride-1 gradient. */
function spikeCoords(idx: usize, count: i32, h: i32, w: i32, coords: usize): void {
  const hw = h * w;
  for (let k = 0; k < count; k++) {
    const rem = load<i32>(idx + (<usize>k << 2)) % hw;
    const iy = rem / w;
    store<i32>(coords + (<usize>k << 2), (iy << 16) | (rem - iy * w));
  }
}

// One image's `count` spikes (idx and coords start at its first), one input channel at a time (the list is sorted, so a channel's spikes are contiguous):
// for every tap, sums the gy rows (channels-last in `pos`) of the outputs its spikes reach, 8 vectors at a time in
// registers, then adds the sums to the tap's row of gwT once. Stride 1 only.
function gatherTapsStride1(
  idx: usize,
  coords: usize,
  count: i32,
  geo: usize,
  tapBase: usize,
  posBase: usize,
  rowBytes: usize,
  nvec: i32,
): void {
  const g = geometryAt(geo);
  const h = g.h;
  const w = g.w;
  const kh = g.kh;
  const kw = g.kw;
  const ph = g.padH;
  const pw = g.padW;
  const ho = <u32>g.ho;
  const wo = g.wo;
  const hw = h * w;
  const inLen = <u32>(g.cin * hw);
  let k = 0;
  while (k < count) {
    const pos0 = <u32>load<i32>(idx + (<usize>k << 2));
    if (pos0 >= inLen) {
      k++;
      continue;
    }
    const c = <i32>pos0 / hw;
    let kEnd = k + 1;
    while (kEnd < count && <u32>load<i32>(idx + (<usize>kEnd << 2)) / <u32>hw == <u32>c) kEnd++;
    for (let ky = 0; ky < kh; ky++) {
      const dy = ph - ky;
      for (let kx = 0; kx < kw; kx++) {
        const dx = pw - kx;
        const tap = tapBase + <usize>((c * kh + ky) * kw + kx) * rowBytes;
        let v = 0;
        for (; v + 8 <= nvec; v += 8) {
          const vb = <usize>v << 4;
          let a0 = f32x4.splat(0);
          let a1 = f32x4.splat(0);
          let a2 = f32x4.splat(0);
          let a3 = f32x4.splat(0);
          let a4 = f32x4.splat(0);
          let a5 = f32x4.splat(0);
          let a6 = f32x4.splat(0);
          let a7 = f32x4.splat(0);
          for (let j = k; j < kEnd; j++) {
            const yx = load<i32>(coords + (<usize>j << 2));
            const oy = (yx >> 16) + dy;
            const ox = (yx & 0xffff) + dx;
            if (<u32>oy >= ho || <u32>ox >= <u32>wo) continue;
            const src = posBase + <usize>(oy * wo + ox) * rowBytes + vb;
            a0 = f32x4.add(a0, v128.load(src));
            a1 = f32x4.add(a1, v128.load(src, 16));
            a2 = f32x4.add(a2, v128.load(src, 32));
            a3 = f32x4.add(a3, v128.load(src, 48));
            a4 = f32x4.add(a4, v128.load(src, 64));
            a5 = f32x4.add(a5, v128.load(src, 80));
            a6 = f32x4.add(a6, v128.load(src, 96));
            a7 = f32x4.add(a7, v128.load(src, 112));
          }
          const d = tap + vb;
          v128.store(d, f32x4.add(v128.load(d), a0));
          v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
          v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
          v128.store(d, f32x4.add(v128.load(d, 48), a3), 48);
          v128.store(d, f32x4.add(v128.load(d, 64), a4), 64);
          v128.store(d, f32x4.add(v128.load(d, 80), a5), 80);
          v128.store(d, f32x4.add(v128.load(d, 96), a6), 96);
          v128.store(d, f32x4.add(v128.load(d, 112), a7), 112);
        }
        for (; v < nvec; v++) {
          const vb = <usize>v << 4;
          let a = f32x4.splat(0);
          for (let j = k; j < kEnd; j++) {
            const yx = load<i32>(coords + (<usize>j << 2));
            const oy = (yx >> 16) + dy;
            const ox = (yx & 0xffff) + dx;
            if (<u32>oy >= ho || <u32>ox >= <u32>wo) continue;
            a = f32x4.add(a, v128.load(posBase + <usize>(oy * wo + ox) * rowBytes + vb));
          }
          const d = tap + vb;
          v128.store(d, f32x4.add(v128.load(d), a));
        }
      }
    }
    k = kEnd;
  }
}

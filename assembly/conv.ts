// conv2d forward and backward by im2col + packed GEMM, one image at a time.
// x [n, cin, h, w], w [cout, cin·kh·kw], y [n, cout, ho, wo], the geometry as one block (conv-geometry.ts). Per
// image the column matrix col [cin·kh·kw, ho·wo] lives in the caller's scratch (after the GEMM's packing space). Each kernel takes a range of images and a range
// of output channels (forward, weight gradient) or input channels (input gradient), so the caller can split work
// either way; the weight gradient accumulates into whatever gw it is given (the caller's private per-thread sums).
import { geometryAt } from "./conv-geometry";
import { addScalarToRow } from "./elementwise";
import { gemmBlock, gemmScratchBytes } from "./gemm";

function isPointwise(kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32): bool {
  return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
}

/** Scratch bytes a conv call with geometry block `geo` needs: GEMM packing plus one image's column matrix. */
export function convScratchBytes(geo: usize): usize {
  const g = geometryAt(geo);
  return gemmScratchBytes() + ((<usize>g.cin * g.kh * g.kw * g.ho * g.wo) << 2);
}

// dst[i] = <f32>src[i] for n bytes (0/1 spikes kept as bytes, widened where a kernel reads them).
function widenBytes(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(src + <usize>i)));
    v128.store(dst + (<usize>i << 2), f32x4.convert_i32x4_u(v));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + <usize>i));
}

// col[(ci·kh + ky)·kw + kx, oy·wo + ox] = x[ci, oy·sh - ph + ky, ox·sw - pw + kx] (0 outside), for ci in [ci0, ci1).
// With `bytes`, x holds one byte per value (read as its f32 value) and col gets the same floats as from f32 x.
function im2col(
  x: usize,
  ci0: i32,
  ci1: i32,
  h: i32,
  w: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  ph: i32,
  pw: i32,
  ho: i32,
  wo: i32,
  col: usize,
  bytes: bool,
): void {
  const plane = <usize>(ho * wo) << 2;
  const shift: usize = bytes ? 0 : 2;
  for (let ci = ci0; ci < ci1; ci++) {
    const xc = x + ((<usize>ci * h * w) << shift);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let dst = col + <usize>((ci * kh + ky) * kw + kx) * plane;
        // output columns whose input column is inside the image: ox in [oxLo, oxHi)
        let oxLo = 0;
        while (oxLo < wo && oxLo * sw - pw + kx < 0) oxLo++;
        let oxHi = wo;
        while (oxHi > oxLo && (oxHi - 1) * sw - pw + kx >= w) oxHi--;
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - ph + ky;
          if (iy < 0 || iy >= h) {
            memory.fill(dst, 0, <usize>wo << 2);
          } else {
            if (oxLo > 0) memory.fill(dst, 0, <usize>oxLo << 2);
            const src = xc + ((<usize>iy * w) << shift);
            if (sw == 1 && bytes) {
              widenBytes(dst + (<usize>oxLo << 2), src + <usize>(oxLo - pw + kx), oxHi - oxLo);
            } else if (sw == 1) {
              memory.copy(dst + (<usize>oxLo << 2), src + (<usize>(oxLo - pw + kx) << 2), <usize>(oxHi - oxLo) << 2);
            } else if (bytes) {
              for (let ox = oxLo; ox < oxHi; ox++) {
                store<f32>(dst + (<usize>ox << 2), <f32>load<u8>(src + <usize>(ox * sw - pw + kx)));
              }
            } else {
              for (let ox = oxLo; ox < oxHi; ox++) {
                store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sw - pw + kx) << 2)));
              }
            }
            if (oxHi < wo) memory.fill(dst + (<usize>oxHi << 2), 0, <usize>(wo - oxHi) << 2);
          }
          dst += <usize>wo << 2;
        }
      }
    }
  }
}

// gx[ci] (zeroed first) = Σ over col rows of channel ci scattered back to their input positions, ci in [ci0, ci1).
function col2im(
  col: usize,
  ci0: i32,
  ci1: i32,
  h: i32,
  w: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  ph: i32,
  pw: i32,
  ho: i32,
  wo: i32,
  gx: usize,
): void {
  const plane = <usize>(ho * wo) << 2;
  for (let ci = ci0; ci < ci1; ci++) {
    const gc = gx + ((<usize>ci * h * w) << 2);
    memory.fill(gc, 0, <usize>(h * w) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let src = col + <usize>((ci * kh + ky) * kw + kx) * plane;
        let oxLo = 0;
        while (oxLo < wo && oxLo * sw - pw + kx < 0) oxLo++;
        let oxHi = wo;
        while (oxHi > oxLo && (oxHi - 1) * sw - pw + kx >= w) oxHi--;
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - ph + ky;
          if (iy >= 0 && iy < h) {
            const row = gc + ((<usize>iy * w) << 2);
            if (sw == 1) {
              const d = row + (<usize>(oxLo - pw + kx) << 2);
              const s = src + (<usize>oxLo << 2);
              const len = oxHi - oxLo;
              let j = 0;
              for (; j + 4 <= len; j += 4) {
                const o = <usize>j << 2;
                v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
              }
              for (; j < len; j++) {
                const o = <usize>j << 2;
                store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
              }
            } else {
              for (let ox = oxLo; ox < oxHi; ox++) {
                const d = row + (<usize>(ox * sw - pw + kx) << 2);
                store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ox << 2)));
              }
            }
          }
          src += <usize>wo << 2;
        }
      }
    }
  }
}

// Byte offset of image img in x (`image` values per image; one byte each with xBytes, else four).
// @ts-ignore: decorator
@inline
function imageAt(x: usize, img: i32, image: usize, xBytes: bool): usize {
  return x + (xBytes ? <usize>img * image : (<usize>img * image) << 2);
}

/**
 * y for images [img0, img1) and output channels [co0, co1); bias = 0 means none. With `xBytes`, x holds one byte
 * per value (0/1 spikes), read as f32 into the same column matrix, so y is bit-identical to x stored as f32.
 */
export function conv2dForward(
  x: usize,
  xBytes: bool,
  wt: usize,
  bias: usize,
  y: usize,
  geo: usize,
  scratch: usize,
  img0: i32,
  img1: i32,
  co0: i32,
  co1: i32,
): void {
  const g = geometryAt(geo);
  const cin = g.cin, h = g.h, w = g.w, cout = g.cout, kh = g.kh, kw = g.kw;
  const sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW, ho = g.ho, wo = g.wo;
  const p = ho * wo;
  const kk = cin * kh * kw;
  const col = scratch + gemmScratchBytes();
  const pointwise = isPointwise(kh, kw, sh, sw, ph, pw);
  const image = <usize>cin * h * w;
  for (let img = img0; img < img1; img++) {
    const xi = imageAt(x, img, image, xBytes);
    const yi = y + ((<usize>img * cout * p) << 2);
    let b = xi;
    if (!pointwise) {
      im2col(xi, 0, cin, h, w, kh, kw, sh, sw, ph, pw, ho, wo, col, xBytes);
      b = col;
    }
    // pointwise: x itself is B [cin, h·w], read as bytes by the packing when it holds bytes
    gemmBlock(false, false, pointwise && xBytes, kk, 1, wt, kk, b, p, 0, yi, p, scratch, co0, co1, 0, p);
    if (bias != 0) {
      for (let co = co0; co < co1; co++) {
        addScalarToRow(yi + ((<usize>co * p) << 2), p, load<f32>(bias + (<usize>co << 2)));
      }
    }
  }
}

/** gx (overwritten) for images [img0, img1) and input channels [ci0, ci1). */
export function conv2dBackwardInput(
  gy: usize,
  wt: usize,
  gx: usize,
  geo: usize,
  scratch: usize,
  img0: i32,
  img1: i32,
  ci0: i32,
  ci1: i32,
): void {
  const g = geometryAt(geo);
  const cin = g.cin, h = g.h, w = g.w, cout = g.cout, kh = g.kh, kw = g.kw;
  const sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW, ho = g.ho, wo = g.wo;
  const p = ho * wo;
  const kk = cin * kh * kw;
  const khw = kh * kw;
  const col = scratch + gemmScratchBytes();
  const pointwise = isPointwise(kh, kw, sh, sw, ph, pw);
  for (let img = img0; img < img1; img++) {
    const gyi = gy + ((<usize>img * cout * p) << 2);
    const gxi = gx + ((<usize>img * cin * h * w) << 2);
    if (pointwise) {
      gemmBlock(true, false, false, cout, 1, wt, kk, gyi, p, 0, gxi, p, scratch, ci0, ci1, 0, p);
    } else {
      gemmBlock(true, false, false, cout, 1, wt, kk, gyi, p, 0, col, p, scratch, ci0 * khw, ci1 * khw, 0, p);
      col2im(col, ci0, ci1, h, w, kh, kw, sh, sw, ph, pw, ho, wo, gxi);
    }
  }
}

/**
 * gw += dL/dw and gb += dL/db (gb = 0 means none) over images [img0, img1), output channels [co0, co1). With
 * `xBytes`, x holds one byte per value (a layer's 0/1 input spikes kept compactly), widened to f32 while building
 * the column matrix: the same matrix, so gw and gb are bit-identical to x stored as f32.
 */
export function conv2dBackwardWeight(
  x: usize,
  xBytes: bool,
  gy: usize,
  gw: usize,
  gb: usize,
  geo: usize,
  scratch: usize,
  img0: i32,
  img1: i32,
  co0: i32,
  co1: i32,
): void {
  const g = geometryAt(geo);
  const cin = g.cin, h = g.h, w = g.w, cout = g.cout, kh = g.kh, kw = g.kw;
  const sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW, ho = g.ho, wo = g.wo;
  const p = ho * wo;
  const kk = cin * kh * kw;
  const col = scratch + gemmScratchBytes();
  const pointwise = isPointwise(kh, kw, sh, sw, ph, pw);
  const image = <usize>cin * h * w;
  for (let img = img0; img < img1; img++) {
    const xi = imageAt(x, img, image, xBytes);
    const gyi = gy + ((<usize>img * cout * p) << 2);
    let b = xi;
    if (pointwise && xBytes) {
      // x is already the column matrix [cin, h·w]; only its bytes need widening
      widenBytes(col, xi, <i32>image);
      b = col;
    } else if (!pointwise) {
      im2col(xi, 0, cin, h, w, kh, kw, sh, sw, ph, pw, ho, wo, col, xBytes);
      b = col;
    }
    gemmBlock(false, true, false, p, 1, gyi, p, b, p, 1, gw, kk, scratch, co0, co1, 0, kk);
    if (gb != 0) {
      for (let co = co0; co < co1; co++) {
        const row = gyi + ((<usize>co * p) << 2);
        let acc = f32x4.splat(0);
        let j = 0;
        for (; j + 4 <= p; j += 4) acc = f32x4.add(acc, v128.load(row + (<usize>j << 2)));
        let s: f32 =
          f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        for (; j < p; j++) s += load<f32>(row + (<usize>j << 2));
        const o = gb + (<usize>co << 2);
        store<f32>(o, load<f32>(o) + s);
      }
    }
  }
}

// Records of a NumPy structured array into t/x/y/p columns: the wasm twin of decodeRecords in
// src/events/decoders/npy.ts (same field reads, same stop rule; the caller reports the record it stops at).

import { LAST, MAX_X, MAX_Y, maxU16, raiseMaxXY } from "./columns";

// state slots at `st` (float64), as in npy.ts
const BAD_T = 3;
const BAD_X = 4;
const BAD_Y = 5;
const BAD_P = 6;

/** An integer field read as the little-endian int32 at byte `at` of the record: ((w << l) >> r) & m. */
@inline function field(o: usize, at: i32, l: i32, r: i32, m: i32): i32 {
  return ((load<i32>(o + <usize>at) << l) >> r) & m;
}

/**
 * Writes records [i, n) (record i at src + i·size) into T, X, Y, P at index i. t is the int64 at tLo (tShift 0), or
 * the int32 (tUnsigned 0) or uint32 (1) in its low half (tShift 32), as a double: the same double as the JS twin's
 * hi · 2^32 + lo, since both round the exact value once.
 * Returns the index of the first record outside the sensor or earlier than the one before (not written; its
 * fields in the BAD_* slots), or -1. Integer coordinates, unsigned bound checks and one branch per record keep
 * the loop short.
 */
export function npyRecords(
  src: usize,
  i: i32,
  n: i32,
  size: i32,
  tLo: i32,
  tShift: i32,
  tUnsigned: i32,
  xa: i32,
  xl: i32,
  xr: i32,
  xm: i32,
  ya: i32,
  yl: i32,
  yr: i32,
  ym: i32,
  pa: i32,
  pl: i32,
  pr: i32,
  pm: i32,
  T: usize,
  X: usize,
  Y: usize,
  P: usize,
  W: i32,
  H: i32,
  st: usize,
): i32 {
  let last = load<f64>(st + (LAST << 3));
  let mx = <i32>load<f64>(st + (MAX_X << 3));
  let my = <i32>load<f64>(st + (MAX_Y << 3));
  const ts = <i64>tShift;
  const tm: i64 = tUnsigned != 0 ? 0xffffffff : -1;
  let o = src + <usize>i * <usize>size;
  for (; i < n; i++, o += <usize>size) {
    const t = <f64>(((load<i64>(o + <usize>tLo) << ts) >> ts) & tm);
    const x = field(o, xa, xl, xr, xm);
    const y = field(o, ya, yl, yr, ym);
    const p = field(o, pa, pl, pr, pm);
    if ((<i32>(<u32>x >= <u32>W) | <i32>(<u32>y >= <u32>H) | <i32>(t < last)) != 0) {
      store<f64>(st + (BAD_T << 3), t);
      store<f64>(st + (BAD_X << 3), <f64>x);
      store<f64>(st + (BAD_Y << 3), <f64>y);
      store<f64>(st + (BAD_P << 3), <f64>p);
      break;
    }
    last = t;
    mx = max(mx, x);
    my = max(my, y);
    store<f64>(T + (<usize>i << 3), t);
    store<u16>(X + (<usize>i << 1), <u16>x);
    store<u16>(Y + (<usize>i << 1), <u16>y);
    store<u8>(P + <usize>i, <u8>(p > 0));
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (MAX_X << 3), <f64>mx);
  store<f64>(st + (MAX_Y << 3), <f64>my);
  return i < n ? i : -1;
}

/**
 * npyRecords for the common layout (Tonic's, writeNpyEvents'): t a little-endian int64, x and y 16-bit integers
 * (signed: XY = i16, or u16), p one byte (signed: PB = i8, or u8). Loads of the fields' own types, and the
 * maxima taken from the written columns afterwards, make it half the work per record of the general loop.
 */
@inline function records16<XY, PB>(
  src: usize,
  i: i32,
  n: i32,
  size: i32,
  ta: i32,
  xa: i32,
  ya: i32,
  pa: i32,
  T: usize,
  X: usize,
  Y: usize,
  P: usize,
  W: i32,
  H: i32,
  st: usize,
): i32 {
  const i0 = i;
  let last = load<f64>(st + (LAST << 3));
  let o = src + <usize>i * <usize>size;
  for (; i < n; i++, o += <usize>size) {
    const t = <f64>load<i64>(o + <usize>ta);
    const x = <i32>load<XY>(o + <usize>xa);
    const y = <i32>load<XY>(o + <usize>ya);
    const p = <i32>load<PB>(o + <usize>pa);
    if ((<i32>(<u32>x >= <u32>W) | <i32>(<u32>y >= <u32>H) | <i32>(t < last)) != 0) {
      store<f64>(st + (BAD_T << 3), t);
      store<f64>(st + (BAD_X << 3), <f64>x);
      store<f64>(st + (BAD_Y << 3), <f64>y);
      store<f64>(st + (BAD_P << 3), <f64>p);
      break;
    }
    last = t;
    store<f64>(T + (<usize>i << 3), t);
    store<u16>(X + (<usize>i << 1), <u16>x);
    store<u16>(Y + (<usize>i << 1), <u16>y);
    store<u8>(P + <usize>i, <u8>(p > 0));
  }
  store<f64>(st + (LAST << 3), last);
  raiseMaxXY(st, X, Y, i0, i - i0);
  return i < n ? i : -1;
}

/** records16 with x, y signed (signedXY 1: i16) or not (u16), and p signed (signedP 1: i8) or not (u8). */
export function npyRecords16(
  src: usize,
  i: i32,
  n: i32,
  size: i32,
  ta: i32,
  xa: i32,
  ya: i32,
  pa: i32,
  signedXY: i32,
  signedP: i32,
  T: usize,
  X: usize,
  Y: usize,
  P: usize,
  W: i32,
  H: i32,
  st: usize,
): i32 {
  if (signedXY != 0) {
    return signedP != 0
      ? records16<i16, i8>(src, i, n, size, ta, xa, ya, pa, T, X, Y, P, W, H, st)
      : records16<i16, u8>(src, i, n, size, ta, xa, ya, pa, T, X, Y, P, W, H, st);
  }
  return signedP != 0
    ? records16<u16, i8>(src, i, n, size, ta, xa, ya, pa, T, X, Y, P, W, H, st)
    : records16<u16, u8>(src, i, n, size, ta, xa, ya, pa, T, X, Y, P, W, H, st);
}

// Records of a NumPy structured array into t/x/y/p columns: the wasm twin of decodeRecords in
// src/events/decoders/npy.ts (same field reads, same stop rule; the caller reports the record it stops at).

// state slots at `st` (float64), as in npy.ts
const LAST = 0;
const MAX_X = 1;
const MAX_Y = 2;
const BAD_T = 3;
const BAD_X = 4;
const BAD_Y = 5;
const BAD_P = 6;

/** An integer field read as the little-endian int32 at byte `at` of the record: ((w << l) >> r) & m. */
@inline function field(o: usize, at: i32, l: i32, r: i32, m: i32): i32 {
  return ((load<i32>(o + <usize>at) << l) >> r) & m;
}

/**
 * Writes records [i, n) (record i at src + i·size) into T, X, Y, P at index i. t = (int32 at tHi >> tHiShift) ·
 * tHiScale + uint32 at tLo. Returns the index of the first record outside the sensor or earlier than the one
 * before (not written; its fields in the BAD_* slots), or -1.
 */
export function npyRecords(
  src: usize,
  i: i32,
  n: i32,
  size: i32,
  tLo: i32,
  tHi: i32,
  tHiShift: i32,
  tHiScale: f64,
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
  let mx = load<f64>(st + (MAX_X << 3));
  let my = load<f64>(st + (MAX_Y << 3));
  for (; i < n; i++) {
    const o = src + <usize>i * <usize>size;
    const t = <f64>(load<i32>(o + <usize>tHi) >> tHiShift) * tHiScale + <f64>load<u32>(o + <usize>tLo);
    const x = field(o, xa, xl, xr, xm);
    const y = field(o, ya, yl, yr, ym);
    const p = field(o, pa, pl, pr, pm);
    if (!(x >= 0 && y >= 0 && x < W && y < H) || t < last) {
      store<f64>(st + (BAD_T << 3), t);
      store<f64>(st + (BAD_X << 3), <f64>x);
      store<f64>(st + (BAD_Y << 3), <f64>y);
      store<f64>(st + (BAD_P << 3), <f64>p);
      store<f64>(st + (LAST << 3), last);
      store<f64>(st + (MAX_X << 3), mx);
      store<f64>(st + (MAX_Y << 3), my);
      return i;
    }
    last = t;
    mx = max(mx, <f64>x);
    my = max(my, <f64>y);
    store<f64>(T + (<usize>i << 3), t);
    store<u16>(X + (<usize>i << 1), <u16>x);
    store<u16>(Y + (<usize>i << 1), <u16>y);
    store<u8>(P + <usize>i, p > 0 ? 1 : 0);
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (MAX_X << 3), mx);
  store<f64>(st + (MAX_Y << 3), my);
  return -1;
}

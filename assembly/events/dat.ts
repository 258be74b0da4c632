// Prophesee DAT records into t/x/y/p columns: the wasm twin of DatDecoder.records in src/events/decoders/dat.ts
// (same wrap rule, same stop rule; the caller reports the record it stops at).

import { inOrder4, LAST, raiseMaxXY, store4 } from "./columns";

// state slots at `st` (float64), after columns.ts's LAST, MAX_X, MAX_Y
const WRAPS = 3;
const LAST_RAW = 4;
const BAD_T = 5;
const BAD_X = 6;
const BAD_Y = 7;
const BAD_P = 8;

/**
 * Writes the 8-byte records [i, n) (record i at src + 8i: uint32 t, uint32 a) into T, X, Y, P at index i. A raw
 * time that drops by more than 2^31 is a wrap (+2^32 µs). Returns the index of the first record outside W × H or
 * earlier than the one before, not written (its values in the BAD_* slots, the wrap state past it), or -1.
 *
 * Four records per step with SIMD while none of them drops in raw time (a wrap or time going back), all are in
 * time order and on the sensor; a step that fails that (or the last records) goes one record at a time.
 */
export function datRecords(
  src: usize,
  i: i32,
  n: i32,
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
  let wraps = <i64>load<f64>(st + (WRAPS << 3));
  let lastRaw = <u32>load<f64>(st + (LAST_RAW << 3));
  let tHigh = wraps << 32;
  const lim = i32x4.splat(0x3fff);
  const wv = i32x4.splat(W);
  const hv = i32x4.splat(H);
  const zero = i32x4.splat(0);
  const one = i32x4.splat(1);
  while (i < n) {
    if (i + 4 <= n) {
      // four records at once when none wraps or goes back and all lie on the sensor (else one at a time below)
      const o = src + (<usize>i << 3);
      const v0 = v128.load(o);
      const v1 = v128.load(o, 16);
      const raw = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
      const a = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
      const prev = i32x4.shuffle(i32x4.splat(<i32>lastRaw), raw, 3, 4, 5, 6);
      const high = f64x2.splat(<f64>tHigh);
      const t01 = f64x2.add(high, f64x2.convert_low_i32x4_u(raw));
      const t23 = f64x2.add(high, f64x2.convert_low_i32x4_u(i32x4.shuffle(raw, raw, 2, 3, 0, 1)));
      const x = v128.and(a, lim);
      const y = v128.and(i32x4.shr_u(a, 14), lim);
      const ordered = inOrder4(last, t01, t23);
      const fine = v128.and(v128.and(i32x4.ge_u(raw, prev), ordered), v128.and(i32x4.lt_s(x, wv), i32x4.lt_s(y, hv)));
      if (i32x4.all_true(fine)) {
        store4(T, X, Y, P, i, t01, t23, x, y, v128.and(i32x4.ne(i32x4.shr_u(a, 28), zero), one));
        lastRaw = i32x4.extract_lane(raw, 3);
        last = f64x2.extract_lane(t23, 1);
        i += 4;
        continue;
      }
    }
    const o = src + (<usize>i << 3);
    const raw = load<u32>(o);
    const a = load<u32>(o, 4);
    if (raw < lastRaw && lastRaw - raw > 0x80000000) {
      wraps++;
      tHigh = wraps << 32;
    }
    lastRaw = raw;
    const t = <f64>(tHigh + <i64>raw);
    const x = <i32>(a & 0x3fff);
    const y = <i32>((a >>> 14) & 0x3fff);
    if ((<i32>(t < last) | <i32>(x >= W) | <i32>(y >= H)) != 0) {
      store<f64>(st + (BAD_T << 3), t);
      store<f64>(st + (BAD_X << 3), <f64>x);
      store<f64>(st + (BAD_Y << 3), <f64>y);
      store<f64>(st + (BAD_P << 3), <f64>((a >>> 28) != 0));
      break;
    }
    last = t;
    store<f64>(T + (<usize>i << 3), t);
    store<u16>(X + (<usize>i << 1), <u16>x);
    store<u16>(Y + (<usize>i << 1), <u16>y);
    store<u8>(P + <usize>i, <u8>((a >>> 28) != 0));
    i++;
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (WRAPS << 3), <f64>wraps);
  store<f64>(st + (LAST_RAW << 3), <f64>lastRaw);
  raiseMaxXY(st, X, Y, i0, i - i0);
  return i < n ? i : -1;
}

// Prophesee DAT records into t/x/y/p columns: the wasm twin of DatDecoder.records in src/events/decoders/dat.ts
// (same wrap rule, same stop rule; the caller reports the record it stops at).

import { maxU16 } from "./columns";

// state slots at `st` (float64)
const LAST = 0;
const MAX_X = 1;
const MAX_Y = 2;
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
  for (; i < n; i++) {
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
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (WRAPS << 3), <f64>wraps);
  store<f64>(st + (LAST_RAW << 3), <f64>lastRaw);
  if (i > i0) {
    store<f64>(st + (MAX_X << 3), max(load<f64>(st + (MAX_X << 3)), <f64>maxU16(X + (<usize>i0 << 1), i - i0)));
    store<f64>(st + (MAX_Y << 3), max(load<f64>(st + (MAX_Y << 3)), <f64>maxU16(Y + (<usize>i0 << 1), i - i0)));
  }
  return i < n ? i : -1;
}

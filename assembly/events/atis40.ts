// ATIS 40-bit records (N-MNIST, N-Caltech101, SLAYER .bs2) into t/x/y/p columns: the wasm twin of the loop in
// src/events/decoders/atis40.ts (same overflow rule, same stop rule; the caller reports the record it stops at).

import { LAST, raiseMaxXY } from "./columns";

// state slots at `st` (float64), after columns.ts's LAST, MAX_X, MAX_Y
/** µs added to every later timestamp (8192 per overflow record) */
const OFFSET = 3;
/** events written so far (overflow records write none) */
const WRITTEN = 4;
const BAD_T = 5;

const OVERFLOW_Y: u32 = 240;
const OVERFLOW_US: f64 = 8192;

/**
 * Decodes the 5-byte records [i, n) at src (x, y, then p and a 23-bit big-endian time) into T, X, Y, P from
 * event WRITTEN on. A record with y 240 writes nothing and adds 8192 µs to every later time. Returns the index of
 * the first record outside W × H or earlier than the event before (not written; its time in BAD_T), or -1.
 */
export function atis40Records(
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
  let last = load<f64>(st + (LAST << 3));
  let off = load<f64>(st + (OFFSET << 3));
  const k0 = <i32>load<f64>(st + (WRITTEN << 3));
  let k = k0;
  for (; i < n; i++) {
    const o = src + <usize>i * 5;
    const y = <u32>load<u8>(o, 1);
    if (y == OVERFLOW_Y) {
      off += OVERFLOW_US;
      continue;
    }
    const x = <u32>load<u8>(o);
    const b2 = <u32>load<u8>(o, 2);
    const raw = ((b2 & 0x7f) << 16) | (<u32>load<u8>(o, 3) << 8) | <u32>load<u8>(o, 4);
    const t = <f64>raw + off;
    if ((<i32>(t < last) | <i32>(x >= <u32>W) | <i32>(y >= <u32>H)) != 0) {
      store<f64>(st + (BAD_T << 3), t);
      break;
    }
    last = t;
    store<f64>(T + (<usize>k << 3), t);
    store<u16>(X + (<usize>k << 1), <u16>x);
    store<u16>(Y + (<usize>k << 1), <u16>y);
    store<u8>(P + <usize>k, <u8>(b2 >> 7));
    k++;
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (OFFSET << 3), off);
  store<f64>(st + (WRITTEN << 3), <f64>k);
  raiseMaxXY(st, X, Y, k0, k - k0);
  return i < n ? i : -1;
}

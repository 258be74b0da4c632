// AEDAT 3.1 polarity events (uint32 data: valid bit 0, polarity bit 1, y bits 2-16, x bits 17-31; int32 timestamp)
// into t/x/y/p columns: the wasm twin of decodePolarityWords in src/events/decoders/aedat3.ts (same drop and stop
// rules; the caller reports or accepts the event it stops at).

import { inOrder4, LAST, raiseMaxXY, store4 } from "./columns";

// state slots at `st` (float64), after columns.ts's LAST, MAX_X, MAX_Y
/** events written to the columns so far (invalid events write none) */
const WRITTEN = 3;
/** invalid events dropped so far */
const INVALID = 4;

/**
 * Decodes the 8-byte events [i, n) at src, with times tHigh + timestamp, into T, X, Y, P from event WRITTEN on,
 * dropping events whose valid bit is clear. Returns the index of the first valid event with a negative timestamp,
 * outside W × H or earlier than the event before (not written), or -1.
 *
 * Four events per step with SIMD while all four are valid, in order, on the sensor and non-negative; a step that
 * fails that (or the last events) goes one event at a time.
 */
export function aedat3Polarity(
  src: usize,
  i: i32,
  n: i32,
  tHigh: f64,
  T: usize,
  X: usize,
  Y: usize,
  P: usize,
  W: i32,
  H: i32,
  st: usize,
): i32 {
  let last = load<f64>(st + (LAST << 3));
  const k0 = <i32>load<f64>(st + (WRITTEN << 3));
  let k = k0;
  let invalid = <i32>load<f64>(st + (INVALID << 3));
  let bad = -1;
  const high = f64x2.splat(tHigh);
  const coord = i32x4.splat(0x7fff);
  const wv = i32x4.splat(W);
  const hv = i32x4.splat(H);
  const one = i32x4.splat(1);
  const zero = i32x4.splat(0);
  while (i < n) {
    if (i + 4 <= n) {
      const o = src + (<usize>i << 3);
      const v0 = v128.load(o);
      const v1 = v128.load(o, 16);
      const data = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
      const ts = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
      const x = v128.and(i32x4.shr_u(data, 17), coord);
      const y = v128.and(i32x4.shr_u(data, 2), coord);
      const t01 = f64x2.add(high, f64x2.convert_low_i32x4_s(ts));
      const t23 = f64x2.add(high, f64x2.convert_low_i32x4_s(i32x4.shuffle(ts, ts, 2, 3, 0, 1)));
      const ordered = inOrder4(last, t01, t23);
      const valid = i32x4.eq(v128.and(data, one), one);
      const fine = v128.and(
        v128.and(valid, i32x4.ge_s(ts, zero)),
        v128.and(ordered, v128.and(i32x4.lt_s(x, wv), i32x4.lt_s(y, hv))),
      );
      if (i32x4.all_true(fine)) {
        store4(T, X, Y, P, k, t01, t23, x, y, v128.and(i32x4.shr_u(data, 1), one));
        last = f64x2.extract_lane(t23, 1);
        k += 4;
        i += 4;
        continue;
      }
    }
    const o = src + (<usize>i << 3);
    const d = load<u32>(o);
    if ((d & 1) == 0) {
      invalid++;
      i++;
      continue;
    }
    const ts = load<i32>(o, 4);
    const t = tHigh + <f64>ts;
    const x = <i32>((d >>> 17) & 0x7fff);
    const y = <i32>((d >>> 2) & 0x7fff);
    if ((<i32>(ts < 0) | <i32>(x >= W) | <i32>(y >= H) | <i32>(t < last)) != 0) {
      bad = i;
      break;
    }
    last = t;
    store<f64>(T + (<usize>k << 3), t);
    store<u16>(X + (<usize>k << 1), <u16>x);
    store<u16>(Y + (<usize>k << 1), <u16>y);
    store<u8>(P + <usize>k, <u8>((d >>> 1) & 1));
    k++;
    i++;
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (WRITTEN << 3), <f64>k);
  store<f64>(st + (INVALID << 3), <f64>invalid);
  raiseMaxXY(st, X, Y, k0, k - k0);
  return bad;
}

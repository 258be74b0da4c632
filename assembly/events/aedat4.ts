// AEDAT 4 event structs (int64 t, int16 x, int16 y, uint8 on, 3 bytes padding) into t/x/y/p columns: the wasm
// twin of the loop in src/events/decoders/aedat4.ts.

// running state at `st`: columns.ts's LAST, MAX_X, MAX_Y slots, carried between packets
import { LAST, MAX_X, MAX_Y } from "./columns";

/**
 * Writes events [i, n) of the structs at src into T, X, Y, P from index i. Returns the index of the first event
 * outside [0, W) × [0, H) or earlier than the one before (not written), or -1 when all were written.
 *
 * Four events per step with SIMD: the structs are transposed into time words and x/y pairs, the times made
 * doubles as hi · 2^32 + lo (exact, the JS twin's formula), and all four checks are one test. A step whose test
 * fails (or the last events) goes one event at a time, which finds the exact event that stops the loop.
 */
export function aedat4Events(src: usize, i: i32, n: i32, T: usize, X: usize, Y: usize, P: usize, W: i32, H: i32, st: usize): i32 {
  let last = load<f64>(st + (LAST << 3));
  let mx = <i32>load<f64>(st + (MAX_X << 3));
  let my = <i32>load<f64>(st + (MAX_Y << 3));
  // int16 coordinates read as uint16 below a limit of at most 32768: negative ones fail the test too
  const lim = i32x4.splat((min(<u32>H, 32768) << 16) | min(<u32>W, 32768));
  const two32 = f64x2.splat(4294967296.0);
  const one = i8x16.splat(1);
  let lastv = f64x2.splat(last);
  let mxy = i16x8.splat(-1);
  let bad = -1;
  while (i < n) {
    if (i + 4 <= n) {
      const o = src + (<usize>i << 4);
      const v0 = v128.load(o);
      const v1 = v128.load(o, 16);
      const v2 = v128.load(o, 32);
      const v3 = v128.load(o, 48);
      const lo01 = i32x4.shuffle(v0, v1, 0, 4, 2, 6); // t low words, then x/y pairs
      const hi01 = i32x4.shuffle(v0, v1, 1, 5, 3, 7); // t high words, then polarity words
      const lo23 = i32x4.shuffle(v2, v3, 0, 4, 2, 6);
      const hi23 = i32x4.shuffle(v2, v3, 1, 5, 3, 7);
      const t01 = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(hi01), two32), f64x2.convert_low_i32x4_u(lo01));
      const t23 = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(hi23), two32), f64x2.convert_low_i32x4_u(lo23));
      const xy = i32x4.shuffle(lo01, lo23, 2, 3, 6, 7);
      const inOrder = v128.and(f64x2.ge(t01, f64x2.shuffle(lastv, t01, 1, 2)), f64x2.ge(t23, f64x2.shuffle(t01, t23, 1, 2)));
      if (i8x16.all_true(v128.and(inOrder, i16x8.lt_u(xy, lim)))) {
        const t = T + (<usize>i << 3);
        v128.store(t, t01);
        v128.store(t, t23, 16);
        const cols = i8x16.shuffle(xy, xy, 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
        v128.store64_lane(X + (<usize>i << 1), cols, 0);
        v128.store64_lane(Y + (<usize>i << 1), cols, 1);
        const on = i8x16.shuffle(hi01, hi23, 8, 12, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        v128.store32_lane(P + <usize>i, i8x16.min_u(on, one), 0);
        mxy = i16x8.max_s(mxy, xy);
        lastv = t23;
        i += 4;
        continue;
      }
    }
    // one event at a time
    const o = src + (<usize>i << 4);
    const t = <f64>load<i64>(o);
    const x = <i32>load<i16>(o, 8);
    const y = <i32>load<i16>(o, 10);
    last = f64x2.extract_lane(lastv, 1);
    // one unsigned test per coordinate also catches negative ones
    if (<u32>x >= <u32>W || <u32>y >= <u32>H || t < last) {
      bad = i;
      break;
    }
    lastv = f64x2.splat(t);
    mx = max(mx, x);
    my = max(my, y);
    store<f64>(T + (<usize>i << 3), t);
    store<u16>(X + (<usize>i << 1), <u16>x);
    store<u16>(Y + (<usize>i << 1), <u16>y);
    store<u8>(P + <usize>i, load<u8>(o, 12) != 0 ? 1 : 0);
    i++;
  }
  last = f64x2.extract_lane(lastv, 1);
  mx = max(mx, max(max(i16x8.extract_lane_s(mxy, 0), i16x8.extract_lane_s(mxy, 2)), max(i16x8.extract_lane_s(mxy, 4), i16x8.extract_lane_s(mxy, 6))));
  my = max(my, max(max(i16x8.extract_lane_s(mxy, 1), i16x8.extract_lane_s(mxy, 3)), max(i16x8.extract_lane_s(mxy, 5), i16x8.extract_lane_s(mxy, 7))));
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (MAX_X << 3), <f64>mx);
  store<f64>(st + (MAX_Y << 3), <f64>my);
  return bad;
}

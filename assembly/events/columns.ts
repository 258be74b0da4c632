// Small passes over the decoders' output columns in wasm memory.

/** The largest of the u16 values at a[0, n) (0 for none). */
export function maxU16(a: usize, n: i32): i32 {
  let acc = i16x8.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) acc = i16x8.max_u(acc, v128.load(a + (<usize>i << 1)));
  // fold the eight lanes: max with the upper half, then the upper quarter, then the neighbour
  acc = i16x8.max_u(acc, i8x16.shuffle(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15));
  acc = i16x8.max_u(acc, i8x16.shuffle(acc, acc, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7));
  let m = max(<i32>i16x8.extract_lane_u(acc, 0), <i32>i16x8.extract_lane_u(acc, 1));
  for (; i < n; i++) m = max(m, <i32>load<u16>(a + (<usize>i << 1)));
  return m;
}

/** The running state's slots shared by the record loops (float64 at `st`): last time, largest x, largest y. */
export const LAST = 0;
export const MAX_X = 1;
export const MAX_Y = 2;

/** Raises the MAX_X / MAX_Y slots at `st` to the largest x and y of the columns' events [from, from + n). */
export function raiseMaxXY(st: usize, X: usize, Y: usize, from: i32, n: i32): void {
  if (n <= 0) return;
  store<f64>(st + (MAX_X << 3), max(load<f64>(st + (MAX_X << 3)), <f64>maxU16(X + (<usize>from << 1), n)));
  store<f64>(st + (MAX_Y << 3), max(load<f64>(st + (MAX_Y << 3)), <f64>maxU16(Y + (<usize>from << 1), n)));
}

/** Whether times t01, t23 (four events) never fall below the one before, starting from `last`. */
// @ts-ignore: decorator
@inline
export function inOrder4(last: f64, t01: v128, t23: v128): v128 {
  return v128.and(
    f64x2.ge(t01, f64x2.shuffle(f64x2.splat(last), t01, 1, 2)),
    f64x2.ge(t23, f64x2.shuffle(t01, t23, 1, 2)),
  );
}

/** Stores four events at index k: times t01, t23, int32 lanes x, y (< 65536) and p (0/1). */
// @ts-ignore: decorator
@inline
export function store4(T: usize, X: usize, Y: usize, P: usize, k: i32, t01: v128, t23: v128, x: v128, y: v128, p: v128): void {
  const t = T + (<usize>k << 3);
  v128.store(t, t01);
  v128.store(t, t23, 16);
  const xy = i16x8.narrow_i32x4_u(x, y);
  v128.store64_lane(X + (<usize>k << 1), xy, 0);
  v128.store64_lane(Y + (<usize>k << 1), xy, 1);
  const p16 = i16x8.narrow_i32x4_u(p, p);
  v128.store32_lane(P + <usize>k, i8x16.narrow_i16x8_u(p16, p16), 0);
}

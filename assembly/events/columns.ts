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

// Spike bytes (0/1) as float32 values, for consumers that need the floats (dense GEMM, dropout): the LIF's copy
// of its output, counted as it goes. Blocks of BLOCK bytes are the work items, so the caller can split them over
// threads and add up the per-block counts.

/** Bytes per work item. */
export const SPIKE_FLOAT_BLOCK: i32 = 4096;

/**
 * Blocks [begin, end) of the n bytes at src: dst[i] = src[i] as f32, counts[block] = the block's ones, or -1 when
 * the block holds a byte above 1 (its floats are then incomplete: the caller reports the byte).
 */
export function spikeFloats(src: usize, dst: usize, counts: usize, n: i32, begin: i32, end: i32): void {
  const zero = i8x16.splat(0);
  const one = i8x16.splat(1);
  for (let blk = begin; blk < end; blk++) {
    const i0 = blk * SPIKE_FLOAT_BLOCK;
    const i1 = min(i0 + SPIKE_FLOAT_BLOCK, n);
    let count = 0;
    let bad = false;
    let i = i0;
    for (; i + 16 <= i1; i += 16) {
      const v = v128.load(src + <usize>i);
      if (v128.any_true(i8x16.gt_u(v, one))) {
        bad = true;
        break;
      }
      count += popcnt(i8x16.bitmask(i8x16.ne(v, zero)));
      const lo = i16x8.extend_low_i8x16_u(v);
      const hi = i16x8.extend_high_i8x16_u(v);
      const o = dst + (<usize>i << 2);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)));
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), 16);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), 32);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), 48);
    }
    for (; !bad && i < i1; i++) {
      const b = load<u8>(src + <usize>i);
      if (b > 1) bad = true;
      store<f32>(dst + (<usize>i << 2), <f32>b);
      count += b;
    }
    store<i32>(counts + (<usize>blk << 2), bad ? -1 : count);
  }
}

/** The total of the block counts, or -1 - b for the first block b that held a byte above 1. */
export function spikeFloatsTotal(counts: usize, blocks: i32): i32 {
  let total = 0;
  for (let b = 0; b < blocks; b++) {
    const c = load<i32>(counts + (<usize>b << 2));
    if (c < 0) return -1 - b;
    total += c;
  }
  return total;
}

// Spike lists in CSR form (row r's active positions at idx[offsets[r] .. offsets[r + 1]), ascending): from 0/1
// spike bytes, or with values from the non-zero entries of float frames (a network's input). Each kernel takes a
// row range [begin, end) so the caller can split rows over threads; counts, then offsets, then the fill.

// Appends base + bit position for each set bit of `mask`; returns the new count.
@inline
function appendBits(mask: i32, base: i32, out: usize, count: i32): i32 {
  while (mask != 0) {
    store<i32>(out + (<usize>count << 2), base + ctz(mask));
    mask &= mask - 1;
    count++;
  }
  return count;
}

// For each 4-bit mask, the positions of its set bits (padding 0): one v128 per mask.
const NIBBLE_POSITIONS = memory.data<i32>([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 1, 2, 0, 0, 0, 1, 2, 0, 3, 0, 0, 0, 0, 3, 0, 0, 1, 3, 0, 0, 0, 1, 3, 0, 2, 3, 0, 0, 0, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2, 3], 16);

// Active positions of one row of `len` bytes written ascending at out; returns how many. `limit` is the room at out
// (the row's count): while 16 entries fit, each nibble of a chunk's mask is written branch-free as one v128 of
// positions (some lanes past the count, overwritten next), else bit by bit.
function scanRow(row: usize, len: i32, out: usize, limit: i32): i32 {
  const zero = i8x16.splat(0);
  let count = 0;
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const mask = i8x16.bitmask(i8x16.ne(v128.load(row + <usize>i), zero));
    if (mask == 0) continue;
    if (count + 16 <= limit) {
      for (let q = 0; q < 4; q++) {
        const nib = (mask >> (q << 2)) & 15;
        const pos = i32x4.add(v128.load(NIBBLE_POSITIONS + (<usize>nib << 4)), i32x4.splat(i + (q << 2)));
        v128.store(out + (<usize>count << 2), pos);
        count += popcnt(nib);
      }
    } else count = appendBits(mask, i, out, count);
  }
  for (; i < len; i++) {
    if (load<u8>(row + <usize>i) != 0) {
      store<i32>(out + (<usize>count << 2), i);
      count++;
    }
  }
  return count;
}

// Number of nonzero bytes in a row of `len`.
function countRow(row: usize, len: i32): i32 {
  const zero = i8x16.splat(0);
  let count = 0;
  let i = 0;
  for (; i + 16 <= len; i += 16) count += popcnt(i8x16.bitmask(i8x16.ne(v128.load(row + <usize>i), zero)));
  for (; i < len; i++) count += load<u8>(row + <usize>i) != 0 ? 1 : 0;
  return count;
}

/** Rows [begin, end) of spike bytes: counts[r] = number of active positions of row r. */
export function spikeRowCounts(spk: usize, counts: usize, rowLen: i32, begin: i32, end: i32): void {
  for (let r = begin; r < end; r++) store<i32>(counts + (<usize>r << 2), countRow(spk + <usize>r * <usize>rowLen, rowLen));
}

/** offsets[1 .. rows] hold row counts: turns them into CSR offsets (offsets[0] = 0); returns the total. */
export function spikeOffsets(offsets: usize, rows: i32): i32 {
  let total = 0;
  store<i32>(offsets, 0);
  for (let r = 1; r <= rows; r++) {
    const at = offsets + (<usize>r << 2);
    total += load<i32>(at);
    store<i32>(at, total);
  }
  return total;
}

/** Rows [begin, end): writes row r's active positions at idx[offsets[r] ..] (offsets from spikeOffsets). */
export function spikeRowsFill(spk: usize, idx: usize, offsets: usize, rowLen: i32, begin: i32, end: i32): void {
  for (let r = begin; r < end; r++) {
    const at = idx + (<usize>load<i32>(offsets + (<usize>r << 2)) << 2);
    const room = load<i32>(offsets + (<usize>(r + 1) << 2)) - load<i32>(offsets + (<usize>r << 2));
    scanRow(spk + <usize>r * <usize>rowLen, rowLen, at, room);
  }
}

/** Rows [begin, end) of x [rows, rowLen]: counts[r] = number of non-zero values in row r. */
export function valueRowCounts(x: usize, counts: usize, rowLen: i32, begin: i32, end: i32): void {
  const zero = f32x4.splat(0);
  for (let r = begin; r < end; r++) {
    const row = x + ((<usize>r * <usize>rowLen) << 2);
    let n = 0;
    let i = 0;
    for (; i + 4 <= rowLen; i += 4) n += popcnt(i32x4.bitmask(f32x4.ne(v128.load(row + (<usize>i << 2)), zero)));
    for (; i < rowLen; i++) n += load<f32>(row + (<usize>i << 2)) != 0 ? 1 : 0;
    store<i32>(counts + (<usize>r << 2), n);
  }
}

/** Rows [begin, end): the positions of row r's non-zero values at idx[offsets[r] ..] ascending, the values beside. */
export function valueRowsFill(x: usize, idx: usize, values: usize, offsets: usize, rowLen: i32, begin: i32, end: i32): void {
  const zero = f32x4.splat(0);
  for (let r = begin; r < end; r++) {
    const row = x + ((<usize>r * <usize>rowLen) << 2);
    let at = load<i32>(offsets + (<usize>r << 2));
    let i = 0;
    for (; i + 4 <= rowLen; i += 4) {
      let mask = i32x4.bitmask(f32x4.ne(v128.load(row + (<usize>i << 2)), zero));
      while (mask != 0) {
        const p = i + ctz(mask);
        store<i32>(idx + (<usize>at << 2), p);
        store<f32>(values + (<usize>at << 2), load<f32>(row + (<usize>p << 2)));
        at++;
        mask &= mask - 1;
      }
    }
    for (; i < rowLen; i++) {
      const v = load<f32>(row + (<usize>i << 2));
      if (v != 0) {
        store<i32>(idx + (<usize>at << 2), i);
        store<f32>(values + (<usize>at << 2), v);
        at++;
      }
    }
  }
}

// Event-count frames (non-negative integer values) as lists with each position repeated once per event, so the
// event-driven kernels compute counts × weights.

/**
 * Rows [begin, end) of x [rows, rowLen]: counts[r] = the sum of row r's values, or -1 when one is not a
 * non-negative integer or the sum exceeds `limit`.
 */
export function eventRowCounts(x: usize, counts: usize, rowLen: i32, limit: f64, begin: i32, end: i32): void {
  const zero = f32x4.splat(0);
  for (let r = begin; r < end; r++) {
    const row = x + ((<usize>r * <usize>rowLen) << 2);
    let sum: f64 = 0;
    let ok = true;
    let i = 0;
    for (; ok && i < rowLen; i += 4) {
      let mask = i + 4 <= rowLen ? i32x4.bitmask(f32x4.ne(v128.load(row + (<usize>i << 2)), zero)) : 15;
      while (mask != 0) {
        const p = i + ctz(mask);
        mask &= mask - 1;
        if (p >= rowLen) break;
        const v = <f64>load<f32>(row + (<usize>p << 2));
        if (v == 0) continue;
        if (!(v > 0) || v != Math.floor(v)) {
          ok = false;
          break;
        }
        sum += v;
      }
      if (sum > limit) ok = false;
    }
    store<i32>(counts + (<usize>r << 2), ok ? <i32>sum : -1);
  }
}

/**
 * offsets[1 .. rows] hold eventRowCounts: turns them into CSR offsets (offsets[0] = 0) and returns the total, or -1
 * when a row was refused or the total exceeds `limit`.
 */
export function eventOffsets(offsets: usize, rows: i32, limit: f64): i32 {
  let total: f64 = 0;
  store<i32>(offsets, 0);
  for (let r = 1; r <= rows; r++) {
    const at = offsets + (<usize>r << 2);
    const c = load<i32>(at);
    if (c < 0) return -1;
    total += <f64>c;
    if (total > limit) return -1;
    store<i32>(at, <i32>total);
  }
  return <i32>total;
}

/** Rows [begin, end): row r's positions, each as many times as its count, at idx[offsets[r] ..], ascending. */
export function eventRowsFill(x: usize, idx: usize, offsets: usize, rowLen: i32, begin: i32, end: i32): void {
  const zero = f32x4.splat(0);
  for (let r = begin; r < end; r++) {
    const row = x + ((<usize>r * <usize>rowLen) << 2);
    let at = idx + (<usize>load<i32>(offsets + (<usize>r << 2)) << 2);
    for (let i = 0; i < rowLen; i += 4) {
      let mask = i + 4 <= rowLen ? i32x4.bitmask(f32x4.ne(v128.load(row + (<usize>i << 2)), zero)) : 15;
      while (mask != 0) {
        const p = i + ctz(mask);
        mask &= mask - 1;
        if (p >= rowLen) break;
        const k = <i32>load<f32>(row + (<usize>p << 2));
        for (let j = 0; j < k; j++, at += 4) store<i32>(at, p);
      }
    }
  }
}

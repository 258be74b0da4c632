// LZ4 block decoding (the sequence format of the LZ4 block spec), the wasm twin of src/events/decoders/lz4.ts:
// same checks in the same order, errors as negative codes (the JS side turns them into the same messages).
// Speed comes from wide copies: short literals and matches are copied 16 bytes at a time, so the caller must
// leave WILD_SLACK readable bytes after the source and writable bytes after the output's end.

/** Bytes a wide copy may read past the source's end or write past the output's end. */
export const WILD_SLACK: i32 = 32;

export const LZ4_END_BEFORE_LAST_LITERALS: i32 = -1;
export const LZ4_LITERAL_LENGTH_PAST_BLOCK: i32 = -2;
export const LZ4_LITERALS_PAST_BLOCK: i32 = -3;
export const LZ4_LITERALS_PAST_OUTPUT: i32 = -4;
export const LZ4_OFFSET_PAST_BLOCK: i32 = -5;
export const LZ4_OFFSET_BEFORE_START: i32 = -6;
export const LZ4_MATCH_LENGTH_PAST_BLOCK: i32 = -7;
export const LZ4_MATCH_PAST_OUTPUT: i32 = -8;

/**
 * Decodes the block at [s, sEnd) into [d, dEnd) (matches may reach back to windowStart). Returns the output
 * position after the last byte written, or a negative error code.
 */
export function lz4Block(s: usize, sEnd: usize, d: usize, dEnd: usize, windowStart: usize): isize {
  // Fast loop: while both ends are far, a sequence whose lengths fit in its token (literals < 15, match < 19) and
  // whose match does not overlap itself needs no bounds checks beyond the offset's. Any other sequence is decoded
  // by the careful code below, one at a time, and the fast loop resumes after it.
  const sSafe: usize = sEnd - s > 64 ? sEnd - 64 : 0;
  const dSafe: usize = dEnd - d > 64 ? dEnd - 64 : 0;
  while (true) {
    while (s < sSafe && d < dSafe) {
      const token = <u32>load<u8>(s);
      const lit = <usize>(token >> 4);
      const len = <usize>(token & 15) + 4;
      if (lit == 15 || len == 19) break;
      const offset = <usize>load<u16>(s + 1 + lit);
      const at = d + lit;
      if (offset < 16 || offset > at - windowStart) break;
      v128.store(d, v128.load(s, 1));
      const m = at - offset;
      // 8-byte copies for short matches: a wider load of bytes written moments ago by several smaller stores
      // cannot take them from the store buffer and waits
      store<u64>(at, load<u64>(m));
      if (len > 8) {
        store<u64>(at, load<u64>(m, 8), 8);
        if (len > 16) v128.store(at, v128.load(m, 16), 16);
      }
      s += 3 + lit;
      d = at + len;
    }
    if (s >= sEnd) return LZ4_END_BEFORE_LAST_LITERALS;
    const token = <u32>load<u8>(s++);
    let lit = <usize>(token >> 4);
    if (lit == 15) {
      let b: u32 = 255;
      while (b == 255) {
        if (s >= sEnd) return LZ4_LITERAL_LENGTH_PAST_BLOCK;
        b = load<u8>(s++);
        lit += b;
      }
    }
    if (lit > sEnd - s) return LZ4_LITERALS_PAST_BLOCK;
    if (lit > dEnd - d) return LZ4_LITERALS_PAST_OUTPUT;
    if (lit <= 16) {
      v128.store(d, v128.load(s));
    } else {
      memory.copy(d, s, lit);
    }
    s += lit;
    d += lit;
    if (s == sEnd) return <isize>d; // the last sequence has literals only
    if (sEnd - s < 2) return LZ4_OFFSET_PAST_BLOCK;
    const offset = <usize>load<u16>(s);
    s += 2;
    if (offset == 0 || offset > d - windowStart) return LZ4_OFFSET_BEFORE_START;
    let len = <usize>(token & 15) + 4;
    if (len == 19) {
      let b: u32 = 255;
      while (b == 255) {
        if (s >= sEnd) return LZ4_MATCH_LENGTH_PAST_BLOCK;
        b = load<u8>(s++);
        len += b;
      }
    }
    if (len > dEnd - d) return LZ4_MATCH_PAST_OUTPUT;
    let m = d - offset;
    const e = d + len;
    if (offset >= 16) {
      // 16-byte steps never read bytes this match has not written yet
      do {
        v128.store(d, v128.load(m));
        d += 16;
        m += 16;
      } while (d < e);
    } else {
      // an overlapping match repeats the bytes it has just written
      do {
        store<u8>(d++, load<u8>(m++));
      } while (d < e);
    }
    d = e;
  }
  return LZ4_END_BEFORE_LAST_LITERALS; // not reached
}

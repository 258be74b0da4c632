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


/** Output position after the sequence lz4Sequence() decoded. */
let seqD: usize = 0;
/** Whether that sequence closed its block (literals only, ending exactly at the block's end). */
let seqLast = false;

/**
 * Decodes one sequence at s with every check, the slow path of the loops below: returns the source position after
 * it (the output position is left in `seqD`, and `seqLast` says whether it was the block's closing literals-only
 * sequence), or a negative error code.
 */
function lz4Sequence(s: usize, sEnd: usize, d: usize, dEnd: usize, windowStart: usize): isize {
  seqLast = false;
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
  seqD = d;
  if (s == sEnd) {
    seqLast = true; // the last sequence has literals only
    return <isize>s;
  }
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
  seqD = e;
  return <isize>s;
}

/** Copies a sequence that the fast loops checked (literals < 15, match < 19 from at least 16 bytes back). */
// @ts-ignore: decorator
@inline
function fastSequence(s: usize, d: usize, lit: usize, len: usize, offset: usize): void {
  v128.store(d, v128.load(s, 1));
  const at = d + lit;
  const m = at - offset;
  // 8-byte copies for short matches: a wider load of bytes written moments ago by several smaller stores
  // cannot take them from the store buffer and waits
  store<u64>(at, load<u64>(m));
  if (len > 8) {
    store<u64>(at, load<u64>(m, 8), 8);
    if (len > 16) v128.store(at, v128.load(m, 16), 16);
  }
}

/**
 * How many fast sequences can surely run from s and d: each reads at most 19 bytes from s and moves it at most 17
 * bytes, writes at most 48 bytes from d and moves it at most 32, and 64 bytes before either end must stay free.
 * None while the output is less than 16 bytes past windowStart, so that one unsigned test checks an offset.
 */
// @ts-ignore: decorator
@inline
function burst(s: usize, sEnd: usize, d: usize, dEnd: usize, windowStart: usize): usize {
  if (sEnd - s <= 64 || dEnd - d <= 64 || d - windowStart < 16) return 0;
  return min((sEnd - 64 - s) / 17, (dEnd - 64 - d) >> 5);
}

/**
 * Decodes the block at [s, sEnd) into [d, dEnd) (matches may reach back to windowStart). Returns the output
 * position after the last byte written, or a negative error code. Starts at any sequence boundary, so it also
 * finishes a block that lz4Pair began.
 */
export function lz4Block(s: usize, sEnd: usize, d: usize, dEnd: usize, windowStart: usize): isize {
  // Fast loop: in bursts that cannot reach either end, a sequence whose lengths fit in its token (literals < 15,
  // match < 19) and whose match does not overlap itself needs no bounds checks beyond the offset's. Any other
  // sequence is decoded by lz4Sequence, one at a time, and the fast loop resumes after it.
  while (true) {
    const k0 = burst(s, sEnd, d, dEnd, windowStart);
    let k = k0;
    for (; k > 0; k--) {
      const token = <u32>load<u8>(s);
      const lit = <usize>(token >> 4);
      const len = <usize>(token & 15) + 4;
      if (token >= 0xf0 || len == 19) break;
      const offset = <usize>load<u16>(s + 1 + lit);
      // offset in [16, output so far]: lower offsets overlap the match itself
      if (offset - 16 > d + lit - windowStart - 16) break;
      fastSequence(s, d, lit, len, offset);
      s += 3 + lit;
      d += lit + len;
    }
    if (k0 > 0 && k == 0) continue; // the burst ran out: size the next
    const next = lz4Sequence(s, sEnd, d, dEnd, windowStart);
    if (next < 0) return next;
    if (seqLast) return <isize>seqD;
    s = <usize>next;
    d = seqD;
  }
  return LZ4_END_BEFORE_LAST_LITERALS; // not reached
}

/**
 * Decodes two independent blocks (A and B, as in lz4Block; their sources and outputs WILD_SLACK apart) in one
 * interleaved loop: each sequence's position depends on the token before it, a chain of loads one block cannot
 * overlap, so two chains at once keep the core busier. Writes lz4Block's result for A and for B as two i32 at res.
 */
export function lz4Pair(
  sA: usize,
  sEndA: usize,
  dA: usize,
  dEndA: usize,
  wA: usize,
  sB: usize,
  sEndB: usize,
  dB: usize,
  dEndB: usize,
  wB: usize,
  res: usize,
): void {
  while (true) {
    const k0 = min(burst(sA, sEndA, dA, dEndA, wA), burst(sB, sEndB, dB, dEndB, wB));
    let k = k0;
    for (; k > 0; k--) {
      const tokenA = <u32>load<u8>(sA);
      const tokenB = <u32>load<u8>(sB);
      const litA = <usize>(tokenA >> 4);
      const lenA = <usize>(tokenA & 15) + 4;
      const litB = <usize>(tokenB >> 4);
      const lenB = <usize>(tokenB & 15) + 4;
      if (tokenA >= 0xf0 || lenA == 19 || tokenB >= 0xf0 || lenB == 19) break;
      const offsetA = <usize>load<u16>(sA + 1 + litA);
      const offsetB = <usize>load<u16>(sB + 1 + litB);
      if (offsetA - 16 > dA + litA - wA - 16 || offsetB - 16 > dB + litB - wB - 16) break;
      fastSequence(sA, dA, litA, lenA, offsetA);
      fastSequence(sB, dB, litB, lenB, offsetB);
      sA += 3 + litA;
      dA += litA + lenA;
      sB += 3 + litB;
      dB += litB + lenB;
    }
    if (k0 > 0 && k == 0) continue;
    // one careful sequence of each; when either block ends (or fails), the other finishes alone
    const nextA = lz4Sequence(sA, sEndA, dA, dEndA, wA);
    if (nextA < 0 || seqLast) {
      store<i32>(res, nextA < 0 ? nextA : <isize>seqD);
      store<i32>(res, lz4Block(sB, sEndB, dB, dEndB, wB), 4);
      return;
    }
    sA = <usize>nextA;
    dA = seqD;
    const nextB = lz4Sequence(sB, sEndB, dB, dEndB, wB);
    if (nextB < 0 || seqLast) {
      store<i32>(res, nextB < 0 ? nextB : <isize>seqD, 4);
      store<i32>(res, lz4Block(sA, sEndA, dA, dEndA, wA));
      return;
    }
    sB = <usize>nextB;
    dB = seqD;
  }
}

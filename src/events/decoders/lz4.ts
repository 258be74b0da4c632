/**
 * LZ4 block decoding (the sequence format of the LZ4 block spec: token, literal length, literals, 16-bit offset,
 * match length), written for speed on event packets (many short sequences) and for safety on corrupt input:
 * every length and offset is checked against the source, the output window and the output's capacity, and a
 * corrupt block throws Error with the reason instead of reading or writing out of range.
 */

/** Runs of at least this many bytes are copied natively (set / copyWithin); shorter ones byte by byte. */
const NATIVE_COPY_BYTES = 32;

/**
 * Decodes the LZ4 block src[s, sEnd) into dst from position d, never past dEnd; matches may reach back to
 * windowStart (the frame's first output byte, for linked blocks). Returns the position after the last byte written.
 */
export function lz4DecodeBlock(
  src: Uint8Array,
  s: number,
  sEnd: number,
  dst: Uint8Array,
  d: number,
  dEnd: number,
  windowStart: number,
): number {
  for (;;) {
    if (s >= sEnd) throw new Error("LZ4 block ends before its last literals");
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b = 255;
      while (b === 255) {
        if (s >= sEnd) throw new Error("LZ4 literal length runs past the block");
        b = src[s++]!;
        lit += b;
      }
    }
    if (lit > sEnd - s) throw new Error("LZ4 literals run past the block");
    if (lit > dEnd - d) throw new Error("LZ4 literals run past the declared output size");
    if (lit >= NATIVE_COPY_BYTES) {
      dst.set(src.subarray(s, s + lit), d);
      s += lit;
      d += lit;
    } else {
      for (const e = s + lit; s < e; ) dst[d++] = src[s++]!;
    }
    if (s === sEnd) return d; // the last sequence has literals only
    if (sEnd - s < 2) throw new Error("LZ4 match offset runs past the block");
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d - windowStart)
      throw new Error(`LZ4 match offset ${offset} reaches before the start of the data`);
    let len = (token & 15) + 4;
    if (len === 19) {
      let b = 255;
      while (b === 255) {
        if (s >= sEnd) throw new Error("LZ4 match length runs past the block");
        b = src[s++]!;
        len += b;
      }
    }
    if (len > dEnd - d) throw new Error("LZ4 match runs past the declared output size");
    let m = d - offset;
    if (len >= NATIVE_COPY_BYTES && offset >= len) {
      dst.copyWithin(d, m, m + len);
      d += len;
    } else {
      // byte by byte (an overlapping match repeats the bytes it has just written); every match has at least 4
      dst[d] = dst[m]!;
      dst[d + 1] = dst[m + 1]!;
      dst[d + 2] = dst[m + 2]!;
      dst[d + 3] = dst[m + 3]!;
      const e = d + len;
      d += 4;
      m += 4;
      while (d < e) dst[d++] = dst[m++]!;
    }
  }
}

/** Small byte helpers shared by the decoders (browser-safe, no DataView in hot paths). */

/** Index of the first occurrence of `pattern` in `buf` at or after `from`, or -1. */
export function indexOfBytes(buf: Uint8Array, pattern: Uint8Array, from = 0): number {
  const first = pattern[0]!;
  const last = buf.length - pattern.length;
  for (let i = buf.indexOf(first, from); i >= 0 && i <= last; i = buf.indexOf(first, i + 1)) {
    let ok = true;
    for (let k = 1; k < pattern.length; k++) {
      if (buf[i + k] !== pattern[k]) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
  }
  return -1;
}

export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function latin1(buf: Uint8Array, start = 0, end = buf.length): string {
  let s = "";
  if (end - start <= 16) {
    // magic numbers and identifiers: a loop beats building an argument list
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  for (let i = start; i < end; i += 8192) {
    // apply takes the bytes as they are; a spread (...) walks them through an iterator, 5× slower
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function i16le(b: Uint8Array, o: number): number {
  return ((b[o]! | (b[o + 1]! << 8)) << 16) >> 16;
}

export function i32le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

export function u32le(b: Uint8Array, o: number): number {
  return i32le(b, o) >>> 0;
}

export function i32be(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** Little-endian int64 as a double (exact up to 2^53). */
export function i64le(b: Uint8Array, o: number): number {
  return u32le(b, o) + i32le(b, o + 4) * 4294967296;
}

/** Whether bytes [start, end) are printable ASCII text (tab and CR allowed). */
export function isPrintableLine(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0d) || c > 0x7e) return false;
  }
  return true;
}

/**
 * Records per call of a decoder's hot loop. Many calls let V8 optimise the loop's function as a whole, with
 * feedback for the code after the loop: one call over a whole file ran as on-stack-replaced loop code that
 * deoptimised at the loop's exit, on every file, and spent its first records in the interpreter.
 */
export const LOOP_SLICE = 1 << 16;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Little-endian 32-bit (or 16-bit) words of byte ranges: a view when the range is 4-aligned, else an aligned copy in a scratch
 * buffer kept between calls (reading words instead of bytes halves or quarters the loads in the hot loops).
 */
export class WordReader {
  private scratch = new Int32Array(0);
  private scratch16 = new Uint16Array(0);

  /** `bytes` (even) bytes of buf from `pos` as little-endian uint16 words; valid until the next call. */
  halfWords(buf: Uint8Array, pos: number, bytes: number): Uint16Array {
    const at = buf.byteOffset + pos;
    const n = bytes >> 1;
    if (LITTLE_ENDIAN && at % 2 === 0) return new Uint16Array(buf.buffer, at, n);
    if (this.scratch16.length < n) this.scratch16 = new Uint16Array(Math.max(n, this.scratch16.length * 2));
    const w = this.scratch16.subarray(0, n);
    if (LITTLE_ENDIAN) new Uint8Array(w.buffer, 0, bytes).set(buf.subarray(pos, pos + bytes));
    else for (let i = 0; i < n; i++) w[i] = u16le(buf, pos + 2 * i);
    return w;
  }

  /** `bytes` (a multiple of 4) bytes of buf from `pos` as int32 words; valid until the next call. */
  words(buf: Uint8Array, pos: number, bytes: number): Int32Array {
    const at = buf.byteOffset + pos;
    const n = bytes >> 2;
    if (LITTLE_ENDIAN && at % 4 === 0) return new Int32Array(buf.buffer, at, n);
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, this.scratch.length * 2));
    const w = this.scratch.subarray(0, n);
    if (LITTLE_ENDIAN) new Uint8Array(w.buffer, 0, bytes).set(buf.subarray(pos, pos + bytes));
    else for (let i = 0; i < n; i++) w[i] = i32le(buf, pos + 4 * i);
    return w;
  }
}

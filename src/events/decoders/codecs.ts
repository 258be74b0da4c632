import { decompress as zstdDecompress } from "fzstd";
import { align16, type EventsWasm, LZ4_PAIR_SLOT, WASM_SLACK } from "./events-wasm.js";
import { lz4DecodeBlock } from "./lz4.js";

/** Largest decompressed packet accepted (a corrupt size field must not allocate gigabytes). */
export const MAX_DECOMPRESSED_BYTES = 256 << 20;

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Where an LZ4 frame's blocks start, how large its output can be, and whether blocks carry checksums. */
interface Lz4FrameLayout {
  first: number;
  bound: number;
  /** the content size the frame declares, or -1 */
  declared: number;
  blockSum: boolean;
  /** bytes of the frame's only block when it has one compressed block (the case lz4Pair takes), else -1 */
  single: number;
}

/**
 * Checks an LZ4 frame's structure (descriptor, block sizes, end mark) and sizes its output from it; throws Error
 * with the reason.
 */
function lz4FrameLayout(src: Uint8Array): Lz4FrameLayout {
  if (src.length < 7 || u32(src, 0) !== LZ4_MAGIC) throw new Error("not an LZ4 frame (bad magic)");
  const flg = src[4]!;
  if (flg >> 6 !== 1) throw new Error(`LZ4 frame version ${flg >> 6} is not 1`);
  const blockSum = (flg & 0x10) !== 0;
  const hasSize = (flg & 0x08) !== 0;
  const contentSum = (flg & 0x04) !== 0;
  if (flg & 0x01) throw new Error("LZ4 frames with a dictionary id are not supported");
  const blockMax = LZ4_BLOCK_MAX[(src[5]! >> 4) & 7]!;
  if (blockMax === 0) throw new Error("LZ4 frame has an invalid block size code");
  let pos = 6;
  let declared = -1;
  if (hasSize) {
    declared = u32(src, pos) + u32(src, pos + 4) * 4294967296;
    pos += 8;
  }
  pos += 1; // header checksum
  const first = pos;
  let bound = 0;
  let blocks = 0;
  let compressed = 0;
  for (;;) {
    if (pos + 4 > src.length) throw new Error("LZ4 frame ends before its end mark");
    const word = u32(src, pos);
    pos += 4;
    if (word === 0) break;
    const raw = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw new Error(`LZ4 block of ${size} bytes exceeds the frame's block size ${blockMax}`);
    bound += raw ? size : blockMax;
    blocks++;
    compressed = raw ? -1 : size;
    pos += size + (blockSum ? 4 : 0);
    if (pos > src.length) throw new Error("LZ4 block runs past the end of the packet");
  }
  if (contentSum) pos += 4;
  if (pos !== src.length) throw new Error(`LZ4 frame is ${pos} bytes but the packet holds ${src.length}`);
  if (declared >= 0) {
    if (declared > bound) throw new Error(`LZ4 content size ${declared} exceeds what the blocks can hold (${bound})`);
    bound = declared;
  }
  if (bound > MAX_DECOMPRESSED_BYTES) throw new Error(`LZ4 packet would decompress to ${bound} bytes`);
  return { first, bound, declared, blockSum, single: blocks === 1 ? compressed : -1 };
}

/**
 * Walks the blocks of a checked frame: `copy(pos, size, n)` stores a raw block, `decode(pos, size, n)` decodes a
 * compressed one and returns the output length after it (n: output so far). Returns the length decoded, after
 * checking it against the declared content size.
 */
function decodeBlocks(
  src: Uint8Array,
  L: Lz4FrameLayout,
  copy: (pos: number, size: number, n: number) => void,
  decode: (pos: number, size: number, n: number) => number,
): number {
  let n = 0;
  for (let pos = L.first; ; ) {
    const word = u32(src, pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if ((word & 0x80000000) !== 0) {
      if (size > L.bound - n) throw new Error("LZ4 data decompresses past its declared size");
      copy(pos, size, n);
      n += size;
    } else {
      n = decode(pos, size, n);
    }
    pos += size + (L.blockSum ? 4 : 0);
  }
  if (L.declared >= 0 && n !== L.declared) throw new Error(`LZ4 content size ${L.declared} but ${n} bytes decoded`);
  return n;
}

/**
 * Decompresses one whole LZ4 frame (checksums are not verified). The frame structure is checked first and the
 * output is sized from it; throws Error with the reason. `scratch` supplies the output buffer (reused between
 * packets); the result is a view of it.
 */
export function lz4DecompressFrame(src: Uint8Array, scratch: (bytes: number) => Uint8Array = fresh): Uint8Array {
  const L = lz4FrameLayout(src);
  const dst = scratch(L.bound);
  const n = decodeBlocks(
    src,
    L,
    (pos, size, at) => dst.set(src.subarray(pos, pos + size), at),
    (pos, size, at) => lz4DecodeBlock(src, pos, pos + size, dst, at, L.bound, 0),
  );
  return dst.subarray(0, n);
}

/** Where a frame decoded into wasm memory puts its copy of the input: above its output and the output's slack. */
function wasmInputAt(L: Lz4FrameLayout, dst: number): number {
  return align16(dst + L.bound + WASM_SLACK);
}

/**
 * lz4DecompressFrame in wasm: decodes the frame into wasm memory from byte `dst` (growing the memory as needed;
 * the frame itself is copied in above the output) and returns the number of bytes decoded. The same frames are
 * accepted; a corrupt block is decoded again by the JS twin for its exact error message.
 */
export function lz4DecompressFrameWasm(src: Uint8Array, wasm: EventsWasm, dst: number): number {
  const L = lz4FrameLayout(src);
  const at = wasmInputAt(L, dst);
  wasm.ensure(at + src.length + WASM_SLACK);
  wasm.u8.set(src, at);
  const lz4Block = wasm.fn.lz4Block;
  return decodeBlocks(
    src,
    L,
    (pos, size, n) => wasm.u8.copyWithin(dst + n, at + pos, at + pos + size),
    (pos, size, n) => {
      const end = lz4Block(at + pos, at + pos + size, dst + n, dst + L.bound, dst);
      if (end < 0) corrupt(src);
      return end - dst;
    },
  );
}

/** Throws the reason the JS decoder gives for a frame that the wasm decoder refused. */
function corrupt(src: Uint8Array): never {
  lz4DecompressFrame(src); // throws the reason
  throw new Error("LZ4 block is corrupt");
}

/** A frame decoded into wasm memory: its bytes at [at, at + n), or why it could not be decoded. */
export type WasmFrame = { at: number; n: number } | Error;

/** Bytes a frame decompresses to at most (as lz4DecompressFrame sizes its output); throws Error for a bad frame. */
export function lz4FrameBound(src: Uint8Array): number {
  return lz4FrameLayout(src).bound;
}

/**
 * Decodes frame `a`, and `b` if given, into wasm memory from byte `dst` on (a's output, a's input, b's output,
 * b's input, WASM_SLACK apart), each as lz4DecompressFrameWasm would, and returns their outcomes in order. Two
 * frames of one compressed block each (the usual event packet) are decoded together by lz4Pair.
 */
export function lz4DecompressPairWasm(a: Uint8Array, b: Uint8Array | null, wasm: EventsWasm, dst: number): WasmFrame[] {
  const La = layoutOrError(a);
  const Lb = b === null ? null : layoutOrError(b);
  const dstB = La instanceof Error ? dst : align16(wasmInputAt(La, dst) + a.length + WASM_SLACK);
  if (b === null || La instanceof Error || Lb instanceof Error || La.single < 0 || Lb!.single < 0) {
    const out = [decodeAlone(a, La, wasm, dst)];
    if (b !== null) out.push(decodeAlone(b, Lb!, wasm, dstB));
    return out;
  }
  const L2 = Lb!;
  const inA = wasmInputAt(La, dst);
  const inB = wasmInputAt(L2, dstB);
  wasm.ensure(inB + b.length + WASM_SLACK);
  wasm.u8.set(a, inA);
  wasm.u8.set(b, inB);
  const sA = inA + La.first + 4;
  const sB = inB + L2.first + 4;
  const res = wasm.state + 8 * LZ4_PAIR_SLOT; // apart from the state a decoder carries between packets
  wasm.fn.lz4Pair(sA, sA + La.single, dst, dst + La.bound, dst, sB, sB + L2.single, dstB, dstB + L2.bound, dstB, res);
  const ends = new Int32Array(wasm.u8.buffer, res, 2);
  return [pairOutcome(a, La, dst, ends[0]!), pairOutcome(b, L2, dstB, ends[1]!)];
}

function layoutOrError(src: Uint8Array): Lz4FrameLayout | Error {
  try {
    return lz4FrameLayout(src);
  } catch (e) {
    return e as Error;
  }
}

function decodeAlone(src: Uint8Array, L: Lz4FrameLayout | Error, wasm: EventsWasm, dst: number): WasmFrame {
  if (L instanceof Error) return L;
  try {
    return { at: dst, n: lz4DecompressFrameWasm(src, wasm, dst) };
  } catch (e) {
    return e as Error;
  }
}

/** What lz4DecompressFrameWasm makes of a single-block frame that lz4Pair stopped at `end` (or an error code). */
function pairOutcome(src: Uint8Array, L: Lz4FrameLayout, dst: number, end: number): WasmFrame {
  if (end < 0) {
    try {
      corrupt(src);
    } catch (e) {
      return e as Error;
    }
  }
  const n = end - dst;
  if (L.declared >= 0 && n !== L.declared) return new Error(`LZ4 content size ${L.declared} but ${n} bytes decoded`);
  return { at: dst, n };
}

function fresh(bytes: number): Uint8Array {
  return new Uint8Array(bytes);
}

/** Decompresses one whole zstd frame with fzstd, refusing frames that declare an absurd content size. */
export function zstdDecompressFrame(src: Uint8Array): Uint8Array {
  if (src.length < 6 || u32(src, 0) !== 0xfd2fb528) throw new Error("not a zstd frame (bad magic)");
  const fhd = src[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd & 0x20) !== 0;
  const didBytes = [0, 1, 2, 4][fhd & 3]!;
  let pos = 5 + (single ? 0 : 1) + didBytes;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes > 0) {
    if (pos + fcsBytes > src.length) throw new Error("zstd frame header is truncated");
    let fcs = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + src[pos + i]!;
    if (fcsBytes === 2) fcs += 256;
    if (fcs > MAX_DECOMPRESSED_BYTES) throw new Error(`zstd packet would decompress to ${fcs} bytes`);
    pos += fcsBytes;
  }
  return zstdDecompress(src);
}

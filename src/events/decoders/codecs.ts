import { decompress as zstdDecompress } from "fzstd";
import { align16, type EventsWasm, WASM_SLACK } from "./events-wasm.js";
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
  for (;;) {
    if (pos + 4 > src.length) throw new Error("LZ4 frame ends before its end mark");
    const word = u32(src, pos);
    pos += 4;
    if (word === 0) break;
    const raw = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw new Error(`LZ4 block of ${size} bytes exceeds the frame's block size ${blockMax}`);
    bound += raw ? size : blockMax;
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
  return { first, bound, declared, blockSum };
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

/**
 * lz4DecompressFrame in wasm: decodes the frame into wasm memory from byte `dst` (growing the memory as needed;
 * the frame itself is copied in above the output) and returns the number of bytes decoded. The same frames are
 * accepted; a corrupt block is decoded again by the JS twin for its exact error message.
 */
export function lz4DecompressFrameWasm(src: Uint8Array, wasm: EventsWasm, dst: number): number {
  const L = lz4FrameLayout(src);
  const at = align16(dst + L.bound + WASM_SLACK);
  wasm.ensure(at + src.length + WASM_SLACK);
  wasm.u8.set(src, at);
  const lz4Block = wasm.fn.lz4Block;
  return decodeBlocks(
    src,
    L,
    (pos, size, n) => wasm.u8.copyWithin(dst + n, at + pos, at + pos + size),
    (pos, size, n) => {
      const end = lz4Block(at + pos, at + pos + size, dst + n, dst + L.bound, dst);
      if (end < 0) {
        lz4DecompressFrame(src); // throws the reason
        throw new Error("LZ4 block is corrupt");
      }
      return end - dst;
    },
  );
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

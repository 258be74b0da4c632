/**
 * Zeroes bytes [offset, offset + bytes) of a buffer through 8-byte words where it can: on shared memory (the wasm
 * engine's) V8 fills a Float64Array about 4× faster than a Uint8Array of the same bytes, and 1.6× faster than a
 * Float32Array (measured on Node 20).
 */
export function zeroBytes(buffer: ArrayBufferLike, offset: number, bytes: number): void {
  const head = Math.min(bytes, (8 - (offset % 8)) % 8);
  const words = Math.floor((bytes - head) / 8);
  new Uint8Array(buffer, offset, head).fill(0);
  new Float64Array(buffer, offset + head, words).fill(0);
  new Uint8Array(buffer, offset + head + 8 * words, bytes - head - 8 * words).fill(0);
}

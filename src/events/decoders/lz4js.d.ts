// Types for lz4js (pure-JS LZ4 frame codec, CommonJS, untyped): the tests compress with it to check our decoder.
declare module "lz4js" {
  const lz4: {
    /** Decompresses a whole LZ4 frame into `dst`; returns the number of bytes written. */
    decompressFrame(src: Uint8Array, dst: Uint8Array): number;
    /** Decompresses a whole LZ4 frame (allocating an upper-bound buffer when maxSize is omitted). */
    decompress(src: Uint8Array, maxSize?: number): Uint8Array;
    /** Compresses `src` into one LZ4 frame. */
    compress(src: Uint8Array, maxSize?: number): Uint8Array;
  };
  export default lz4;
}

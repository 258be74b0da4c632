/**
 * The one way conv geometry reaches the wasm kernels (dense conv.ts and event-driven spike-conv.ts alike): an i32
 * block n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, ho, wo, read in wasm by assembly/conv-geometry.ts.
 */
import { type ConvShape, convOutSize } from "./api.js";

export function convGeometryBlock(s: ConvShape): Int32Array {
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  return Int32Array.from([s.n, s.cin, s.h, s.w, s.cout, s.kh, s.kw, s.strideH, s.strideW, s.padH, s.padW, ho, wo]);
}

// The geometry of a conv call as one i32 block (n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, ho, wo),
// the one way the dense (conv.ts) and event-driven (spike-conv.ts) conv kernels receive it; the TS side writes it
// with convGeometryBlock (src/engine/conv-geometry.ts).

@unmanaged
export class ConvGeometry {
  n: i32;
  cin: i32;
  h: i32;
  w: i32;
  cout: i32;
  kh: i32;
  kw: i32;
  strideH: i32;
  strideW: i32;
  padH: i32;
  padW: i32;
  ho: i32;
  wo: i32;
}

/** The geometry block at byte offset `ptr`. */
@inline
export function geometryAt(ptr: usize): ConvGeometry {
  return changetype<ConvGeometry>(ptr);
}

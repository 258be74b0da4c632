// Weight layouts for the event-driven kernels: one active input adds one contiguous row of the transposed
// weights (packTransposed), and the weight-gradient kernels add their transposed sums back (addTransposed).

/**
 * dst[c·dstStride + r] = src[r·cols + c] for a [rows, cols] matrix, then row `cols` of dst = the bias (rows values;
 * zeros when bias == 0) and `zeroRows` rows of zeros after it; columns r >= rows of every dst row are zeroed, so
 * dst may be uninitialised memory. 4×4 blocks are transposed in registers, four of them down the rows at a time so
 * that each store fills 64 contiguous bytes of a dst row.
 */
export function packTransposed(src: usize, rows: i32, cols: i32, bias: usize, dst: usize, dstStride: i32, zeroRows: i32): void {
  const rowBytes = <usize>cols << 2;
  const dstBytes = <usize>dstStride << 2;
  const c4 = cols & ~3;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const s0 = src + <usize>r * rowBytes;
    for (let c = 0; c < c4; c += 4) {
      const a = s0 + (<usize>c << 2);
      const r0 = v128.load(a);
      const r1 = v128.load(a + rowBytes);
      const r2 = v128.load(a + 2 * rowBytes);
      const r3 = v128.load(a + 3 * rowBytes);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const d = dst + <usize>c * dstBytes + (<usize>r << 2);
      v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(d + dstBytes, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * dstBytes, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * dstBytes, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (let c = c4; c < cols; c++) {
      for (let i = 0; i < 4; i++) {
        store<f32>(dst + <usize>c * dstBytes + (<usize>(r + i) << 2), load<f32>(s0 + <usize>i * rowBytes + (<usize>c << 2)));
      }
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>c * dstBytes + (<usize>r << 2), load<f32>(src + <usize>r * rowBytes + (<usize>c << 2)));
  }
  if (dstStride > rows) {
    for (let c = 0; c < cols; c++) memory.fill(dst + <usize>c * dstBytes + (<usize>rows << 2), 0, <usize>(dstStride - rows) << 2);
  }
  const biasRow = dst + <usize>cols * dstBytes;
  memory.fill(biasRow, 0, dstBytes * <usize>(1 + zeroRows));
  if (bias != 0) memory.copy(biasRow, bias, <usize>rows << 2);
}

// gw[o·cols + i] += gT[i·stride + o] for o in [o0, o1), i < cols.
export function addTransposed(gT: usize, stride: i32, gw: usize, cols: i32, o0: i32, o1: i32): void {
  for (let o = o0; o < o1; o++) {
    const dst = gw + ((<usize>o * <usize>cols) << 2);
    for (let i = 0; i < cols; i++) {
      const at = dst + (<usize>i << 2);
      store<f32>(at, load<f32>(at) + load<f32>(gT + ((<usize>i * <usize>stride + <usize>o) << 2)));
    }
  }
}

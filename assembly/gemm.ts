// Packed, register-blocked fp32 GEMM (GotoBLAS loop order) with v128 SIMD.
// C[m0..m1) × [n0..n1) = alpha · op(A) · op(B) + beta · C over row-major operands with leading dimensions in
// elements. A 4×8 micro-kernel keeps eight f32x4 accumulators in registers; A is packed into 4-row panels and B into
// 8-column panels (zero-padded at the edges) inside the caller's scratch buffer, so one call runs on one thread and
// threads split C into disjoint blocks. The k loop always runs in the same order, so a C element's value does not
// depend on how C was split.

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const EDGE_BYTES: usize = <usize>(MR * NR) << 2;

/** Scratch bytes one gemm call needs (packed panels plus an edge tile). */
export function gemmScratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + EDGE_BYTES;
}

// Reads a 4×4 block (4 rows of 4 floats, row stride `ld` bytes) and stores its transpose, scaled by `va`, as four
// vectors `step` bytes apart: out[q] = (row0[q], row1[q], row2[q], row3[q]).
// @ts-ignore: decorator
@inline
function transpose4x4(src: usize, ld: usize, dst: usize, step: usize, va: v128): void {
  const x0 = v128.load(src);
  const x1 = v128.load(src + ld);
  const x2 = v128.load(src + 2 * ld);
  const x3 = v128.load(src + 3 * ld);
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, f32x4.mul(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), va));
  v128.store(dst + step, f32x4.mul(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), va));
  v128.store(dst + 2 * step, f32x4.mul(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), va));
  v128.store(dst + 3 * step, f32x4.mul(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), va));
}

// Packs a block of A (rows i0..i0+mc, depth p0..p0+kc) into MR-row panels: panel[r][p*MR + q] = alpha·A(i0+r*MR+q, p).
function packA(
  transA: bool,
  a: usize,
  lda: i32,
  i0: i32,
  mc: i32,
  p0: i32,
  kc: i32,
  alpha: f32,
  dst: usize,
): void {
  const va = f32x4.splat(alpha);
  for (let r = 0; r < mc; r += MR) {
    const rows = min(MR, mc - r);
    const panel = dst + (<usize>(r * kc) << 2);
    if (transA) {
      // A stored k×m: the MR values of one p are contiguous
      let src = a + ((<usize>p0 * lda + i0 + r) << 2);
      const step = <usize>lda << 2;
      if (rows == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(panel + (<usize>p << 4), f32x4.mul(v128.load(src), va));
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let q = 0; q < MR; q++) {
            store<f32>(panel + ((<usize>(p * MR + q)) << 2), q < rows ? alpha * load<f32>(src + (<usize>q << 2)) : 0);
          }
          src += step;
        }
      }
    } else {
      // A stored m×k: transpose 4×4 blocks of the MR rows
      const row0 = a + ((<usize>(i0 + r) * lda + p0) << 2);
      const ld = <usize>lda << 2;
      if (rows == MR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          transpose4x4(row0 + (<usize>p << 2), ld, panel + (<usize>p << 4), 16, va);
        }
        for (; p < kc; p++) {
          const o = <usize>p << 2;
          const out = panel + (<usize>p << 4);
          store<f32>(out, alpha * load<f32>(row0 + o));
          store<f32>(out, alpha * load<f32>(row0 + ld + o), 4);
          store<f32>(out, alpha * load<f32>(row0 + 2 * ld + o), 8);
          store<f32>(out, alpha * load<f32>(row0 + 3 * ld + o), 12);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let q = 0; q < MR; q++) {
            const v: f32 = q < rows ? alpha * load<f32>(row0 + <usize>q * ld + (<usize>p << 2)) : 0;
            store<f32>(panel + (<usize>(p * MR + q) << 2), v);
          }
        }
      }
    }
  }
}

// Packs a block of B given as bytes (0/1 spikes kept compactly; B stored k×n, not transposed) into NR-column
// panels as f32: the panels hold exactly what packB writes for the same values stored as f32.
function packBBytes(b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + (<usize>(j * kc) << 2);
    let src = b + <usize>p0 * ldb + j0 + j;
    const step = <usize>ldb;
    if (cols == NR) {
      for (let p = 0; p < kc; p++) {
        const out = panel + (<usize>p << 5);
        const wide = i16x8.extend_low_i8x16_u(v128.load64_zero(src));
        v128.store(out, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(wide)));
        v128.store(out, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(wide)), 16);
        src += step;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let q = 0; q < NR; q++) {
          store<f32>(panel + (<usize>(p * NR + q) << 2), q < cols ? <f32>load<u8>(src + <usize>q) : 0);
        }
        src += step;
      }
    }
  }
}

// Packs a block of B (depth p0..p0+kc, columns j0..j0+nc) into NR-column panels: panel[p*NR + q] = B(p, j0+q).
function packB(transB: bool, b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + (<usize>(j * kc) << 2);
    if (!transB) {
      // B stored k×n: the NR values of one p are contiguous
      let src = b + ((<usize>p0 * ldb + j0 + j) << 2);
      const step = <usize>ldb << 2;
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          const out = panel + (<usize>p << 5);
          v128.store(out, v128.load(src));
          v128.store(out, v128.load(src, 16), 16);
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let q = 0; q < NR; q++) {
            store<f32>(panel + (<usize>(p * NR + q) << 2), q < cols ? load<f32>(src + (<usize>q << 2)) : 0);
          }
          src += step;
        }
      }
    } else {
      // B stored n×k: transpose 4×4 blocks, two column groups of 4 per panel
      const ld = <usize>ldb << 2;
      const one = f32x4.splat(1);
      if (cols == NR) {
        for (let half = 0; half < 2; half++) {
          const row0 = b + ((<usize>(j0 + j + half * 4) * ldb + p0) << 2);
          const outBase = panel + (<usize>half << 4);
          let p = 0;
          for (; p + 4 <= kc; p += 4) {
            transpose4x4(row0 + (<usize>p << 2), ld, outBase + (<usize>p << 5), 32, one);
          }
          for (; p < kc; p++) {
            const o = <usize>p << 2;
            const out = outBase + (<usize>p << 5);
            store<f32>(out, load<f32>(row0 + o));
            store<f32>(out, load<f32>(row0 + ld + o), 4);
            store<f32>(out, load<f32>(row0 + 2 * ld + o), 8);
            store<f32>(out, load<f32>(row0 + 3 * ld + o), 12);
          }
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let q = 0; q < NR; q++) {
            const v: f32 = q < cols ? load<f32>(b + ((<usize>(j0 + j + q) * ldb + p0 + p) << 2)) : 0;
            store<f32>(panel + (<usize>(p * NR + q) << 2), v);
          }
        }
      }
    }
  }
}

// C tile (MR×NR at c, row stride ldc bytes) += packed A panel · packed B panel over kc. When the tile is cut by the
// edge of C (rows < MR or cols < NR) the sums go through `edge` and only the valid part is added.
// @ts-ignore: decorator
@inline
function microKernel(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: usize,
  rows: i32,
  cols: i32,
  edge: usize,
  overwrite: bool,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    ap += 16;
    bp += 32;
  }
  if (rows == MR && cols == NR && overwrite) {
    v128.store(c, c00);
    v128.store(c, c01, 16);
    let r = c + ldc;
    v128.store(r, c10);
    v128.store(r, c11, 16);
    r += ldc;
    v128.store(r, c20);
    v128.store(r, c21, 16);
    r += ldc;
    v128.store(r, c30);
    v128.store(r, c31, 16);
  } else if (rows == MR && cols == NR) {
    v128.store(c, f32x4.add(v128.load(c), c00));
    v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    let r = c + ldc;
    v128.store(r, f32x4.add(v128.load(r), c10));
    v128.store(r, f32x4.add(v128.load(r, 16), c11), 16);
    r += ldc;
    v128.store(r, f32x4.add(v128.load(r), c20));
    v128.store(r, f32x4.add(v128.load(r, 16), c21), 16);
    r += ldc;
    v128.store(r, f32x4.add(v128.load(r), c30));
    v128.store(r, f32x4.add(v128.load(r, 16), c31), 16);
  } else {
    v128.store(edge, c00);
    v128.store(edge, c01, 16);
    v128.store(edge, c10, 32);
    v128.store(edge, c11, 48);
    v128.store(edge, c20, 64);
    v128.store(edge, c21, 80);
    v128.store(edge, c30, 96);
    v128.store(edge, c31, 112);
    for (let i = 0; i < rows; i++) {
      const row = c + <usize>i * ldc;
      for (let j = 0; j < cols; j++) {
        const o = <usize>j << 2;
        const v = load<f32>(edge + (<usize>(i * NR + j) << 2));
        store<f32>(row + o, overwrite ? v : load<f32>(row + o) + v);
      }
    }
  }
}

/** C[i, j] *= beta over a block (beta = 0 writes zeros, ignoring what C held). */
function scaleBlock(c: usize, ldc: i32, m0: i32, m1: i32, n0: i32, n1: i32, beta: f32): void {
  if (beta == 1) return;
  const vb = f32x4.splat(beta);
  for (let i = m0; i < m1; i++) {
    const row = c + ((<usize>i * ldc) << 2);
    let j = n0;
    if (beta == 0) {
      for (; j + 4 <= n1; j += 4) v128.store(row + (<usize>j << 2), f32x4.splat(0));
      for (; j < n1; j++) store<f32>(row + (<usize>j << 2), 0);
    } else {
      for (; j + 4 <= n1; j += 4) {
        const p = row + (<usize>j << 2);
        v128.store(p, f32x4.mul(v128.load(p), vb));
      }
      for (; j < n1; j++) {
        const p = row + (<usize>j << 2);
        store<f32>(p, load<f32>(p) * beta);
      }
    }
  }
}

/**
 * The block C[m0..m1) × [n0..n1) of C = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.
 * Leading dimensions are in elements of the stored (untransposed) arrays. `scratch` holds gemmScratchBytes().
 * With `bBytes`, B (not transposed) holds one byte per value (a layer's 0/1 input spikes kept compactly), widened
 * to f32 while packing: the same panels, so C is bit-identical to B stored as f32.
 */
export function gemmBlock(
  transA: bool,
  transB: bool,
  bBytes: bool,
  k: i32,
  alpha: f32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f32,
  c: usize,
  ldc: i32,
  scratch: usize,
  m0: i32,
  m1: i32,
  n0: i32,
  n1: i32,
): void {
  if (m1 <= m0 || n1 <= n0) return;
  // with beta = 0 the first k block stores its sums instead of adding them to a zeroed C
  const overwrite = beta == 0 && k > 0 && alpha != 0;
  if (!overwrite) scaleBlock(c, ldc, m0, m1, n0, n1, beta);
  if (k <= 0 || alpha == 0) return;
  const packedA = scratch;
  const packedB = scratch + PACK_A_BYTES;
  const edge = packedB + PACK_B_BYTES;
  const ldcBytes = <usize>ldc << 2;
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    // equal k blocks of at most KC (k = 576 runs as 3 × 192, not 256 + 256 + 64 with a short, inefficient tail)
    const kStep = (k + ((k + KC - 1) / KC) - 1) / ((k + KC - 1) / KC);
    for (let pc = 0; pc < k; pc += kStep) {
      const kc = min(kStep, k - pc);
      if (bBytes && !transB) packBBytes(b, ldb, pc, kc, jc, nc, packedB);
      else packB(transB, b, ldb, pc, kc, jc, nc, packedB);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        packA(transA, a, lda, ic, mc, pc, kc, alpha, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = packedB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = packedA + (<usize>(ir * kc) << 2);
            const ct = c + ((<usize>(ic + ir) * ldc + jc + jr) << 2);
            microKernel(kc, ap, bp, ct, ldcBytes, rows, cols, edge, overwrite && pc == 0);
          }
        }
      }
    }
  }
}

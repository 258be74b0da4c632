// Event-driven linear layer for binary spike inputs: the forward is a gather-add of the packed weight rows of the
// active inputs (weights packed transposed by packTransposed, rows padded to `stride`, a multiple of 4, plus a bias
// row), the weight gradient a scatter of gy rows into the active inputs' rows. The weight gradient splits over
// blocks of 4 output features (each thread owns its columns, so every sum runs in the same order for any split:
// bit-identical across thread counts) or, for few outputs, over rows into per-thread partial sums that the caller
// adds in a fixed order. Pointers are byte offsets into the shared memory; the work range [begin, end) is the
// trailing pair.
import { addTransposed } from "./weight-packing";

// Row of the packed weights for active input idx[k]: indices outside [0, inF) (a malformed list) go to a spare
// row, so they cannot write outside the buffers (select compiles to a conditional move, no branch).
@inline
function activeRow(idx: usize, k: i32, inF: i32, spare: i32): usize {
  const i = <u32>load<i32>(idx + (<usize>k << 2));
  return <usize>select<u32>(i, <u32>spare, i < <u32>inF);
}

// Loads 4 floats, or only the first `valid` (< 4) of them with zeros after, so reads never pass an array's end.
@inline
function loadPartial(ptr: usize, valid: i32): v128 {
  if (valid >= 4) return v128.load(ptr);
  if (valid <= 0) return f32x4.splat(0);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (valid > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (valid > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

@inline
function storePartial(ptr: usize, v: v128, valid: i32): void {
  if (valid >= 4) {
    v128.store(ptr, v);
    return;
  }
  store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (valid > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (valid > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

/**
 * y[r, :] = bias + Σ_{i active in row r} W[:, i] for rows [begin, end), with wT = packed [in + 2, stride] (bias as
 * row `inF`, zeros in row inF + 1 for out-of-range indices). Outputs go in blocks of 16 held in 4 registers while the active rows of wT stream past (faster than 32 in 8: V8 spills).
 */
export function linearSpikeForward(
  idx: usize,
  offsets: usize,
  wT: usize,
  stride: i32,
  y: usize,
  out: i32,
  inF: i32,
  begin: i32,
  end: i32,
): void {
  const rowBytes = <usize>stride << 2;
  const biasRow = wT + <usize>inF * rowBytes;
  for (let r = begin; r < end; r++) {
    const k0 = load<i32>(offsets + (<usize>r << 2));
    const k1 = load<i32>(offsets + (<usize>(r + 1) << 2));
    const yRow = y + ((<usize>r * <usize>out) << 2);
    let o = 0;
    for (; o + 16 <= out; o += 16) {
      const ob = <usize>o << 2;
      let a0 = v128.load(biasRow + ob);
      let a1 = v128.load(biasRow + ob, 16);
      let a2 = v128.load(biasRow + ob, 32);
      let a3 = v128.load(biasRow + ob, 48);
      for (let k = k0; k < k1; k++) {
        const w = wT + activeRow(idx, k, inF, inF + 1) * rowBytes + ob;
        a0 = f32x4.add(a0, v128.load(w));
        a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32));
        a3 = f32x4.add(a3, v128.load(w, 48));
      }
      const yo = yRow + ob;
      v128.store(yo, a0);
      v128.store(yo, a1, 16);
      v128.store(yo, a2, 32);
      v128.store(yo, a3, 48);
    }
    // Fewer than 16 outputs left: one vector at a time (the padded stride keeps the wT loads in bounds).
    for (; o < out; o += 4) {
      const ob = <usize>o << 2;
      let a = v128.load(biasRow + ob);
      for (let k = k0; k < k1; k++) a = f32x4.add(a, v128.load(wT + activeRow(idx, k, inF, inF + 1) * rowBytes + ob));
      storePartial(yRow + ob, a, out - o);
    }
  }
}

/**
 * gw[o, i] += Σ_r gy[r, o]·1[i active in row r] over the `rows` rows (`offsets` and `gy` start at the first) for
 * output features in blocks [begin, end) of 4. gwT [inF + 1, stride] (the last row takes out-of-range indices) is
 * scratch: each thread zeroes and fills its own columns, then adds them, transposed, into gw; with gw == 0 the sum
 * is left in gwT (a thread's partial sum over its rows, which the caller reduces).
 */
export function linearSpikeWeightGrad(
  idx: usize,
  offsets: usize,
  rows: i32,
  gy: usize,
  out: i32,
  gwT: usize,
  stride: i32,
  gw: usize,
  inF: i32,
  begin: i32,
  end: i32,
): void {
  const c0 = begin * 4;
  const c1 = end * 4;
  const rowBytes = <usize>stride << 2;
  for (let i = 0; i <= inF; i++) {
    const row = gwT + <usize>i * rowBytes;
    for (let c = c0; c < c1; c += 4) v128.store(row + (<usize>c << 2), f32x4.splat(0));
  }
  let o = c0;
  for (; o + 32 <= c1; o += 32) {
    const ob = <usize>o << 2;
    for (let r = 0; r < rows; r++) {
      const k0 = load<i32>(offsets + (<usize>r << 2));
      const k1 = load<i32>(offsets + (<usize>(r + 1) << 2));
      if (k0 == k1) continue;
      const g = gy + ((<usize>r * <usize>out) << 2) + ob;
      const g0 = loadPartial(g, out - o);
      const g1 = loadPartial(g + 16, out - o - 4);
      const g2 = loadPartial(g + 32, out - o - 8);
      const g3 = loadPartial(g + 48, out - o - 12);
      const g4 = loadPartial(g + 64, out - o - 16);
      const g5 = loadPartial(g + 80, out - o - 20);
      const g6 = loadPartial(g + 96, out - o - 24);
      const g7 = loadPartial(g + 112, out - o - 28);
      for (let k = k0; k < k1; k++) {
        const w = gwT + activeRow(idx, k, inF, inF) * rowBytes + ob;
        v128.store(w, f32x4.add(v128.load(w), g0));
        v128.store(w, f32x4.add(v128.load(w, 16), g1), 16);
        v128.store(w, f32x4.add(v128.load(w, 32), g2), 32);
        v128.store(w, f32x4.add(v128.load(w, 48), g3), 48);
        v128.store(w, f32x4.add(v128.load(w, 64), g4), 64);
        v128.store(w, f32x4.add(v128.load(w, 80), g5), 80);
        v128.store(w, f32x4.add(v128.load(w, 96), g6), 96);
        v128.store(w, f32x4.add(v128.load(w, 112), g7), 112);
      }
    }
  }
  for (; o < c1; o += 4) {
    const ob = <usize>o << 2;
    for (let r = 0; r < rows; r++) {
      const k0 = load<i32>(offsets + (<usize>r << 2));
      const k1 = load<i32>(offsets + (<usize>(r + 1) << 2));
      if (k0 == k1) continue;
      const g = loadPartial(gy + ((<usize>r * <usize>out) << 2) + ob, out - o);
      for (let k = k0; k < k1; k++) {
        const w = gwT + activeRow(idx, k, inF, inF) * rowBytes + ob;
        v128.store(w, f32x4.add(v128.load(w), g));
      }
    }
  }
  if (gw != 0) addTransposed(gwT, stride, gw, inF, c0, min(c1, out));
}

/**
 * Row-wise kernels of the gated layers, dropout and TA (scaleRows, mulRepeated, rowDots, rowMeans, addRows): their
 * shape checks, shared by both engines, and their TS twins.
 */

/** Row length of x split into `rows` rows; throws unless it divides evenly. */
export function checkRowsOf(name: string, x: { length: number }, rows: number): number {
  if (rows === 0 ? x.length !== 0 : x.length % rows !== 0)
    throw new RangeError(`${name}: ${x.length} values do not split into ${rows} rows`);
  return rows === 0 ? 0 : x.length / rows;
}

/** checkRowsOf, and `out` must match x. */
export function checkRows(name: string, x: { length: number }, rows: number, out: { length: number }): number {
  const f = checkRowsOf(name, x, rows);
  if (out.length !== x.length) throw new RangeError(`${name}: out has ${out.length} values, x ${x.length}`);
  return f;
}

/** mulRepeated's checks: x a whole number of m's, out like x. Returns that number. */
export function checkRepeated(x: Float32Array, m: Float32Array, out: Float32Array): number {
  if (m.length === 0 ? x.length !== 0 : x.length % m.length !== 0)
    throw new RangeError(`mulRepeated: ${x.length} values are not a whole number of m's ${m.length}`);
  const tiles = m.length === 0 ? 0 : x.length / m.length;
  checkRows("mulRepeated", x, tiles, out);
  return tiles;
}

/** rowDots' checks: a and b alike, out one value per row, mask one byte per row. Returns the row length. */
export function checkRowDots(a: Float32Array, b: Float32Array, mask: Uint8Array | null, out: Float32Array): number {
  const f = checkRows("rowDots", a, out.length, b);
  if (mask !== null && mask.length !== out.length)
    throw new RangeError(`rowDots: mask has ${mask.length} bytes for ${out.length} rows`);
  return f;
}

export function refScaleRows(x: Float32Array, w: Float32Array, out: Float32Array): void {
  const f = checkRows("scaleRows", x, w.length, out);
  for (let r = 0; r < w.length; r++) {
    const k = w[r]!;
    for (let i = r * f; i < (r + 1) * f; i++) out[i] = x[i]! * k;
  }
}

export function refMulRepeated(x: Float32Array, m: Float32Array, out: Float32Array): void {
  const f = m.length;
  const tiles = checkRepeated(x, m, out);
  for (let o = 0; o < tiles * f; o += f) {
    for (let i = 0; i < f; i++) out[o + i] = x[o + i]! * m[i]!;
  }
}

export function refRowDots(a: Float32Array, b: Float32Array, mask: Uint8Array | null, out: Float32Array): void {
  const f = checkRowDots(a, b, mask, out);
  for (let r = 0; r < out.length; r++) {
    let s = 0;
    if (mask === null || mask[r] !== 0) for (let i = r * f; i < (r + 1) * f; i++) s += a[i]! * b[i]!;
    out[r] = s;
  }
}

export function refRowMeans(x: Float32Array, out: Float32Array): void {
  const f = checkRowsOf("rowMeans", x, out.length);
  for (let r = 0; r < out.length; r++) {
    let s = 0;
    for (let i = r * f; i < (r + 1) * f; i++) s += x[i]!;
    out[r] = s / f;
  }
}

export function refAddRows(x: Float32Array, v: Float64Array): void {
  const f = checkRowsOf("addRows", x, v.length);
  for (let r = 0; r < v.length; r++) {
    const g = v[r]!;
    for (let i = r * f; i < (r + 1) * f; i++) x[i] = x[i]! + g;
  }
}

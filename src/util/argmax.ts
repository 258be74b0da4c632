/** The project's one argmax: predictions from spike counts or scores. The first index wins a tie. */

type Values = Float64Array | Float32Array | Int32Array | number[];

/** Index of the largest of the `length` values from `offset` (relative to `offset`); 0 when length is 0. */
export function argmax(values: Values, offset = 0, length = values.length - offset): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}

/** argmax of each row of a [rows, cols] matrix. */
export function argmaxRows(values: Values, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = argmax(values, r * cols, cols);
  return out;
}

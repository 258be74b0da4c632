/**
 * The pure-TS twin of the wasm razorSourceGrad (assembly/razor-grad.ts): Razor's gradient into its source, the
 * dense pass over every channel of every scored frame. Shared checks for the wasm wrapper.
 */
import type { RazorSourceGrad } from "./api.js";

function need(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`razorSourceGrad: ${what}`);
}

/** Checks the sizes of a razorSourceGrad call. */
export function checkRazorSourceGrad(p: RazorSourceGrad, gx: Float32Array): void {
  const { rows, channels: C, K, hw } = p;
  for (const [k, v] of Object.entries({ rows, channels: C, K, hw }))
    need(Number.isInteger(v) && v >= (k === "rows" ? 0 : 1), `${k} must be a positive integer, got ${v}`);
  need(p.active.length >= rows, `active has ${p.active.length} entries, expected ${rows}`);
  need(p.gp.length >= rows * K, `gp has ${p.gp.length} entries, expected rows·K = ${rows * K}`);
  for (const [k, a] of Object.entries({ norm: p.norm, dot: p.dot, gAct: p.gAct }))
    need(a.length >= rows, `${k} has ${a.length} entries, expected ${rows}`);
  need(p.fOffsets.length >= rows + 1, `fOffsets has ${p.fOffsets.length} entries, expected rows + 1`);
  const nnz = p.fOffsets[rows]!;
  need(p.fIdx.length >= nnz && p.fVal.length >= nnz, `fIdx/fVal hold fewer than the ${nnz} entries of fOffsets`);
  const { fOffsets, fIdx } = p;
  for (let r = 0; r < rows; r++) {
    const lo = fOffsets[r]!;
    const hi = fOffsets[r + 1]!;
    if (lo > hi) need(false, `fOffsets decrease at row ${r}`);
    let last = -1;
    for (let j = lo; j < hi; j++) {
      const c = fIdx[j]!;
      if (!(c > last && c < C)) need(false, `fIdx[${j}] = ${c} out of order or outside [0, ${C})`);
      last = c;
    }
  }
  need(p.eHatT.length >= C * K, `eHatT has ${p.eHatT.length} entries, expected channels·K = ${C * K}`);
  need(gx.length >= rows * C * hw, `gx has ${gx.length} entries, expected rows·channels·hw = ${rows * C * hw}`);
}

/**
 * out[c] = dL/df[r, c] for every channel of frame r: the per-channel value g of RazorSourceGrad (float64, before it
 * is spread over the hw positions). nn/razor.ts uses it for windows longer than one frame.
 */
export function razorRowGrad(p: RazorSourceGrad, r: number, out: Float64Array): void {
  const { channels: C, K, gp, eHatT } = p;
  const norm = p.norm[r]!;
  const dot = p.dot[r]!;
  const gAct = p.gAct[r]!;
  let j = p.fOffsets[r]!;
  const end = p.fOffsets[r + 1]!;
  for (let c = 0; c < C; c++) {
    let fc = 0;
    if (j < end && p.fIdx[j] === c) fc = p.fVal[j++]!;
    if (norm > 0) {
      let h = 0;
      for (let k = 0; k < K; k++) h = h + gp[r * K + k]! * eHatT[c * K + k]!;
      out[c] = (h - (fc / norm) * dot) / norm + gAct;
    } else out[c] = 0 + gAct;
  }
}

export function refRazorSourceGrad(p: RazorSourceGrad, gx: Float32Array): void {
  checkRazorSourceGrad(p, gx);
  const { rows, channels: C, hw } = p;
  const g = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    if (p.active[r] === 0) continue;
    razorRowGrad(p, r, g);
    for (let c = 0; c < C; c++) {
      const v = (0 + g[c]!) / hw;
      if (v === 0) continue;
      const base = (r * C + c) * hw;
      for (let i = base; i < base + hw; i++) gx[i] = gx[i]! + v;
    }
  }
}

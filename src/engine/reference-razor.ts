/**
 * The pure-TS twins of the wasm Razor kernels (assembly/razor-grad.ts): razorSourceGrad, Razor's gradient into its
 * source (the dense pass over every channel of every scored frame), and razorScoreGrad, the sparse pass over the
 * scored frames' listed channels (embedding gradient, per-frame dots). Shared checks for the wasm wrapper.
 */
import type { RazorScoreGrad, RazorSourceGrad } from "./api.js";

function need(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`razorSourceGrad: ${what}`);
}

/** The checks razorSourceGrad and razorScoreGrad share: sizes, and descriptor rows ascending inside [0, C). */
function checkRows(
  name: string,
  p: { rows: number; channels: number; K: number; gp: Float64Array; norm: Float64Array; eHatT: Float64Array },
  rowsOf: { fOffsets: Int32Array; fIdx: Int32Array; fVal: Float64Array },
): void {
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`${name}: ${what}`);
  };
  const { rows, channels: C, K } = p;
  for (const [k, v] of Object.entries({ rows, channels: C, K }))
    need(Number.isInteger(v) && v >= (k === "rows" ? 0 : 1), `${k} must be a positive integer, got ${v}`);
  need(p.gp.length >= rows * K, `gp has ${p.gp.length} entries, expected rows·K = ${rows * K}`);
  need(p.norm.length >= rows, `norm has ${p.norm.length} entries, expected ${rows}`);
  const { fOffsets, fIdx, fVal } = rowsOf;
  need(fOffsets.length >= rows + 1, `fOffsets has ${fOffsets.length} entries, expected rows + 1`);
  const nnz = fOffsets[rows]!;
  need(fIdx.length >= nnz && fVal.length >= nnz, `fIdx/fVal hold fewer than the ${nnz} entries of fOffsets`);
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
}

/** Checks the sizes of a razorSourceGrad call. */
export function checkRazorSourceGrad(p: RazorSourceGrad, gx: Float32Array): void {
  checkRows("razorSourceGrad", p, p);
  const { rows, channels: C, hw } = p;
  need(Number.isInteger(hw) && hw >= 1, `hw must be a positive integer, got ${hw}`);
  need(p.active.length >= rows, `active has ${p.active.length} entries, expected ${rows}`);
  for (const [k, a] of Object.entries({ dot: p.dot, gAct: p.gAct }))
    need(a.length >= rows, `${k} has ${a.length} entries, expected ${rows}`);
  need(gx.length >= rows * C * hw, `gx has ${gx.length} entries, expected rows·channels·hw = ${rows * C * hw}`);
}

/** Checks the sizes of a razorScoreGrad call. */
export function checkRazorScoreGrad(p: RazorScoreGrad, gEHat: Float64Array, dot: Float64Array | null): void {
  checkRows("razorScoreGrad", p, p);
  const fail = (what: string): never => {
    throw new RangeError(`razorScoreGrad: ${what}`);
  };
  if (p.on.length < p.rows) fail(`on has ${p.on.length} entries, expected ${p.rows}`);
  if (gEHat.length < p.K * p.channels) fail(`gEHat has ${gEHat.length} entries, expected K·channels`);
  if (dot !== null && dot.length < p.rows) fail(`dot has ${dot.length} entries, expected ${p.rows}`);
}

/** The twin of the wasm razorScoreGrad (assembly/razor-grad.ts). */
export function refRazorScoreGrad(p: RazorScoreGrad, gEHat: Float64Array, dot: Float64Array | null): void {
  checkRazorScoreGrad(p, gEHat, dot);
  const { rows, channels: C, K, gp, fOffsets, fIdx, fVal, eHatT } = p;
  for (let r = 0; r < rows; r++) {
    if (p.on[r] === 0) continue;
    const norm = p.norm[r]!;
    const lo = fOffsets[r]!;
    const hi = fOffsets[r + 1]!;
    for (let k = 0; k < K; k++) {
      const g = gp[r * K + k]!;
      for (let j = lo; j < hi; j++) gEHat[k * C + fIdx[j]!] = gEHat[k * C + fIdx[j]!]! + (g * fVal[j]!) / norm;
    }
    if (dot === null) continue;
    let d = 0;
    for (let j = lo; j < hi; j++) {
      let h = 0;
      for (let k = 0; k < K; k++) h = h + gp[r * K + k]! * eHatT[fIdx[j]! * K + k]!;
      d += (fVal[j]! / norm) * h;
    }
    dot[r] = d;
  }
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

/**
 * The pure-TS twins of the wasm Razor kernels (assembly/razor-score.ts, assembly/razor-grad.ts): razorScores, the
 * per-frame scores; razorSourceGrad, Razor's gradient into its source (the dense pass over every channel of every
 * scored frame); razorScoreGrad, the sparse pass over the scored frames' listed channels (embedding gradient,
 * per-frame dots). Shared checks for the wasm wrappers.
 */
import type { RazorScoreGrad, RazorScoreOutputs, RazorScores, RazorSourceGrad } from "./api.js";

/** need(ok, what) for kernel `name`: a RangeError naming the kernel unless ok. */
function checker(name: string): (ok: boolean, what: string) => void {
  return (ok, what) => {
    if (!ok) throw new RangeError(`${name}: ${what}`);
  };
}

/**
 * The checks the Razor kernels share: sizes, the embeddings (Ê or Êᵀ, named as the caller names them) and (unless
 * `scan` is false: the wasm wrappers scan in wasm, then here only for the message) descriptor rows ascending inside
 * [0, C).
 */
function checkDescriptorRows(
  name: string,
  p: { rows: number; channels: number; K: number; gp?: Float64Array; norm?: Float64Array },
  rowsOf: { fOffsets: Int32Array; fIdx: Int32Array; fVal: Float64Array },
  embeddings: [string, Float64Array],
  scan: boolean,
): void {
  const need = checker(name);
  const { rows, channels: C, K } = p;
  for (const [k, v] of Object.entries({ rows, channels: C, K }))
    need(Number.isInteger(v) && v >= (k === "rows" ? 0 : 1), `${k} must be a positive integer, got ${v}`);
  if (p.gp) need(p.gp.length >= rows * K, `gp has ${p.gp.length} entries, expected rows·K = ${rows * K}`);
  if (p.norm) need(p.norm.length >= rows, `norm has ${p.norm.length} entries, expected ${rows}`);
  const { fOffsets, fIdx, fVal } = rowsOf;
  need(fOffsets.length >= rows + 1, `fOffsets has ${fOffsets.length} entries, expected rows + 1`);
  const nnz = fOffsets[rows]!;
  need(fIdx.length >= nnz && fVal.length >= nnz, `fIdx/fVal hold fewer than the ${nnz} entries of fOffsets`);
  if (scan) scanRows(name, rows, C, fOffsets, fIdx);
  const [eName, e] = embeddings;
  need(e.length >= C * K, `${eName} has ${e.length} entries, expected channels·K = ${C * K}`);
}

/** Throws, naming the first entry, unless every descriptor row's channels ascend inside [0, C). */
export function scanRows(name: string, rows: number, C: number, fOffsets: Int32Array, fIdx: Int32Array): void {
  const need = checker(name);
  need(rows === 0 || fOffsets[0]! >= 0, `fOffsets[0] = ${fOffsets[0]} is negative`);
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
}

/** Checks the sizes of a razorSourceGrad call. */
export function checkRazorSourceGrad(p: RazorSourceGrad, gx: Float32Array, scan = true): void {
  checkDescriptorRows("razorSourceGrad", p, p, ["eHatT", p.eHatT], scan);
  const need = checker("razorSourceGrad");
  const { rows, channels: C, hw } = p;
  need(Number.isInteger(hw) && hw >= 1, `hw must be a positive integer, got ${hw}`);
  need(p.active.length >= rows, `active has ${p.active.length} entries, expected ${rows}`);
  for (const [k, a] of Object.entries({ dot: p.dot, gAct: p.gAct }))
    need(a.length >= rows, `${k} has ${a.length} entries, expected ${rows}`);
  need(gx.length >= rows * C * hw, `gx has ${gx.length} entries, expected rows·channels·hw = ${rows * C * hw}`);
}

/** Checks the sizes of a razorScoreGrad call. */
export function checkRazorScoreGrad(
  p: RazorScoreGrad,
  gEHat: Float64Array,
  dot: Float64Array | null,
  scan = true,
): void {
  checkDescriptorRows("razorScoreGrad", p, p, ["eHatT", p.eHatT], scan);
  const need = checker("razorScoreGrad");
  need(p.on.length >= p.rows, `on has ${p.on.length} entries, expected ${p.rows}`);
  need(gEHat.length >= p.K * p.channels, `gEHat has ${gEHat.length} entries, expected K·channels`);
  need(dot === null || dot.length >= p.rows, `dot has ${dot?.length} entries, expected ${p.rows}`);
}

/** Checks the sizes of a razorScores call. */
export function checkRazorScores(p: RazorScores, out: RazorScoreOutputs, scan = true): void {
  checkDescriptorRows("razorScores", p, p, ["eHat", p.eHat], scan);
  const need = checker("razorScores");
  const rows = p.rows;
  for (const [k, v] of Object.entries({ tau: p.tau, gamma: p.gamma, eta: p.eta, beta: p.beta, eps: p.eps }))
    need(Number.isFinite(v), `${k} must be finite, got ${v}`);
  for (const [k, a] of Object.entries({ norm: out.norm, s: out.s, act: out.act, d: out.d }))
    need(a.length >= rows, `${k} has ${a.length} entries, expected ${rows}`);
  for (const [k, a] of Object.entries({ p: out.p, alpha: out.alpha }))
    need(a.length >= rows * p.K, `${k} has ${a.length} entries, expected rows·K = ${rows * p.K}`);
}

/** The twin of the wasm razorScores (assembly/razor-score.ts). */
export function refRazorScores(p: RazorScores, out: RazorScoreOutputs): void {
  checkRazorScores(p, out);
  const { rows, channels: C, K, tau, gamma, eta, beta, eps, fOffsets, fIdx, fVal, eHat } = p;
  const { norm: norms, p: P, alpha: A } = out;
  for (let r = 0; r < rows; r++) {
    const lo = fOffsets[r]!;
    const hi = fOffsets[r + 1]!;
    let sq = 0;
    let l1 = 0;
    for (let j = lo; j < hi; j++) {
      const v = fVal[j]!;
      sq += v * v;
      l1 += Math.abs(v);
    }
    const norm = Math.sqrt(sq);
    norms[r] = norm;
    let maxLogit = -Infinity;
    for (let k = 0; k < K; k++) {
      let dot = 0;
      if (norm > 0) {
        const e = k * C;
        for (let j = lo; j < hi; j++) dot += fVal[j]! * eHat[e + fIdx[j]!]!;
        dot /= norm;
      }
      P[r * K + k] = dot;
      maxLogit = Math.max(maxLogit, dot / tau);
    }
    let z = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(P[r * K + k]! / tau - maxLogit);
      A[r * K + k] = e;
      z += e;
    }
    let sr = 0;
    for (let k = 0; k < K; k++) {
      const a = A[r * K + k]! / z;
      A[r * K + k] = a;
      sr += a * P[r * K + k]!;
    }
    out.s[r] = sr;
    const act = l1 / C;
    out.act[r] = act;
    out.d[r] = 1 / (1 + Math.exp(-(gamma * sr + eta * Math.log(eps + act) + beta)));
  }
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

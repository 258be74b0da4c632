/**
 * Pure-TS twins of the spiking kernels: the fused LIF scan (forward and BPTT backward), spike lists, and the
 * event-driven linear / conv kernels. Slow and obvious on purpose: they are the test oracle for the wasm kernels.
 *
 * The LIF forward runs in float32 arithmetic (Math.fround after every operation, in the same order as the wasm
 * kernel), so its spikes match the wasm kernel bit for bit; a float64 scan would flip spikes that sit within
 * rounding of the threshold and the two trajectories would part.
 */
import {
  type ConvEpilogue,
  type ConvShape,
  convOutSize,
  type Engine,
  type Kernels,
  type LifParams,
  type SpikeList,
} from "./api.js";
import { avgPool2x2 } from "./avg-pool-2x2.js";

export type SpikeKernelName =
  | "lifForward"
  | "lifBackward"
  | "spikeIndices"
  | "spikeFloats"
  | "linearSpikeForward"
  | "linearSpikeWeightGrad"
  | "conv2dSpikeForward"
  | "conv2dSpikeWeightGrad";

const f32 = Math.fround;

/**
 * An empty spike list with room for every position of `rows` rows of `rowLen`: in an engine's memory when `engine`
 * is given (release it with freeSpikeList), else in plain arrays.
 */
export function createSpikeList(rows: number, rowLen: number, engine?: Pick<Engine, "allocI32">): SpikeList {
  const alloc = (n: number) => (engine === undefined ? new Int32Array(n) : engine.allocI32(n));
  return { rows, rowLen, idx: alloc(rows * rowLen), offsets: alloc(rows + 1) };
}

/** Releases a list made by createSpikeList(rows, rowLen, engine). */
export function freeSpikeList(list: SpikeList, engine: Pick<Engine, "free">): void {
  engine.free(list.idx);
  engine.free(list.offsets);
}

function need(ok: boolean, kernel: string, what: string): void {
  if (!ok) throw new RangeError(`${kernel}: ${what}`);
}

/** Checks sizes shared by the twins and the wasm wrappers; throws a RangeError naming the kernel and field. */
export function checkLif(kernel: string, p: LifParams, arrays: Record<string, { length: number }>): void {
  need(Number.isInteger(p.t) && p.t >= 0 && Number.isInteger(p.n) && p.n >= 0, kernel, "t and n must be integers >= 0");
  need(p.surrogateWidth > 0, kernel, `surrogateWidth must be > 0, got ${p.surrogateWidth}`);
  need(["rect", "sigmoid", "atan"].includes(p.surrogate), kernel, `unknown surrogate '${p.surrogate}'`);
  need(p.reset === "soft" || p.reset === "hard", kernel, `unknown reset '${p.reset}'`);
  for (const [name, a] of Object.entries(arrays)) {
    need(a.length >= p.t * p.n, kernel, `${name} has ${a.length} elements, expected t·n = ${p.t * p.n}`);
  }
}

/** Checks that `list` can hold a CSR of `rows` rows of `rowLen`, with `capacity` index slots. */
export function checkListShape(kernel: string, list: SpikeList, rows: number, rowLen: number, capacity: number): void {
  need(list.rows === rows, kernel, `list.rows is ${list.rows}, expected ${rows}`);
  need(list.rowLen === rowLen, kernel, `list.rowLen is ${list.rowLen}, expected ${rowLen}`);
  need(list.offsets.length >= rows + 1, kernel, `list.offsets has ${list.offsets.length} entries, expected rows + 1`);
  need(list.idx.length >= capacity, kernel, `list.idx has ${list.idx.length} entries, expected ${capacity}`);
}

/** A LIF output list has one row per (t, rowLen-long slice of n); idx needs room for the spikes (checked later). */
export function checkLifList(p: LifParams, list: SpikeList): void {
  need(list.rowLen > 0 && p.n % list.rowLen === 0, "lifForward", `list.rowLen ${list.rowLen} must divide n ${p.n}`);
  checkListShape("lifForward", list, (p.t * p.n) / list.rowLen, list.rowLen, 0);
}

/** Checks a filled list before an event-driven kernel reads it (offsets start at 0, never decrease, fit idx). */
export function checkFilledList(kernel: string, list: SpikeList): void {
  need(
    list.offsets.length >= list.rows + 1,
    kernel,
    `list.offsets has ${list.offsets.length} entries, expected rows + 1`,
  );
  need(list.offsets[0] === 0, kernel, "list.offsets[0] must be 0");
  const total = list.offsets[list.rows]!;
  need(total >= 0 && total <= list.idx.length, kernel, `list.offsets[rows] = ${total} exceeds idx length`);
  if (list.values)
    need(list.values.length >= total, kernel, `list.values has ${list.values.length} entries, expected ${total}`);
  for (let r = 0; r < list.rows; r++) {
    if (list.offsets[r + 1]! < list.offsets[r]!) need(false, kernel, `list.offsets decreases at row ${r}`);
  }
}

/** The twins also check every index (the wasm kernels skip out-of-range ones instead of paying for a check). */
function checkIndices(kernel: string, list: SpikeList): void {
  const total = list.offsets[list.rows]!;
  for (let k = 0; k < total; k++) {
    const i = list.idx[k]!;
    if (!(i >= 0 && i < list.rowLen))
      need(false, kernel, `list.idx[${k}] = ${i} is outside [0, rowLen = ${list.rowLen})`);
  }
}

/** Checks an event-driven linear call: w [out, list.rowLen], y [list.rows, out]. */
export function checkLinear(
  kernel: string,
  list: SpikeList,
  w: { length: number },
  y: { length: number },
  out: number,
): void {
  need(list.values === undefined, kernel, "takes spike lists only (this list has values)");
  checkFilledList(kernel, list);
  need(Number.isInteger(out) && out >= 0, kernel, `out must be an integer >= 0, got ${out}`);
  need(
    w.length >= out * list.rowLen,
    kernel,
    `weight has ${w.length} elements, expected out·in = ${out * list.rowLen}`,
  );
  need(y.length >= list.rows * out, kernel, `output has ${y.length} elements, expected rows·out = ${list.rows * out}`);
}

/** Output size of an event-driven conv, after checking the list against the shape. */
export function checkConv(
  kernel: string,
  list: SpikeList,
  w: { length: number },
  y: { length: number },
  s: ConvShape,
  epilogue?: ConvEpilogue,
): { ho: number; wo: number; outPlane: number } {
  checkFilledList(kernel, list);
  need(
    list.values === undefined || kernel === "conv2dSpikeForward",
    kernel,
    "takes spike lists only (this list has values)",
  );
  for (const field of ["n", "cin", "h", "w", "cout", "kh", "kw", "strideH", "strideW", "padH", "padW"] as const) {
    const min = field === "n" || field.startsWith("pad") ? 0 : 1;
    const v = s[field];
    need(Number.isInteger(v) && v >= min, kernel, `shape.${field} must be an integer >= ${min}, got ${v}`);
  }
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  need(ho >= 1 && wo >= 1, kernel, `conv shape gives an empty output (${ho}x${wo})`);
  need(list.rows === s.n, kernel, `list.rows is ${list.rows}, expected n = ${s.n}`);
  need(list.rowLen === s.cin * s.h * s.w, kernel, `list.rowLen is ${list.rowLen}, expected cin·h·w`);
  need(w.length >= s.cout * s.cin * s.kh * s.kw, kernel, `weight has ${w.length} elements, expected cout·cin·kh·kw`);
  const bn = epilogue?.batchNorm;
  if (bn) {
    need(bn.scale.length >= s.cout && bn.shift.length >= s.cout, kernel, `batch norm needs ${s.cout} channels`);
  }
  const pooled = epilogue?.avgPool2 === true;
  need(!pooled || (ho >= 2 && wo >= 2), kernel, `a 2×2 pool needs an output of at least 2×2, got ${ho}x${wo}`);
  const outPlane = pooled ? Math.floor(ho / 2) * Math.floor(wo / 2) : ho * wo;
  need(
    y.length >= s.n * s.cout * outPlane,
    kernel,
    `output has ${y.length} elements, expected ${s.n * s.cout * outPlane}`,
  );
  return { ho, wo, outPlane };
}

/** dS/dU of the surrogate at x = U - vth (see LifParams). */
export function surrogateGrad(kind: LifParams["surrogate"], a: number, x: number): number {
  if (kind === "rect") return Math.abs(x) < a / 2 ? 1 / a : 0;
  if (kind === "sigmoid") {
    const k = 4 / a;
    const s = 1 / (1 + Math.exp(-k * x));
    return k * s * (1 - s);
  }
  const z = (Math.PI * x) / a;
  return 1 / a / (1 + z * z);
}

/** The smooth function whose derivative the surrogate is (used by gradient checks in place of the step). */
export function surrogateSmooth(kind: LifParams["surrogate"], a: number, x: number): number {
  if (kind === "rect") return Math.min(1, Math.max(0, (x + a / 2) / a));
  if (kind === "sigmoid") return 1 / (1 + Math.exp((-4 * x) / a));
  return 0.5 + Math.atan((Math.PI * x) / a) / Math.PI;
}

function lifForward(current: Float32Array, spikes: Uint8Array, u: Float32Array, p: LifParams, list?: SpikeList): void {
  checkLif("lifForward", p, { current, spikes, u });
  const alpha = f32(p.alpha);
  const vth = f32(p.vth);
  const h = new Float32Array(p.n);
  for (let t = 0; t < p.t; t++) {
    for (let i = 0; i < p.n; i++) {
      const k = t * p.n + i;
      const uk = f32(h[i]! + current[k]!);
      const s = uk >= vth;
      u[k] = uk;
      spikes[k] = s ? 1 : 0;
      h[i] = p.reset === "soft" ? f32(alpha * (s ? vth : uk)) : s ? 0 : f32(alpha * uk);
    }
  }
  if (list !== undefined) {
    checkLifList(p, list);
    spikeIndices(spikes, list);
  }
}

/**
 * BPTT of the LIF scan with a real-valued S (binary from the forward, or smooth in gradient checks):
 * U[t] = H[t-1] + I[t], so dL/dI[t] = dL/dU[t] = gS[t]·σ'(U[t]) + dL/dH[t]·dH[t]/dU[t], with S's dependence on U
 * through the surrogate σ' in the reset term too:
 *   soft H = α (vth S + U (1 - S)):  dH/dU = α ((vth - U) σ' + 1 - S)
 *   hard H = α U (1 - S):            dH/dU = α (1 - S - U σ')
 */
export function lifBackwardWithS(
  gSpikes: ArrayLike<number>,
  u: ArrayLike<number>,
  s: ArrayLike<number>,
  gCurrent: Float32Array,
  p: LifParams,
): void {
  checkLif("lifBackward", p, { gSpikes, u, spikes: s, gCurrent });
  for (let i = 0; i < p.n; i++) {
    let gNext = 0; // dL/dU[t+1] = dL/dH[t]
    for (let t = p.t - 1; t >= 0; t--) {
      const k = t * p.n + i;
      const uk = u[k]!;
      const sk = s[k]!;
      const sg = surrogateGrad(p.surrogate, p.surrogateWidth, uk - p.vth);
      const dHdU = p.reset === "soft" ? p.alpha * ((p.vth - uk) * sg + 1 - sk) : p.alpha * (1 - sk - uk * sg);
      gNext = gSpikes[k]! * sg + gNext * dHdU;
      gCurrent[k] = gNext;
    }
  }
}

/** Checks a spikeFloats call. */
export function checkSpikeFloats(spikes: Uint8Array, out: Float32Array): void {
  need(out.length === spikes.length, "spikeFloats", `out has ${out.length} entries, spikes ${spikes.length}`);
}

/** The error for spike byte i of value v (not 0 or 1). */
export function badSpikeByte(i: number, v: number): RangeError {
  return new RangeError(`spikeFloats: spike byte ${i} is ${v}, expected 0 or 1`);
}

function spikeFloats(spikes: Uint8Array, out: Float32Array): number {
  checkSpikeFloats(spikes, out);
  let ones = 0;
  for (let i = 0; i < spikes.length; i++) {
    const v = spikes[i]!;
    if (v > 1) throw badSpikeByte(i, v);
    out[i] = v;
    ones += v;
  }
  return ones;
}

/** Checks a spikeIndices call (idx capacity is checked while filling). */
export function checkSpikeIndices(spikes: { length: number }, list: SpikeList): void {
  const { rows, rowLen } = list;
  need(rowLen > 0 && rows >= 0, "spikeIndices", `list.rowLen must be > 0, got ${rowLen}`);
  need(spikes.length >= rows * rowLen, "spikeIndices", `spikes has ${spikes.length} entries, expected rows·rowLen`);
  need(
    list.offsets.length >= rows + 1,
    "spikeIndices",
    `list.offsets has ${list.offsets.length} entries, expected rows + 1`,
  );
}

function spikeIndices(spikes: Uint8Array, list: SpikeList): void {
  checkSpikeIndices(spikes, list);
  const { rows, rowLen } = list;
  let k = 0;
  list.offsets[0] = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < rowLen; i++) {
      if (spikes[r * rowLen + i] !== 0) {
        need(k < list.idx.length, "spikeIndices", `list.idx has ${list.idx.length} entries, too small for the spikes`);
        list.idx[k++] = i;
      }
    }
    list.offsets[r + 1] = k;
  }
}

function linearSpikeForward(
  list: SpikeList,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  out: number,
): void {
  checkLinear("linearSpikeForward", list, w, y, out);
  checkIndices("linearSpikeForward", list);
  const inF = list.rowLen;
  for (let r = 0; r < list.rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = bias === null ? 0 : bias[o]!;
      for (let k = list.offsets[r]!; k < list.offsets[r + 1]!; k++) acc = f32(acc + w[o * inF + list.idx[k]!]!);
      y[r * out + o] = acc;
    }
  }
}

function linearSpikeWeightGrad(list: SpikeList, gy: Float32Array, gw: Float32Array, out: number): void {
  checkLinear("linearSpikeWeightGrad", list, gw, gy, out);
  checkIndices("linearSpikeWeightGrad", list);
  const inF = list.rowLen;
  for (let r = 0; r < list.rows; r++) {
    for (let k = list.offsets[r]!; k < list.offsets[r + 1]!; k++) {
      const i = list.idx[k]!;
      for (let o = 0; o < out; o++) gw[o * inF + i] = gw[o * inF + i]! + gy[r * out + o]!;
    }
  }
}

/**
 * Calls fn(n, tap, at) for every spike of every image n and every output position `at` = oy·wo + ox whose window
 * covers it, with tap = (c·kh + ky)·kw + kx the weight tap joining them: output oy sees input iy through
 * ky = iy + padH - oy·strideH.
 */
function forEachSpikeTap(
  list: SpikeList,
  s: ConvShape,
  ho: number,
  wo: number,
  fn: (n: number, tap: number, at: number, k: number) => void,
): void {
  for (let n = 0; n < s.n; n++) {
    for (let k = list.offsets[n]!; k < list.offsets[n + 1]!; k++) {
      const pos = list.idx[k]!;
      const c = Math.floor(pos / (s.h * s.w));
      const iy = Math.floor(pos / s.w) % s.h;
      const ix = pos % s.w;
      for (let ky = 0; ky < s.kh; ky++) {
        const ny = iy + s.padH - ky;
        if (ny < 0 || ny % s.strideH !== 0 || ny / s.strideH >= ho) continue;
        for (let kx = 0; kx < s.kw; kx++) {
          const nx = ix + s.padW - kx;
          if (nx < 0 || nx % s.strideW !== 0 || nx / s.strideW >= wo) continue;
          fn(n, (c * s.kh + ky) * s.kw + kx, (ny / s.strideH) * wo + nx / s.strideW, k);
        }
      }
    }
  }
}

function conv2dSpikeForward(
  list: SpikeList,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  s: ConvShape,
  epilogue?: ConvEpilogue,
): void {
  const { ho, wo } = checkConv("conv2dSpikeForward", list, w, y, s, epilogue);
  checkIndices("conv2dSpikeForward", list);
  const plane = ho * wo;
  const taps = s.cin * s.kh * s.kw;
  const full = epilogue ? new Float32Array(s.n * s.cout * plane) : y;
  const values = list.values;
  // spikes: from the bias, + w per spike; values (dense conv's order): from zero, + x·w per entry, then the bias
  for (let n = 0; n < s.n; n++)
    for (let co = 0; co < s.cout; co++)
      full.fill(bias === null || values ? 0 : bias[co]!, (n * s.cout + co) * plane, (n * s.cout + co + 1) * plane);
  forEachSpikeTap(list, s, ho, wo, (n, tap, at, k) => {
    for (let co = 0; co < s.cout; co++) {
      const yi = (n * s.cout + co) * plane + at;
      const add = values ? f32(w[co * taps + tap]! * values[k]!) : w[co * taps + tap]!;
      full[yi] = f32(full[yi]! + add);
    }
  });
  if (values && bias !== null) {
    for (let i = 0; i < s.n * s.cout * plane; i++) full[i] = f32(full[i]! + bias[Math.floor(i / plane) % s.cout]!);
  }
  if (epilogue) applyEpilogue(full, y, s.n * s.cout, ho, wo, s.cout, epilogue);
}

/** Batch norm x·scale + shift, then ((x00 + x10) + (x01 + x11))·0.25 per 2×2 window: the wasm kernels' f32 steps. */
function applyEpilogue(
  x: Float32Array,
  y: Float32Array,
  planes: number,
  h: number,
  w: number,
  channels: number,
  e: ConvEpilogue,
): void {
  const bn = e.batchNorm;
  if (bn) {
    for (let p = 0; p < planes; p++) {
      const c = p % channels;
      for (let i = p * h * w; i < (p + 1) * h * w; i++) x[i] = f32(f32(x[i]! * bn.scale[c]!) + bn.shift[c]!);
    }
  }
  if (!e.avgPool2) {
    y.set(x.subarray(0, planes * h * w));
    return;
  }
  avgPool2x2(x, y, planes, h, w);
}

function conv2dSpikeWeightGrad(list: SpikeList, gy: Float32Array, gw: Float32Array, s: ConvShape): void {
  const { ho, wo } = checkConv("conv2dSpikeWeightGrad", list, gw, gy, s);
  checkIndices("conv2dSpikeWeightGrad", list);
  const plane = ho * wo;
  const taps = s.cin * s.kh * s.kw;
  forEachSpikeTap(list, s, ho, wo, (n, tap, at) => {
    for (let co = 0; co < s.cout; co++) {
      const wi = co * taps + tap;
      gw[wi] = gw[wi]! + gy[(n * s.cout + co) * plane + at]!;
    }
  });
}

export const spikeReferenceKernels: Pick<Kernels, SpikeKernelName> = {
  lifForward,
  lifBackward: (gSpikes, u, spikes, gCurrent, p) => lifBackwardWithS(gSpikes, u, spikes, gCurrent, p),
  spikeIndices,
  spikeFloats,
  linearSpikeForward,
  linearSpikeWeightGrad,
  conv2dSpikeForward,
  conv2dSpikeWeightGrad,
};

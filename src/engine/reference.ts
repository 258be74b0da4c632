/**
 * Pure-TypeScript twins of the dense kernels: slow, obvious loops that accumulate in float64 and round once on
 * store. They are the test oracle for the wasm engine and the default engine until `useEngine` switches.
 */
import {
  type AdamParams,
  type BatchNormShape,
  type ConvShape,
  convOutSize,
  type Engine,
  type Kernels,
  type PoolShape,
  type SpikeBytes,
} from "./api.js";
import { avgPool2x2 } from "./avg-pool-2x2.js";
import { batchNormEvalAffine } from "./batchnorm-affine.js";
import { eventIndices, type ListKernelName, referenceListMakers, refLifGapSteps } from "./reference-lists.js";
import { refRazorScoreGrad, refRazorScores, refRazorSourceGrad } from "./reference-razor.js";
import { refAddRows, refMulRepeated, refRowDots, refRowMeans, refScaleRows } from "./reference-rows.js";
import { spikeReferenceKernels } from "./reference-spike.js";

type DenseKernels = Omit<
  Kernels,
  keyof typeof spikeReferenceKernels | ListKernelName | "razorSourceGrad" | "razorScoreGrad" | "razorScores"
>;

function checkLen(name: string, a: { length: number }, need: number): void {
  if (a.length < need) throw new RangeError(`${name}: array of length ${a.length}, need at least ${need}`);
}

function sameLen(name: string, ...arrays: { length: number }[]): number {
  const n = arrays[0]!.length;
  for (const a of arrays) {
    if (a.length !== n) throw new RangeError(`${name}: arrays of lengths ${arrays.map((x) => x.length).join(", ")}`);
  }
  return n;
}

export function refGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array | SpikeBytes,
  beta: number,
  c: Float32Array,
): void {
  if (transB && b instanceof Uint8Array) throw new RangeError("gemm: B as bytes must not be transposed");
  checkLen("gemm A", a, m * k);
  checkLen("gemm B", b, k * n);
  checkLen("gemm C", c, m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transB ? b[j * k + p]! : b[p * n + j]!;
        acc += av * bv;
      }
      // BLAS convention: beta = 0 ignores C's old contents (even NaN)
      c[i * n + j] = beta === 0 ? alpha * acc : alpha * acc + beta * c[i * n + j]!;
    }
  }
}

function convDims(s: ConvShape): { ho: number; wo: number } {
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  if (ho < 1 || wo < 1) throw new RangeError(`conv2d: kernel ${s.kh}x${s.kw} does not fit input ${s.h}x${s.w}`);
  return { ho, wo };
}

/** Calls fn(yIndex, xIndex, wIndex) for every (output, input, weight) triple that touches the input image. */
function forEachConvTap(s: ConvShape, fn: (yi: number, xi: number, wi: number) => void): void {
  const { ho, wo } = convDims(s);
  for (let b = 0; b < s.n; b++) {
    for (let co = 0; co < s.cout; co++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const yi = ((b * s.cout + co) * ho + oy) * wo + ox;
          for (let ci = 0; ci < s.cin; ci++) {
            for (let ky = 0; ky < s.kh; ky++) {
              const iy = oy * s.strideH - s.padH + ky;
              if (iy < 0 || iy >= s.h) continue;
              for (let kx = 0; kx < s.kw; kx++) {
                const ix = ox * s.strideW - s.padW + kx;
                if (ix < 0 || ix >= s.w) continue;
                fn(yi, ((b * s.cin + ci) * s.h + iy) * s.w + ix, ((co * s.cin + ci) * s.kh + ky) * s.kw + kx);
              }
            }
          }
        }
      }
    }
  }
}

export function refConv2dForward(
  x: Float32Array | SpikeBytes,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  s: ConvShape,
): void {
  const { ho, wo } = convDims(s);
  checkLen("conv2dForward x", x, s.n * s.cin * s.h * s.w);
  checkLen("conv2dForward w", w, s.cout * s.cin * s.kh * s.kw);
  checkLen("conv2dForward y", y, s.n * s.cout * ho * wo);
  const acc = new Float64Array(s.n * s.cout * ho * wo);
  forEachConvTap(s, (yi, xi, wi) => {
    acc[yi]! += x[xi]! * w[wi]!;
  });
  const plane = ho * wo;
  for (let i = 0; i < acc.length; i++) {
    const co = Math.floor(i / plane) % s.cout;
    y[i] = acc[i]! + (bias === null ? 0 : bias[co]!);
  }
}

export function refConv2dBackwardInput(gy: Float32Array, w: Float32Array, gx: Float32Array, s: ConvShape): void {
  const { ho, wo } = convDims(s);
  checkLen("conv2dBackwardInput gy", gy, s.n * s.cout * ho * wo);
  checkLen("conv2dBackwardInput gx", gx, s.n * s.cin * s.h * s.w);
  const acc = new Float64Array(s.n * s.cin * s.h * s.w);
  forEachConvTap(s, (yi, xi, wi) => {
    acc[xi]! += gy[yi]! * w[wi]!;
  });
  gx.set(acc);
}

export function refConv2dBackwardWeight(
  x: Float32Array | SpikeBytes,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  s: ConvShape,
): void {
  const { ho, wo } = convDims(s);
  checkLen("conv2dBackwardWeight x", x, s.n * s.cin * s.h * s.w);
  checkLen("conv2dBackwardWeight gy", gy, s.n * s.cout * ho * wo);
  checkLen("conv2dBackwardWeight gw", gw, s.cout * s.cin * s.kh * s.kw);
  const acc = new Float64Array(s.cout * s.cin * s.kh * s.kw);
  forEachConvTap(s, (yi, xi, wi) => {
    acc[wi]! += gy[yi]! * x[xi]!;
  });
  for (let i = 0; i < acc.length; i++) gw[i] = gw[i]! + acc[i]!;
  if (gb !== null) {
    const plane = ho * wo;
    for (let co = 0; co < s.cout; co++) {
      let sum = 0;
      for (let b = 0; b < s.n; b++) {
        const base = (b * s.cout + co) * plane;
        for (let i = 0; i < plane; i++) sum += gy[base + i]!;
      }
      gb[co] = gb[co]! + sum;
    }
  }
}

/** Calls fn(windowIndex, xIndex) for every window element of a pooling layer, windows in output order. */
function forEachPoolTap(s: PoolShape, fn: (yi: number, xi: number) => void): void {
  const ho = convOutSize(s.h, s.k, s.stride, 0);
  const wo = convOutSize(s.w, s.k, s.stride, 0);
  if (ho < 1 || wo < 1) throw new RangeError(`pool2d: window ${s.k} does not fit input ${s.h}x${s.w}`);
  for (let p = 0; p < s.n * s.c; p++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const yi = (p * ho + oy) * wo + ox;
        for (let ky = 0; ky < s.k; ky++) {
          for (let kx = 0; kx < s.k; kx++) {
            fn(yi, (p * s.h + oy * s.stride + ky) * s.w + ox * s.stride + kx);
          }
        }
      }
    }
  }
}

function poolOutLen(s: PoolShape): number {
  return s.n * s.c * convOutSize(s.h, s.k, s.stride, 0) * convOutSize(s.w, s.k, s.stride, 0);
}

/**
 * In the wasm kernel's f32 steps (assembly/pool.ts), so both engines agree bit for bit: 2×2 windows with stride 2
 * as ((x00 + x10) + (x01 + x11)) · 0.25, other windows as a running sum in tap order times 1/k² (rounded to f32).
 */
export function refAvgPool2dForward(x: Float32Array, y: Float32Array, s: PoolShape): void {
  checkLen("avgPool2dForward y", y, poolOutLen(s));
  const f32 = Math.fround;
  if (s.k === 2 && s.stride === 2) {
    avgPool2x2(x, y, s.n * s.c, s.h, s.w);
    return;
  }
  y.fill(0);
  forEachPoolTap(s, (yi, xi) => {
    y[yi] = f32(y[yi]! + x[xi]!);
  });
  const inv = f32(1 / (s.k * s.k));
  for (let i = 0; i < y.length; i++) y[i] = f32(y[i]! * inv);
}

export function refAvgPool2dBackward(gy: Float32Array, gx: Float32Array, s: PoolShape): void {
  checkLen("avgPool2dBackward gx", gx, s.n * s.c * s.h * s.w);
  const acc = new Float64Array(s.n * s.c * s.h * s.w);
  forEachPoolTap(s, (yi, xi) => {
    acc[xi]! += gy[yi]! / (s.k * s.k);
  });
  gx.set(acc);
}

export function refMaxPool2dForward(x: Float32Array, y: Float32Array, argmax: Int32Array, s: PoolShape): void {
  const n = poolOutLen(s);
  checkLen("maxPool2dForward y", y, n);
  checkLen("maxPool2dForward argmax", argmax, n);
  const best = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const arg = new Int32Array(n).fill(-1);
  forEachPoolTap(s, (yi, xi) => {
    if (arg[yi] === -1 || x[xi]! > best[yi]!) {
      best[yi] = x[xi]!;
      arg[yi] = xi;
    }
  });
  for (let i = 0; i < n; i++) {
    y[i] = best[i]!;
    argmax[i] = arg[i]!;
  }
}

export function refMaxPool2dBackward(gy: Float32Array, argmax: Int32Array, gx: Float32Array, s: PoolShape): void {
  const n = poolOutLen(s);
  const acc = new Float64Array(s.n * s.c * s.h * s.w);
  for (let i = 0; i < n; i++) acc[argmax[i]!]! += gy[i]!;
  gx.set(acc);
}

/** Per-channel sums over [n, c, hw] in float64. */
function channelSums(x: Float32Array, s: BatchNormShape, f: (v: number, i: number) => number): Float64Array {
  const out = new Float64Array(s.c);
  for (let b = 0; b < s.n; b++) {
    for (let ch = 0; ch < s.c; ch++) {
      const base = (b * s.c + ch) * s.hw;
      let acc = 0;
      for (let i = 0; i < s.hw; i++) acc += f(x[base + i]!, base + i);
      out[ch]! += acc;
    }
  }
  return out;
}

export function refBatchNormForwardTrain(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  y: Float32Array,
  saveMean: Float32Array,
  saveInvStd: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  s: BatchNormShape,
  momentum: number,
  eps: number,
): void {
  const count = s.n * s.hw;
  if (count < 2) throw new RangeError(`batchNormForwardTrain: needs more than 1 value per channel, got ${count}`);
  checkLen("batchNormForwardTrain x", x, count * s.c);
  const mean = channelSums(x, s, (v) => v).map((v) => v / count);
  const varB = channelSums(x, s, (v, i) => {
    const d = v - mean[Math.floor(i / s.hw) % s.c]!;
    return d * d;
  }).map((v) => v / count);
  for (let ch = 0; ch < s.c; ch++) {
    saveMean[ch] = mean[ch]!;
    saveInvStd[ch] = 1 / Math.sqrt(varB[ch]! + eps);
    runningMean[ch] = (1 - momentum) * runningMean[ch]! + momentum * mean[ch]!;
    runningVar[ch] = (1 - momentum) * runningVar[ch]! + (momentum * varB[ch]! * count) / (count - 1);
  }
  for (let i = 0; i < count * s.c; i++) {
    const ch = Math.floor(i / s.hw) % s.c;
    y[i] = gamma[ch]! * (x[i]! - mean[ch]!) * (1 / Math.sqrt(varB[ch]! + eps)) + beta[ch]!;
  }
}

export function refBatchNormForwardEval(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  y: Float32Array,
  s: BatchNormShape,
  eps: number,
): void {
  const total = s.n * s.c * s.hw;
  checkLen("batchNormForwardEval x", x, total);
  const { scale, shift } = batchNormEvalAffine(gamma, beta, runningMean, runningVar, eps);
  for (let i = 0; i < total; i++) {
    const ch = Math.floor(i / s.hw) % s.c;
    y[i] = Math.fround(x[i]! * scale[ch]!) + shift[ch]!;
  }
}

export function refBatchNormBackward(
  gy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  saveMean: Float32Array,
  saveInvStd: Float32Array,
  gx: Float32Array,
  gGamma: Float32Array,
  gBeta: Float32Array,
  s: BatchNormShape,
): void {
  const count = s.n * s.hw;
  const total = count * s.c;
  checkLen("batchNormBackward gy", gy, total);
  const xhat = (i: number): number => {
    const ch = Math.floor(i / s.hw) % s.c;
    return (x[i]! - saveMean[ch]!) * saveInvStd[ch]!;
  };
  const sumGy = channelSums(gy, s, (v) => v);
  const sumGyXhat = channelSums(gy, s, (v, i) => v * xhat(i));
  for (let ch = 0; ch < s.c; ch++) {
    gBeta[ch] = gBeta[ch]! + sumGy[ch]!;
    gGamma[ch] = gGamma[ch]! + sumGyXhat[ch]!;
  }
  for (let i = 0; i < total; i++) {
    const ch = Math.floor(i / s.hw) % s.c;
    const k = (gamma[ch]! * saveInvStd[ch]!) / count;
    gx[i] = k * (count * gy[i]! - sumGy[ch]! - xhat(i) * sumGyXhat[ch]!);
  }
}

export function refAdam(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  p: AdamParams,
): void {
  const n = sameLen("adam", param, grad, m, v);
  if (!(p.step >= 1)) throw new RangeError(`adam: step must be >= 1 (1-based), got ${p.step}`);
  const bc1 = 1 - p.beta1 ** p.step;
  const bc2 = 1 - p.beta2 ** p.step;
  for (let i = 0; i < n; i++) {
    const g = grad[i]! + p.weightDecay * param[i]!;
    m[i] = p.beta1 * m[i]! + (1 - p.beta1) * g;
    v[i] = p.beta2 * v[i]! + (1 - p.beta2) * g * g;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + p.eps;
    param[i] = param[i]! - ((p.lr / bc1) * m[i]!) / denom;
  }
}

function channelLoop(
  name: string,
  a: Float32Array,
  bias: Float32Array,
  outer: number,
  c: number,
  inner: number,
  fn: (i: number, ch: number) => void,
): void {
  checkLen(`${name} data`, a, outer * c * inner);
  checkLen(`${name} bias`, bias, c);
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) fn(base + i, ch);
    }
  }
}

export const denseReferenceKernels: DenseKernels = {
  gemm: refGemm,
  conv2dForward: refConv2dForward,
  conv2dBackwardInput: refConv2dBackwardInput,
  conv2dBackwardWeight: refConv2dBackwardWeight,
  avgPool2dForward: refAvgPool2dForward,
  avgPool2dBackward: refAvgPool2dBackward,
  maxPool2dForward: refMaxPool2dForward,
  maxPool2dBackward: refMaxPool2dBackward,
  batchNormForwardTrain: refBatchNormForwardTrain,
  batchNormForwardEval: refBatchNormForwardEval,
  batchNormBackward: refBatchNormBackward,
  adam: refAdam,
  fill: (x, value) => {
    x.fill(value);
  },
  copy: (src, dst) => {
    sameLen("copy", src, dst);
    dst.set(src);
  },
  add: (a, b, y) => {
    const n = sameLen("add", a, b, y);
    for (let i = 0; i < n; i++) y[i] = a[i]! + b[i]!;
  },
  mul: (a, b, y) => {
    const n = sameLen("mul", a, b, y);
    for (let i = 0; i < n; i++) y[i] = a[i]! * b[i]!;
  },
  scale: (x, alpha, y) => {
    const n = sameLen("scale", x, y);
    for (let i = 0; i < n; i++) y[i] = alpha * x[i]!;
  },
  axpy: (alpha, x, y) => {
    const n = sameLen("axpy", x, y);
    for (let i = 0; i < n; i++) y[i] = y[i]! + alpha * x[i]!;
  },
  scaleRows: refScaleRows,
  mulRepeated: refMulRepeated,
  rowDots: refRowDots,
  rowMeans: refRowMeans,
  addRows: refAddRows,
  addChannelBias: (y, bias, outer, c, inner) => {
    channelLoop("addChannelBias", y, bias, outer, c, inner, (i, ch) => {
      y[i] = y[i]! + bias[ch]!;
    });
  },
  channelBiasGrad: (gy, gb, outer, c, inner) => {
    const acc = new Float64Array(c);
    channelLoop("channelBiasGrad", gy, gb, outer, c, inner, (i, ch) => {
      acc[ch]! += gy[i]!;
    });
    for (let ch = 0; ch < c; ch++) gb[ch] = gb[ch]! + acc[ch]!;
  },
};

type View = Float32Array | Uint8Array | Int32Array | Float64Array;

/** Byte accounting shared by engines: which views are live, how many bytes, the peak. */
export class AllocationLedger {
  private readonly live = new Set<View>();
  private bytes = 0;
  private peak = 0;

  add(v: View): void {
    this.live.add(v);
    this.bytes += v.byteLength;
    this.peak = Math.max(this.peak, this.bytes);
  }

  remove(v: View): void {
    if (!this.live.delete(v)) {
      throw new Error("free: array was not allocated by this engine, or was already freed");
    }
    this.bytes -= v.byteLength;
  }

  bytesInUse(): number {
    return this.bytes;
  }

  peakBytes(): number {
    return this.peak;
  }
}

/** The pure-TS engine: reference twins for every kernel, plain typed arrays as memory. */
export function createReferenceEngine(): Engine {
  const ledger = new AllocationLedger();
  const track = <T extends View>(v: T): T => {
    ledger.add(v);
    return v;
  };
  const allocF32 = (n: number) => track(new Float32Array(n));
  const allocI32 = (n: number) => track(new Int32Array(n));
  return {
    name: "reference",
    threads: 1,
    ...denseReferenceKernels,
    ...spikeReferenceKernels,
    lifGapSteps: refLifGapSteps,
    eventIndices,
    razorSourceGrad: refRazorSourceGrad,
    razorScoreGrad: refRazorScoreGrad,
    razorScores: refRazorScores,
    ...referenceListMakers({ allocF32, allocI32 }),
    allocF32,
    allocU8: (n) => track(new Uint8Array(n)),
    allocF64: (n) => track(new Float64Array(n)),
    allocI32,
    free: (a) => ledger.remove(a),
    bytesInUse: () => ledger.bytesInUse(),
    peakBytes: () => ledger.peakBytes(),
  };
}

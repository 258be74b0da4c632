/**
 * Wrappers of the dense wasm kernels (assembly/gemm.ts, conv.ts, pool.ts, batchnorm.ts, elementwise.ts): argument
 * checks, staging of arrays that do not live in wasm memory, and the split of work across threads. Every split
 * but one gives each thread disjoint outputs computed with the same arithmetic, so results are the same for any
 * thread count; the exception, the conv weight gradient split by images, adds per-thread sums in thread order and
 * is fixed for a given thread count.
 */
import { type BatchNormShape, type ConvShape, convOutSize, type Kernels, type PoolShape } from "./api.js";
import type { ListKernelName } from "./reference-lists.js";
import type { SpikeKernelName } from "./reference-spike.js";
import { checkRepeated, checkRowDots, checkRows, checkRowsOf } from "./reference-rows.js";
import { convGeometryBlock } from "./conv-geometry.js";
import { float64Bytes, type TypedView } from "./runtime.js";
import { type EngineRuntime, splitRange, type Task } from "./wasm-runtime.js";

type DenseKernels = Omit<
  Kernels,
  SpikeKernelName | ListKernelName | "razorSourceGrad" | "razorScoreGrad" | "razorScores"
>;

/** Below this many flops a call runs on one thread (a handoff costs 7-65 µs, ≈ 0.3-2.6 MFLOP at 40 GFLOP/s). */
const DEFAULT_MIN_PARALLEL_FLOPS = 4e6;
/** Elementwise work per thread worth a handoff (memory-bound: ≈ 50 µs of streaming). */
const DEFAULT_MIN_ELEMENTS_PER_THREAD = 1 << 16;

function need(name: string, a: { length: number }, n: number): void {
  if (a.length < n) throw new RangeError(`${name}: array of length ${a.length}, need at least ${n}`);
}

function sameLen(name: string, ...arrays: { length: number }[]): number {
  const n = arrays[0]!.length;
  if (arrays.some((a) => a.length !== n)) {
    throw new RangeError(`${name}: arrays of lengths ${arrays.map((x) => x.length).join(", ")} must match`);
  }
  return n;
}

function checkInt(name: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name}: ${k} must be a non-negative integer, got ${v}`);
  }
}

function convGeometry(name: string, s: ConvShape): { ho: number; wo: number; kk: number; p: number } {
  checkInt(name, { ...s });
  if (s.strideH < 1 || s.strideW < 1) throw new RangeError(`${name}: strides must be >= 1`);
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  if (ho < 1 || wo < 1) throw new RangeError(`${name}: kernel ${s.kh}x${s.kw} does not fit input ${s.h}x${s.w}`);
  return { ho, wo, kk: s.cin * s.kh * s.kw, p: ho * wo };
}

function poolGeometry(name: string, s: PoolShape): { planes: number; outLen: number } {
  checkInt(name, { ...s });
  const ho = convOutSize(s.h, s.k, s.stride, 0);
  const wo = convOutSize(s.w, s.k, s.stride, 0);
  if (s.k < 1 || s.stride < 1 || ho < 1 || wo < 1) {
    throw new RangeError(`${name}: window ${s.k} stride ${s.stride} does not fit input ${s.h}x${s.w}`);
  }
  return { planes: s.n * s.c, outLen: s.n * s.c * ho * wo };
}

export interface SplitPolicy {
  /** Split every call that can be split, however small (tests use it to exercise the threaded paths). */
  always?: boolean;
}

export function makeDenseKernels(rt: EngineRuntime, policy: SplitPolicy = {}): DenseKernels {
  const ex = rt.exports;
  const T = rt.threads;
  const MIN_PARALLEL_FLOPS = policy.always === true ? 0 : DEFAULT_MIN_PARALLEL_FLOPS;
  const MIN_ELEMENTS_PER_THREAD = policy.always === true ? 1 : DEFAULT_MIN_ELEMENTS_PER_THREAD;

  /** Threads worth using for `flops` of work over `units` splittable units. */
  const partsFor = (flops: number, units: number): number =>
    flops < MIN_PARALLEL_FLOPS ? 1 : Math.max(1, Math.min(T, units));

  /** Per-thread scratch for a conv whose geometry block is at pGeo (in wasm memory). */
  const convScratch = (pGeo: number): number[] => rt.scratchFor(ex.convScratchBytes!(pGeo) >>> 0);

  /** Conv tasks: split images when there are enough, else split `channels` (output or input channels). */
  const convTasks = (
    fn: string,
    args: number[],
    pGeo: number,
    s: ConvShape,
    channels: number,
    flops: number,
  ): Task[] => {
    const scratch = convScratch(pGeo);
    const parts = partsFor(flops, Math.max(s.n, channels));
    if (s.n >= parts) {
      return splitRange(s.n, parts).map(([b, e], t) => ({ fn, args: [...args, scratch[t]!, b, e, 0, channels] }));
    }
    return splitRange(channels, parts, fn === "conv2dBackwardInput" ? 1 : 4).map(([b, e], t) => ({
      fn,
      args: [...args, scratch[t]!, 0, s.n, b, e],
    }));
  };

  /** A kernel over `items` work items with `perItem` elements each, split by ranges of items. */
  const rangeKernel = (
    fn: string,
    outputs: TypedView[],
    items: number,
    perItem: number,
    args: (ptr: (v: TypedView) => number) => number[],
  ): void => {
    rt.call(outputs, (ptr) => {
      rt.parallel(fn, args(ptr), items, Math.ceil(MIN_ELEMENTS_PER_THREAD / Math.max(1, perItem)));
    });
  };

  /**
   * A batch-norm kernel over s.c channels. Fully connected layers (hw = 1) go to its `Rows` variant, which reads
   * eight neighbouring channels per row (bit-identical; assembly/batchnorm-rows.ts) and needs 256 bytes of scratch
   * per thread; channel ranges are then aligned to those blocks.
   */
  const batchNormKernel = (
    fn: "batchNormForwardTrain" | "batchNormForwardEval" | "batchNormBackward",
    outputs: TypedView[],
    s: BatchNormShape,
    passes: number,
    arrays: TypedView[],
    scalars: number[],
  ): void => {
    if (s.hw !== 1) {
      rangeKernel(fn, outputs, s.c, passes * s.n * s.hw, (ptr) => [...arrays.map(ptr), s.n, s.c, s.hw, ...scalars]);
      return;
    }
    rt.call(outputs, (ptr) => {
      const head = [...arrays.map(ptr), s.n, s.c, ...scalars];
      const scratch = rt.scratchFor(256);
      const perThread = Math.ceil(MIN_ELEMENTS_PER_THREAD / Math.max(1, passes * s.n));
      const parts = Math.max(1, Math.min(T, Math.floor(s.c / perThread)));
      const fnRows = fn.replace("batchNorm", "batchNormRows");
      rt.runTasks(splitRange(s.c, parts, 8).map(([b, e], t) => ({ fn: fnRows, args: [...head, b, e, scratch[t]!] })));
    });
  };

  /**
   * Weight gradient split by images: thread 0 accumulates its images into gw, thread t > 0 into a zeroed private
   * buffer, and the buffers are then added to gw in thread order, so results are fixed for a given thread count.
   * (Splitting output channels instead would make every thread repeat each image's im2col and packing.)
   */
  const weightGradByImages = (
    px: number,
    xBytes: number,
    pgy: number,
    pgw: number,
    pgb: number,
    pGeo: number,
    s: ConvShape,
    kk: number,
    parts: number,
    scratch: number[],
  ): void => {
    const wLen = s.cout * kk;
    const privLen = wLen + (pgb === 0 ? 0 : s.cout);
    const priv = rt.allocator.alloc(4 * privLen * (parts - 1));
    try {
      new Float32Array(rt.memory.buffer, priv, privLen * (parts - 1)).fill(0);
      const tasks = splitRange(s.n, parts).map(([b, e], t): Task => {
        const own = priv + 4 * privLen * (t - 1);
        const [w, bias] = t === 0 ? [pgw, pgb] : [own, pgb === 0 ? 0 : own + 4 * wLen];
        return { fn: "conv2dBackwardWeight", args: [px, xBytes, pgy, w, bias, pGeo, scratch[t]!, b, e, 0, s.cout] };
      });
      rt.runTasks(tasks);
      for (let t = 1; t < tasks.length; t++) {
        const own = priv + 4 * privLen * (t - 1);
        ex.add!(pgw, own, pgw, 0, wLen);
        if (pgb !== 0) ex.add!(pgb, own + 4 * wLen, pgb, 0, s.cout);
      }
    } finally {
      rt.allocator.free(priv);
    }
  };

  return {
    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      checkInt("gemm", { m, n, k });
      need("gemm A", a, m * k);
      need("gemm B", b, k * n);
      need("gemm C", c, m * n);
      if (m === 0 || n === 0) return;
      const bytes = b instanceof Uint8Array;
      if (bytes && transB) throw new RangeError("gemm: B as bytes must not be transposed");
      rt.call([c], (ptr) => {
        const flags = [transA ? 1 : 0, transB ? 1 : 0, bytes ? 1 : 0];
        const args = [...flags, k, alpha, ptr(a), transA ? m : k, ptr(b), transB ? k : n, beta];
        const cp = ptr(c);
        const scratch = rt.scratchFor(ex.gemmScratchBytes!() >>> 0);
        const parts = partsFor(2 * m * n * k, Math.max(Math.ceil(m / 4), Math.ceil(n / 8)));
        // split the longer side of C; blocks aligned to the micro-kernel tile
        const byRows = Math.ceil(m / 4) >= Math.ceil(n / 8);
        const ranges = splitRange(byRows ? m : n, parts, byRows ? 4 : 8);
        rt.runTasks(
          ranges.map(([lo, hi], t) => ({
            fn: "gemmBlock",
            args: [...args, cp, n, scratch[t]!, ...(byRows ? [lo, hi, 0, n] : [0, m, lo, hi])],
          })),
        );
      });
    },

    conv2dForward(x, w, bias, y, s) {
      const { kk, p } = convGeometry("conv2dForward", s);
      need("conv2dForward x", x, s.n * s.cin * s.h * s.w);
      need("conv2dForward w", w, s.cout * kk);
      need("conv2dForward y", y, s.n * s.cout * p);
      if (bias !== null) need("conv2dForward bias", bias, s.cout);
      if (s.n === 0) return;
      rt.call([y], (ptr) => {
        const pGeo = ptr(convGeometryBlock(s));
        const xBytes = x instanceof Uint8Array ? 1 : 0;
        const args = [ptr(x), xBytes, ptr(w), bias === null ? 0 : ptr(bias), ptr(y), pGeo];
        rt.runTasks(convTasks("conv2dForward", args, pGeo, s, s.cout, 2 * s.n * s.cout * kk * p));
      });
    },

    conv2dBackwardInput(gy, w, gx, s) {
      const { kk, p } = convGeometry("conv2dBackwardInput", s);
      need("conv2dBackwardInput gy", gy, s.n * s.cout * p);
      need("conv2dBackwardInput w", w, s.cout * kk);
      need("conv2dBackwardInput gx", gx, s.n * s.cin * s.h * s.w);
      if (s.n === 0) return;
      rt.call([gx], (ptr) => {
        const pGeo = ptr(convGeometryBlock(s));
        const args = [ptr(gy), ptr(w), ptr(gx), pGeo];
        rt.runTasks(convTasks("conv2dBackwardInput", args, pGeo, s, s.cin, 2 * s.n * s.cout * kk * p));
      });
    },

    conv2dBackwardWeight(x, gy, gw, gb, s) {
      const { kk, p } = convGeometry("conv2dBackwardWeight", s);
      need("conv2dBackwardWeight x", x, s.n * s.cin * s.h * s.w);
      need("conv2dBackwardWeight gy", gy, s.n * s.cout * p);
      need("conv2dBackwardWeight gw", gw, s.cout * kk);
      if (gb !== null) need("conv2dBackwardWeight gb", gb, s.cout);
      if (s.n === 0) return;
      const outs = gb === null ? [gw] : [gw, gb];
      const xBytes = x instanceof Uint8Array ? 1 : 0;
      rt.call(outs, (ptr) => {
        const [px, pgy, pgw, pgb] = [ptr(x), ptr(gy), ptr(gw), gb === null ? 0 : ptr(gb)];
        const pGeo = ptr(convGeometryBlock(s));
        const scratch = convScratch(pGeo);
        const flops = 2 * s.n * s.cout * kk * p;
        const parts = partsFor(flops, s.n);
        if (parts > 1 && s.n >= parts) {
          weightGradByImages(px, xBytes, pgy, pgw, pgb, pGeo, s, kk, parts, scratch);
          return;
        }
        // few images: split output channels; each thread sums all images for its rows of gw in image order
        const args = [px, xBytes, pgy, pgw, pgb, pGeo];
        rt.runTasks(
          splitRange(s.cout, partsFor(flops, Math.ceil(s.cout / 4)), 4).map(([b, e], t) => ({
            fn: "conv2dBackwardWeight",
            args: [...args, scratch[t]!, 0, s.n, b, e],
          })),
        );
      });
    },

    avgPool2dForward(x, y, s) {
      const { planes, outLen } = poolGeometry("avgPool2dForward", s);
      need("avgPool2dForward x", x, planes * s.h * s.w);
      need("avgPool2dForward y", y, outLen);
      rangeKernel("avgPool2dForward", [y], planes, s.h * s.w, (ptr) => [ptr(x), ptr(y), s.h, s.w, s.k, s.stride]);
    },

    avgPool2dBackward(gy, gx, s) {
      const { planes, outLen } = poolGeometry("avgPool2dBackward", s);
      need("avgPool2dBackward gy", gy, outLen);
      need("avgPool2dBackward gx", gx, planes * s.h * s.w);
      rangeKernel("avgPool2dBackward", [gx], planes, s.h * s.w, (ptr) => [ptr(gy), ptr(gx), s.h, s.w, s.k, s.stride]);
    },

    maxPool2dForward(x, y, argmax, s) {
      const { planes, outLen } = poolGeometry("maxPool2dForward", s);
      need("maxPool2dForward x", x, planes * s.h * s.w);
      need("maxPool2dForward y", y, outLen);
      need("maxPool2dForward argmax", argmax, outLen);
      rangeKernel("maxPool2dForward", [y, argmax], planes, s.h * s.w, (ptr) => [
        ptr(x),
        ptr(y),
        ptr(argmax),
        s.h,
        s.w,
        s.k,
        s.stride,
      ]);
    },

    maxPool2dBackward(gy, argmax, gx, s) {
      const { planes, outLen } = poolGeometry("maxPool2dBackward", s);
      need("maxPool2dBackward gy", gy, outLen);
      need("maxPool2dBackward argmax", argmax, outLen);
      need("maxPool2dBackward gx", gx, planes * s.h * s.w);
      const total = planes * s.h * s.w;
      for (let i = 0; i < outLen; i++) {
        const a = argmax[i]!;
        if (!(a >= 0 && a < total))
          throw new RangeError(`maxPool2dBackward: argmax[${i}] = ${a} is outside x (${total})`);
      }
      rangeKernel("maxPool2dBackward", [gx], planes, s.h * s.w, (ptr) => [
        ptr(gy),
        ptr(argmax),
        ptr(gx),
        s.h,
        s.w,
        s.k,
        s.stride,
      ]);
    },

    batchNormForwardTrain(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, s, momentum, eps) {
      checkInt("batchNormForwardTrain", { ...s });
      const count = s.n * s.hw;
      if (count < 2) throw new RangeError(`batchNormForwardTrain: needs more than 1 value per channel, got ${count}`);
      need("batchNormForwardTrain x", x, count * s.c);
      need("batchNormForwardTrain y", y, count * s.c);
      for (const [k, a] of Object.entries({ gamma, beta, saveMean, saveInvStd, runningMean, runningVar })) {
        need(`batchNormForwardTrain ${k}`, a, s.c);
      }
      // three passes over the data
      const outputs = [y, saveMean, saveInvStd, runningMean, runningVar];
      const arrays = [x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar];
      batchNormKernel("batchNormForwardTrain", outputs, s, 3, arrays, [momentum, eps]);
    },

    batchNormForwardEval(x, gamma, beta, runningMean, runningVar, y, s, eps) {
      checkInt("batchNormForwardEval", { ...s });
      const count = s.n * s.hw;
      need("batchNormForwardEval x", x, count * s.c);
      need("batchNormForwardEval y", y, count * s.c);
      for (const [k, a] of Object.entries({ gamma, beta, runningMean, runningVar }))
        need(`batchNormForwardEval ${k}`, a, s.c);
      batchNormKernel("batchNormForwardEval", [y], s, 1, [x, gamma, beta, runningMean, runningVar, y], [eps]);
    },

    batchNormBackward(gy, x, gamma, saveMean, saveInvStd, gx, gGamma, gBeta, s) {
      checkInt("batchNormBackward", { ...s });
      const count = s.n * s.hw;
      for (const [k, a] of Object.entries({ gy, x, gx })) need(`batchNormBackward ${k}`, a, count * s.c);
      for (const [k, a] of Object.entries({ gamma, saveMean, saveInvStd, gGamma, gBeta }))
        need(`batchNormBackward ${k}`, a, s.c);
      const arrays = [gy, x, gamma, saveMean, saveInvStd, gx, gGamma, gBeta];
      batchNormKernel("batchNormBackward", [gx, gGamma, gBeta], s, 2, arrays, []);
    },

    adam(param, grad, m, v, p) {
      const n = sameLen("adam", param, grad, m, v);
      if (!(p.step >= 1)) throw new RangeError(`adam: step must be >= 1 (1-based), got ${p.step}`);
      const stepSize = p.lr / (1 - p.beta1 ** p.step);
      const sqrtBc2 = Math.sqrt(1 - p.beta2 ** p.step);
      // about 4x the work per element of a plain elementwise op
      rangeKernel("adam", [param, m, v], n, 4, (ptr) => [
        ...[param, grad, m, v].map(ptr),
        ...[stepSize, p.beta1, p.beta2, p.eps, sqrtBc2, p.weightDecay],
      ]);
    },

    fill(x, value) {
      rangeKernel("fill", [x], x.length, 1, (ptr) => [ptr(x), value]);
    },
    copy(src, dst) {
      const n = sameLen("copy", src, dst);
      if (!rt.owns(src) || !rt.owns(dst)) {
        dst.set(src);
        return;
      }
      rangeKernel("copy", [dst], n, 1, (ptr) => [ptr(src), ptr(dst)]);
    },
    add(a, b, y) {
      rangeKernel("add", [y], sameLen("add", a, b, y), 1, (ptr) => [ptr(a), ptr(b), ptr(y)]);
    },
    mul(a, b, y) {
      rangeKernel("mul", [y], sameLen("mul", a, b, y), 1, (ptr) => [ptr(a), ptr(b), ptr(y)]);
    },
    scale(x, alpha, y) {
      rangeKernel("scale", [y], sameLen("scale", x, y), 1, (ptr) => [ptr(x), alpha, ptr(y)]);
    },
    axpy(alpha, x, y) {
      rangeKernel("axpy", [y], sameLen("axpy", x, y), 1, (ptr) => [alpha, ptr(x), ptr(y)]);
    },
    scaleRows(x, w, out) {
      const f = checkRows("scaleRows", x, w.length, out);
      rangeKernel("scaleRows", [out], w.length, f, (ptr) => [ptr(x), ptr(w), ptr(out), f]);
    },
    mulRepeated(x, m, out) {
      const tiles = checkRepeated(x, m, out);
      rangeKernel("mulRepeated", [out], tiles, m.length, (ptr) => [ptr(x), ptr(m), ptr(out), m.length]);
    },
    rowMeans(x, out) {
      const f = checkRowsOf("rowMeans", x, out.length);
      rangeKernel("rowMeans", [out], out.length, f, (ptr) => [ptr(x), ptr(out), f]);
    },
    addRows(x, v) {
      const f = checkRowsOf("addRows", x, v.length);
      rangeKernel("addRows", [x], v.length, f, (ptr) => [ptr(x), ptr(float64Bytes(v)), f]);
    },
    rowDots(a, b, mask, out) {
      const f = checkRowDots(a, b, mask, out);
      rangeKernel("rowDots", [out], out.length, 2 * f, (ptr) => [
        ptr(a),
        ptr(b),
        mask === null ? 0 : ptr(mask),
        ptr(out),
        f,
      ]);
    },

    addChannelBias(y, bias, outer, c, inner) {
      checkInt("addChannelBias", { outer, c, inner });
      need("addChannelBias y", y, outer * c * inner);
      need("addChannelBias bias", bias, c);
      rangeKernel("addChannelBias", [y], c, outer * inner, (ptr) => [ptr(y), ptr(bias), outer, c, inner]);
    },
    channelBiasGrad(gy, gb, outer, c, inner) {
      checkInt("channelBiasGrad", { outer, c, inner });
      need("channelBiasGrad gy", gy, outer * c * inner);
      need("channelBiasGrad gb", gb, c);
      rangeKernel("channelBiasGrad", [gb], c, outer * inner, (ptr) => [ptr(gy), ptr(gb), outer, c, inner]);
    },
  };
}

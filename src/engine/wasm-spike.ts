/**
 * Wrappers of the wasm spiking kernels (assembly/lif.ts, assembly/spike.ts) over a WasmRuntime: same signatures
 * and checks as the TS twins in reference-spike.ts.
 *
 * Splits: LIF over neurons; spike lists and event-driven linear forward over rows; the linear weight gradient over
 * blocks of 4 output features (each thread owns its columns) when every thread gets 32 or more; the conv forward
 * over images (else channel blocks); all bit-identical for any thread count. The conv weight gradient over images,
 * and the linear one with fewer outputs over rows, into per-thread partial sums added in thread order: fixed for a
 * given thread count, as the dense conv's weight gradient.
 */
import type { Kernels, SpikeList } from "./api.js";
import {
  checkConv,
  checkLif,
  checkLifList,
  checkLinear,
  badSpikeByte,
  checkSpikeFloats,
  checkSpikeIndices,
  type SpikeKernelName,
} from "./reference-spike.js";
import { convGeometryBlock } from "./conv-geometry.js";
import type { TypedView, WasmRuntime } from "./runtime.js";
import { splitRange } from "./wasm-runtime.js";

/** Bytes per work item of spikeFloats (SPIKE_FLOAT_BLOCK in assembly/spike-floats.ts). */
const SPIKE_FLOAT_BLOCK = 4096;

export interface SplitPolicy {
  /** Split every call that can be split, however small (tests use it to exercise the threaded paths). */
  always?: boolean;
}

interface Task {
  fn: string;
  args: number[];
}

/** A conv task's images and blocks of 4 output channels, [begin, end) each. */
interface ConvTask {
  images: [number, number];
  blocks: [number, number];
}

/** Work per thread (roughly: float adds) below which a handoff (7-65 µs) costs about what the split saves. */
const MIN_WORK_PER_THREAD = 500_000;
/** Neurons per block of the LIF scan: the block's slices stay in cache across time steps. */
const LIF_SEGMENT = 256;

const surrogateCode = { rect: 0, sigmoid: 1, atan: 2 } as const;

function roundUp4(x: number): number {
  return (x + 3) & ~3;
}

/** minPerThread for `items` items that together cost `work`: each thread gets at least `minWork` of it. */
export function minItems(items: number, work: number, minWork = MIN_WORK_PER_THREAD): number {
  if (work <= 0) return Math.max(1, items);
  return Math.max(1, Math.ceil((minWork * items) / work));
}

/**
 * CSR offsets at pOff of the rows [rows × rowLen] at pSrc: `count` ("spikeRowCounts" for 0/1 bytes,
 * "valueRowCounts" for floats) writes each row's count (split over rows), then the running sums (serial).
 * Returns the total.
 */
export function countRowsInto(
  rt: WasmRuntime,
  count: "spikeRowCounts" | "valueRowCounts",
  pSrc: number,
  pOff: number,
  rows: number,
  rowLen: number,
  minRows: number,
): number {
  rt.parallel(count, [pSrc, pOff + 4, rowLen], rows, minRows);
  return rt.exports.spikeOffsets!(pOff, rows);
}

function listCount(list: SpikeList): number {
  return list.offsets[list.rows]!;
}

/** The filled part of a list's idx (so a list outside wasm memory is copied in only as far as it is used). */
function usedIdx(list: SpikeList): Int32Array {
  return list.idx.subarray(0, Math.max(1, listCount(list)));
}

/**
 * `parts` non-empty [begin, end) ranges of a list's first n rows (images) of near-equal work, where row i costs
 * `cost(spikes of i)`: the frames of a time-major batch differ in activity, so equal row counts would leave one
 * thread waiting.
 */
export function splitRowsByWork(
  offsets: Int32Array,
  n: number,
  parts: number,
  cost: (spikes: number) => number,
): [number, number][] {
  const acc = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) acc[i + 1] = acc[i]! + cost(offsets[i + 1]! - offsets[i]!);
  const out: [number, number][] = [];
  let begin = 0;
  for (let p = 1; p <= parts; p++) {
    let end = n;
    if (p < parts) {
      const target = (acc[n]! * p) / parts;
      end = begin + 1;
      while (end < n - (parts - p) && acc[end]! < target) end++;
    }
    out.push([begin, end]);
    begin = end;
  }
  return out;
}

/** minItems under a split policy: every call splits when `always` is set (tests). */
export function policyMinItems(
  policy: SplitPolicy,
  items: number,
  work: number,
  minWork = MIN_WORK_PER_THREAD,
): number {
  return minItems(items, work, policy.always === true ? 0 : minWork);
}

/** Task i on thread i; one after another on this thread for a runtime without a pool (tests). */
export function runTaskList(rt: WasmRuntime, tasks: readonly Task[]): void {
  if (tasks.length > 1 && rt.runTasks !== undefined) rt.runTasks(tasks);
  else for (const t of tasks) rt.exports[t.fn]!(...t.args);
}

export function makeSpikeKernels(rt: WasmRuntime, policy: SplitPolicy = {}): Pick<Kernels, SpikeKernelName> {
  const x = rt.exports;
  const minWork = policy.always === true ? 0 : MIN_WORK_PER_THREAD;
  /** How many threads `work` keeps busy (each with >= minWork of it), at most `units`. */
  const partsFor = (work: number, units: number): number =>
    Math.max(1, Math.min(rt.threads, units, minWork === 0 ? units : Math.floor(work / minWork)));

  const runTasks = (tasks: Task[]): void => runTaskList(rt, tasks);

  /**
   * One task per thread for an event-driven conv over n images and `blocks` blocks of 4 output channels: image
   * ranges when two or more threads get enough work (each thread then walks only its own images' spikes), else
   * channel-block ranges (every thread walks every spike for its columns).
   */
  function convTasks(
    list: SpikeList,
    n: number,
    blocks: number,
    cost: (spikes: number) => number,
  ): { byImages: boolean; tasks: ConvTask[] } {
    let work = 0;
    for (let i = 0; i < n; i++) work += cost(list.offsets[i + 1]! - list.offsets[i]!);
    const parts = partsFor(work, n);
    if (parts > 1) {
      const tasks = splitRowsByWork(list.offsets, n, parts, cost).map(
        (images): ConvTask => ({ images, blocks: [0, blocks] }),
      );
      return { byImages: true, tasks };
    }
    const tasks = splitRange(blocks, partsFor(work, blocks)).map((bl): ConvTask => ({ images: [0, n], blocks: bl }));
    return { byImages: false, tasks };
  }

  /** gw [outs, cols] += the transposed sum of the per-thread partial sums ([cols, stride] each), in thread order. */
  function addPartialSums(
    sums: number[],
    sumLen: number,
    stride: number,
    pGw: number,
    cols: number,
    outs: number,
  ): void {
    for (let t = 1; t < sums.length; t++) x.add!(sums[0]!, sums[t]!, sums[0]!, 0, sumLen);
    x.addTransposed!(sums[0]!, stride, pGw, cols, 0, outs);
  }

  /** The most spikes in one image of [i0, i1). */
  function busiest(list: SpikeList, i0: number, i1: number): number {
    let most = 0;
    for (let i = i0; i < i1; i++) most = Math.max(most, list.offsets[i + 1]! - list.offsets[i]!);
    return most;
  }

  /**
   * Fills `list` (CSR) from spike bytes at pSpk in two passes, so idx needs room only for the active positions:
   * count each row (split over rows), running sums (serial), then write each row at its offset (split over rows).
   */
  function fillList(ptr: (view: TypedView) => number, pSpk: number, list: SpikeList): void {
    const { rows, rowLen } = list;
    const minRows = minItems(rows, (rows * rowLen) / 4, minWork);
    const pOff = ptr(list.offsets);
    const total = countRowsInto(rt, "spikeRowCounts", pSpk, pOff, rows, rowLen, minRows);
    if (total > list.idx.length)
      throw new RangeError(`spikeIndices: list.idx has ${list.idx.length} entries, too small for ${total} spikes`);
    rt.parallel("spikeRowsFill", [pSpk, ptr(list.idx), pOff, rowLen], rows, minRows);
  }

  return {
    lifForward(current, spikes, u, p, list) {
      checkLif("lifForward", p, { current, spikes, u });
      if (list !== undefined) checkLifList(p, list);
      const hard = p.reset === "hard" ? 1 : 0;
      const outputs: TypedView[] = list === undefined ? [spikes, u] : [spikes, u, list.idx, list.offsets];
      rt.call(outputs, (ptr) => {
        const pSpk = ptr(spikes);
        const args = [ptr(current), pSpk, ptr(u), p.t, p.n, p.alpha, p.vth, hard, LIF_SEGMENT];
        rt.parallel("lifForward", args, p.n, minItems(p.n, p.t * p.n, minWork));
        // The list comes out of the same call, from the bytes just written (still warm in cache).
        if (list !== undefined) fillList(ptr, pSpk, list);
      });
    },

    lifBackward(gSpikes, u, spikes, gCurrent, p) {
      checkLif("lifBackward", p, { gSpikes, u, spikes, gCurrent });
      const hard = p.reset === "hard" ? 1 : 0;
      rt.call([gCurrent], (ptr) => {
        const args = [ptr(gSpikes), ptr(u), ptr(spikes), ptr(gCurrent), p.t, p.n, p.alpha, p.vth, hard];
        args.push(surrogateCode[p.surrogate], p.surrogateWidth);
        rt.parallel("lifBackward", args, p.n, minItems(p.n, 3 * p.t * p.n, minWork));
      });
    },

    spikeFloats(spikes, out) {
      checkSpikeFloats(spikes, out);
      const n = spikes.length;
      const blocks = Math.ceil(n / SPIKE_FLOAT_BLOCK);
      const total = rt.call([out], (ptr, temp) => {
        const pCounts = temp(4 * Math.max(1, blocks));
        rt.parallel("spikeFloats", [ptr(spikes), ptr(out), pCounts, n], blocks, minItems(blocks, 5 * n, minWork));
        return x.spikeFloatsTotal!(pCounts, blocks);
      });
      if (total >= 0) return total;
      for (let i = (-1 - total) * SPIKE_FLOAT_BLOCK; i < n; i++) if (spikes[i]! > 1) throw badSpikeByte(i, spikes[i]!);
      throw new Error("spikeFloats: a block reported a bad byte that is not there"); // not reached
    },

    spikeIndices(spikes, list) {
      checkSpikeIndices(spikes, list);
      rt.call([list.idx, list.offsets], (ptr) => fillList(ptr, ptr(spikes), list));
    },

    linearSpikeForward(list, w, bias, y, out) {
      checkLinear("linearSpikeForward", list, w, y, out);
      const inF = list.rowLen;
      const stride = roundUp4(out);
      rt.call([y], (ptr, temp) => {
        const pWT = temp((inF + 2) * stride * 4); // + bias row + zero row for bad indices
        x.packTransposed!(ptr(w), out, inF, bias === null ? 0 : ptr(bias), pWT, stride, 1);
        const args = [ptr(usedIdx(list)), ptr(list.offsets), pWT, stride, ptr(y), out, inF];
        rt.parallel(
          "linearSpikeForward",
          args,
          list.rows,
          minItems(list.rows, (listCount(list) + list.rows) * out, minWork),
        );
      });
    },

    linearSpikeWeightGrad(list, gy, gw, out) {
      checkLinear("linearSpikeWeightGrad", list, gw, gy, out);
      const inF = list.rowLen;
      const stride = roundUp4(out);
      const blocks = stride / 4;
      const sumLen = (inF + 1) * stride; // + a row that takes bad indices
      const work = listCount(list) * out + 2 * inF * out;
      // Columns while every thread gets >= 32 of them (8 blocks: the kernel's widest step); fewer, and each thread
      // would walk every spike for a few vectors, so rows then, each thread with its own partial sum.
      const rowParts = partsFor(work, list.rows);
      const byRows = rowParts > 1 && blocks < 8 * rowParts;
      rt.call([gw], (ptr, temp) => {
        const pIdx = ptr(usedIdx(list));
        const pOff = ptr(list.offsets);
        const pGy = ptr(gy);
        if (!byRows) {
          const args = [pIdx, pOff, list.rows, pGy, out, temp(4 * sumLen), stride, ptr(gw), inF];
          rt.parallel("linearSpikeWeightGrad", args, blocks, minItems(blocks, work, minWork));
          return;
        }
        const ranges = splitRowsByWork(list.offsets, list.rows, rowParts, (k) => (k + 1) * out);
        const sums = ranges.map(() => temp(4 * sumLen));
        runTasks(
          ranges.map(([r0, r1], t) => {
            const args = [pIdx, pOff + 4 * r0, r1 - r0, pGy + 4 * r0 * out, out, sums[t]!, stride, 0, inF];
            return { fn: "linearSpikeWeightGrad", args: [...args, 0, blocks] };
          }),
        );
        addPartialSums(sums, sumLen, stride, ptr(gw), inF, out);
      });
    },

    conv2dSpikeForward(list, w, bias, y, s, epilogue) {
      const { ho, wo, outPlane } = checkConv("conv2dSpikeForward", list, w, y, s, epilogue);
      const taps = s.cin * s.kh * s.kw;
      const stride = roundUp4(s.cout);
      const blocks = stride / 4;
      // Each image is computed whole by one thread (or its columns by one thread), in the same order whatever the
      // split, so results do not depend on the thread count.
      const perSpike = s.kh * s.kw * s.cout;
      const { tasks } = convTasks(list, s.n, blocks, (spikes) => spikes * perSpike + 2 * s.cout * outPlane);
      const imageBytes = s.cout * outPlane * 4;
      // the batch norm's scale and shift packed like the weight rows: [stride] each
      const bn = epilogue?.batchNorm;
      const packed = (v: Float32Array): Float32Array => {
        const row = new Float32Array(stride);
        row.set(v.subarray(0, s.cout));
        return row;
      };
      const scaleRow = bn ? packed(bn.scale) : null;
      const shiftRow = bn ? packed(bn.shift) : null;
      rt.call([y], (ptr, temp) => {
        const pWT = temp((taps + 1) * stride * 4);
        x.packTransposed!(ptr(w), s.cout, taps, bias === null ? 0 : ptr(bias), pWT, stride, 0);
        const pIdx = ptr(usedIdx(list));
        const pOff = ptr(list.offsets);
        const pY = ptr(y);
        // each task with its own scratch and buckets of (spike, tap) pairs by output position, sized for its
        // busiest image; a list with values keeps each entry's index beside its tap
        const perPair = list.values ? 2 : 1;
        runTasks(
          tasks.map(({ images: [i0, i1], blocks: [b0, b1] }) => {
            const buckets = temp(4 * (ho * wo + 1 + s.h * s.w + perPair * busiest(list, i0, i1) * s.kh * s.kw));
            const scratch = temp(4 * ho * wo * stride);
            const geo = convGeometryBlock({ ...s, n: i1 - i0 });
            const args = [pIdx, pOff + 4 * i0, pWT, stride, scratch, buckets, pY + i0 * imageBytes, ptr(geo)];
            args.push(list.values ? ptr(list.values) : 0);
            args.push(scaleRow ? ptr(scaleRow) : 0, shiftRow ? ptr(shiftRow) : 0, epilogue?.avgPool2 ? 1 : 0);
            return { fn: "conv2dSpikeForward", args: [...args, b0, b1] };
          }),
        );
      });
    },

    conv2dSpikeWeightGrad(list, gy, gw, s) {
      const { ho, wo } = checkConv("conv2dSpikeWeightGrad", list, gw, gy, s);
      const taps = s.cin * s.kh * s.kw;
      const stride = roundUp4(s.cout);
      const blocks = stride / 4;
      const perSpike = s.kh * s.kw * s.cout;
      // images without spikes are skipped
      const cost = (spikes: number): number => (spikes === 0 ? 0 : spikes * perSpike + s.cout * ho * wo);
      const { byImages, tasks } = convTasks(list, s.n, blocks, cost);
      // Stride 1 (and coordinates that fit 16 bits) takes the gathering kernel, which updates each tap's
      // gradient row once per image and channel instead of once per spike.
      const gather = s.strideH === 1 && s.strideW === 1 && s.h < 32768 && s.w < 32768;
      const imageBytes = s.cout * ho * wo * 4;
      const sumLen = taps * stride;
      rt.call([gw], (ptr, temp) => {
        const pIdx = ptr(usedIdx(list));
        const pOff = ptr(list.offsets);
        const pGy = ptr(gy);
        const pGw = ptr(gw);
        // Split over images, each task leaves its partial sum in its own gwT (gw = 0) and the sums are added in
        // thread order below; split over channel blocks, each task adds its columns into gw itself.
        const sums: number[] = [];
        runTasks(
          tasks.map(({ images: [i0, i1], blocks: [b0, b1] }) => {
            const gwT = temp(4 * sumLen);
            sums.push(gwT);
            const scratch = temp(4 * ho * wo * stride);
            const coords = gather ? temp(4 * Math.max(1, busiest(list, i0, i1))) : 0;
            const geo = ptr(convGeometryBlock({ ...s, n: i1 - i0 }));
            const args = [pIdx, pOff + 4 * i0, pGy + i0 * imageBytes, gwT, stride, scratch, byImages ? 0 : pGw];
            return { fn: "conv2dSpikeWeightGrad", args: [...args, geo, coords, b0, b1] };
          }),
        );
        if (byImages) addPartialSums(sums, sumLen, stride, pGw, taps, s.cout);
      });
    },
  };
}

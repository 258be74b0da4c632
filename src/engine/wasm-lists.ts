/**
 * Wrappers of the wasm kernels pruned inference adds to the engine (assembly/gap-lif.ts, assembly/spike-lists.ts):
 * the LIF step over kept frames and lists sized exactly. Same signatures and checks as reference-lists.ts.
 *
 * Splits: lifGapSteps over neurons (in segments that stay in L1 while the rows stream past); counts and fills over
 * rows. Neurons and rows are independent, so any split gives the same bits.
 */
import type { Engine, Kernels, SpikeList } from "./api.js";
import { checkEventIndices, checkLifGapSteps, checkListSource } from "./reference-lists.js";
import type { WasmRuntime } from "./runtime.js";
import { countRowsInto, policyMinItems, type SplitPolicy } from "./wasm-spike.js";

/** Neurons per segment of the gap-LIF kernel: B segments of u stay in L1 while the rows stream past. */
const SEGMENT = 512;
/** Below this much work (neuron-steps, entries scanned) a call stays on one thread: the handoff costs more. */
const MIN_WORK_PER_THREAD = 1 << 16;

export function makeListKernels(
  rt: WasmRuntime,
  alloc: Pick<Engine, "allocI32" | "allocF32">,
  policy: SplitPolicy = {},
): Pick<Kernels, "lifGapSteps" | "eventIndices"> & Pick<Engine, "spikeList" | "valueList"> {
  const minPerThread = (items: number, work: number): number =>
    policyMinItems(policy, items, work, MIN_WORK_PER_THREAD);
  /** Row counts into offsets (split over rows), then the running sums; returns the total. */
  function countRows(
    fn: "spikeRowCounts" | "valueRowCounts",
    source: Uint8Array | Float32Array,
    rows: number,
    rowLen: number,
    offsets: Int32Array,
  ): number {
    return rt.call([offsets], (ptr) =>
      countRowsInto(rt, fn, ptr(source), ptr(offsets), rows, rowLen, minPerThread(rows, rows * rowLen)),
    );
  }

  return {
    lifGapSteps(cur, u, sample, gap, spikes, p) {
      const rows = checkLifGapSteps(cur, u, sample, gap, spikes, p);
      rt.call([u, spikes], (ptr) => {
        const opt = (a: Float32Array | null): number => (a === null ? 0 : ptr(a));
        const args = [ptr(cur), ptr(u), ptr(sample), ptr(gap), opt(p.scale), opt(p.shift), opt(p.rowWeights)];
        args.push(rows, p.n, p.alpha, p.vth, p.reset === "hard" ? 1 : 0, ptr(spikes), SEGMENT);
        rt.parallel("lifGapSteps", args, p.n, minPerThread(p.n, rows * p.n));
      });
    },

    eventIndices(x, list, maxEvents) {
      checkEventIndices(x, list, maxEvents);
      const { rows, rowLen } = list;
      return rt.call([list.idx, list.offsets], (ptr) => {
        const [px, pOff] = [ptr(x), ptr(list.offsets)];
        const minRows = minPerThread(rows, rows * rowLen);
        rt.parallel("eventRowCounts", [px, pOff + 4, rowLen, maxEvents], rows, minRows);
        if (rt.exports.eventOffsets!(pOff, rows, maxEvents) < 0) return false;
        rt.parallel("eventRowsFill", [px, ptr(list.idx), pOff, rowLen], rows, minRows);
        return true;
      });
    },

    spikeList(spikes, rows, rowLen) {
      checkListSource("spikeList", spikes, rows, rowLen);
      const offsets = new Int32Array(rows + 1);
      const idx = alloc.allocI32(Math.max(1, countRows("spikeRowCounts", spikes, rows, rowLen, offsets)));
      rt.call([idx], (ptr) => {
        const args = [ptr(spikes), ptr(idx), ptr(offsets), rowLen];
        rt.parallel("spikeRowsFill", args, rows, minPerThread(rows, rows * rowLen));
      });
      return { rows, rowLen, idx, offsets };
    },

    valueList(values, rows, rowLen) {
      checkListSource("valueList", values, rows, rowLen);
      const offsets = new Int32Array(rows + 1);
      const total = Math.max(1, countRows("valueRowCounts", values, rows, rowLen, offsets));
      const list: SpikeList = { rows, rowLen, idx: alloc.allocI32(total), offsets, values: alloc.allocF32(total) };
      rt.call([list.idx, list.values!], (ptr) => {
        const args = [ptr(values), ptr(list.idx), ptr(list.values!), ptr(offsets), rowLen];
        rt.parallel("valueRowsFill", args, rows, minPerThread(rows, rows * rowLen));
      });
      return list;
    },
  };
}

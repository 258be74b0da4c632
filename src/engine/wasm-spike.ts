/**
 * Wrappers of the wasm spiking kernels (assembly/lif.ts, assembly/spike.ts) over a WasmRuntime: same signatures
 * and checks as the TS twins in reference-spike.ts.
 *
 * Splits: LIF over neurons; spike lists and event-driven linear forward over rows; weight gradients and conv
 * forward over blocks of 4 output features (each thread owns its columns). Every result is bit-identical for any
 * thread count.
 */
import type { Kernels, SpikeList } from "./api.js";
import {
  checkConv,
  checkLif,
  checkLifList,
  checkLinear,
  checkSpikeIndices,
  type SpikeKernelName,
} from "./reference-spike.js";
import { convGeometryBlock } from "./conv-geometry.js";
import type { TypedView, WasmRuntime } from "./runtime.js";
import { splitRange } from "./wasm-runtime.js";

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

/** [begin, end) image ranges of near-equal size. */
function splitImages(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) out.push([Math.floor((p * n) / parts), Math.floor(((p + 1) * n) / parts)]);
  return out;
}

export function makeSpikeKernels(rt: WasmRuntime): Pick<Kernels, SpikeKernelName> {
  const x = rt.exports;

  /**
   * Fills `list` (CSR) from spike bytes at pSpk in two passes, so idx needs room only for the active positions:
   * count each row (split over rows), running sums (serial), then write each row at its offset (split over rows).
   */
  function fillList(ptr: (view: TypedView) => number, pSpk: number, list: SpikeList): void {
    const { rows, rowLen } = list;
    const minRows = minItems(rows, (rows * rowLen) / 4);
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
        rt.parallel("lifForward", args, p.n, minItems(p.n, p.t * p.n));
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
        rt.parallel("lifBackward", args, p.n, minItems(p.n, 3 * p.t * p.n));
      });
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
        rt.parallel("linearSpikeForward", args, list.rows, minItems(list.rows, (listCount(list) + list.rows) * out));
      });
    },

    linearSpikeWeightGrad(list, gy, gw, out) {
      checkLinear("linearSpikeWeightGrad", list, gw, gy, out);
      const inF = list.rowLen;
      const stride = roundUp4(out);
      const blocks = stride / 4;
      const gwT = new Float32Array((inF + 1) * stride); // + a row that takes bad indices
      rt.call([gw], (ptr) => {
        const args = [ptr(usedIdx(list)), ptr(list.offsets), list.rows, ptr(gy), out, ptr(gwT), stride, ptr(gw), inF];
        rt.parallel("linearSpikeWeightGrad", args, blocks, minItems(blocks, listCount(list) * out + 2 * inF * out));
      });
    },

    conv2dSpikeForward(list, w, bias, y, s, epilogue) {
      const { ho, wo, outPlane } = checkConv("conv2dSpikeForward", list, w, y, s, epilogue);
      const taps = s.cin * s.kh * s.kw;
      const stride = roundUp4(s.cout);
      const blocks = stride / 4;
      const work = listCount(list) * s.kh * s.kw * s.cout + 2 * y.length;
      // Split over images when there are enough: each thread then walks only its own images' spikes for every
      // channel (splitting channels makes every thread walk every spike). Each image is computed by one thread in
      // the same order either way, so results do not depend on the thread count.
      const parts = Math.min(rt.threads, s.n, Math.floor(work / MIN_WORK_PER_THREAD));
      const threaded = rt.runTasks !== undefined;
      const byImages = threaded && parts > 1;
      const channelParts =
        threaded && !byImages ? Math.min(rt.threads, Math.floor(blocks / minItems(blocks, work))) : 1;
      // one task per thread: [images, channel blocks], each with its own scratch and tap buckets
      const tasks: { images: [number, number]; blocks: [number, number] }[] = byImages
        ? splitImages(s.n, parts).map((images) => ({ images, blocks: [0, blocks] }))
        : splitRange(blocks, Math.max(1, channelParts)).map((bl) => ({ images: [0, s.n], blocks: bl }));
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
        const calls = tasks.map(({ images: [i0, i1], blocks: [b0, b1] }) => {
          // the buckets of (spike, tap) pairs by output position, sized for the task's busiest image
          let most = 0;
          for (let i = i0; i < i1; i++) most = Math.max(most, list.offsets[i + 1]! - list.offsets[i]!);
          const perPair = list.values ? 2 : 1; // a list with values keeps each entry's index beside its tap
          const buckets = new Int32Array(ho * wo + 1 + s.h * s.w + perPair * most * s.kh * s.kw);
          const scratch = new Float32Array(ho * wo * stride);
          const geo = convGeometryBlock({ ...s, n: i1 - i0 });
          const args = [pIdx, pOff + 4 * i0, pWT, stride, ptr(scratch), ptr(buckets), pY + i0 * imageBytes, ptr(geo)];
          args.push(list.values ? ptr(list.values) : 0);
          args.push(scaleRow ? ptr(scaleRow) : 0, shiftRow ? ptr(shiftRow) : 0, epilogue?.avgPool2 ? 1 : 0);
          return { fn: "conv2dSpikeForward", args: [...args, b0, b1] };
        });
        if (calls.length === 1) x.conv2dSpikeForward!(...calls[0]!.args);
        else rt.runTasks!(calls);
      });
    },

    conv2dSpikeWeightGrad(list, gy, gw, s) {
      const { ho, wo } = checkConv("conv2dSpikeWeightGrad", list, gw, gy, s);
      const taps = s.cin * s.kh * s.kw;
      const stride = roundUp4(s.cout);
      const blocks = stride / 4;
      const total = listCount(list);
      const gwT = new Float32Array(taps * stride);
      const scratch = new Float32Array(ho * wo * stride);
      // Stride 1 (and coordinates that fit 16 bits) takes the gathering kernel, which updates each tap's
      // gradient row once per image and channel instead of once per spike.
      const gather = s.strideH === 1 && s.strideW === 1 && s.h < 32768 && s.w < 32768;
      rt.call([gw], (ptr) => {
        const pIdx = ptr(usedIdx(list));
        const geo = ptr(convGeometryBlock(s));
        const args = [pIdx, ptr(list.offsets), ptr(gy), ptr(gwT), stride, ptr(scratch), ptr(gw), geo];
        const work = total * s.kh * s.kw * s.cout + s.n * s.cout * ho * wo;
        let coords = 0;
        if (gather) {
          coords = ptr(new Int32Array(Math.max(1, total)));
          x.spikeCoords!(pIdx, total, s.h, s.w, coords);
        }
        rt.parallel("conv2dSpikeWeightGrad", [...args, coords], blocks, minItems(blocks, work));
      });
    },
  };
}

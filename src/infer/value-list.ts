/**
 * A network's input frames (event counts, mostly zeros) as a list of their non-zero values, so the first conv can
 * run on the event-driven path: conv2dSpikeForward on a list with values equals the dense conv bit for bit
 * (engine/api.ts), at a cost that follows the events instead of the pixels.
 */
import type { SpikeList } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { WasmRuntime } from "../engine/runtime.js";

/** Below this many values a call stays on one thread. */
const MIN_VALUES_PER_THREAD = 1 << 16;

/**
 * The non-zero values of x [rows × rowLen] (positions ascending per row); idx and values are new engine arrays of
 * exactly the list's length, which the caller frees.
 */
export function valueList(x: Float32Array, rows: number, rowLen: number, useWasm = true): SpikeList {
  const e = engine();
  const rt = (e as { runtime?: WasmRuntime }).runtime;
  const offsets = new Int32Array(rows + 1);
  const minRows = Math.max(1, Math.ceil(MIN_VALUES_PER_THREAD / Math.max(1, rowLen)));
  if (useWasm && e.name === "wasm" && rt?.exports.valueRowCounts !== undefined) {
    const total = rt.call([offsets], (ptr) => {
      const pOff = ptr(offsets);
      rt.parallel("valueRowCounts", [ptr(x), pOff + 4, rowLen], rows, minRows);
      return rt.exports.spikeOffsets!(pOff, rows);
    });
    const idx = e.allocI32(Math.max(1, total));
    const values = e.allocF32(Math.max(1, total));
    rt.call([idx, values], (ptr) => {
      rt.parallel("valueRowsFill", [ptr(x), ptr(idx), ptr(values), ptr(offsets), rowLen], rows, minRows);
    });
    return { rows, rowLen, idx, offsets, values };
  }
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let i = r * rowLen; i < (r + 1) * rowLen; i++) if (x[i] !== 0) n++;
    offsets[r + 1] = offsets[r]! + n;
  }
  const idx = e.allocI32(Math.max(1, offsets[rows]!));
  const values = e.allocF32(Math.max(1, offsets[rows]!));
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < rowLen; i++) {
      const v = x[r * rowLen + i]!;
      if (v !== 0) {
        idx[k] = i;
        values[k++] = v;
      }
    }
  }
  return { rows, rowLen, idx, offsets, values };
}

/** Frees a list's engine arrays. */
export function freeList(list: SpikeList): void {
  const e = engine();
  e.free(list.idx);
  if (list.values) e.free(list.values);
}

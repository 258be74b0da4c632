/**
 * Event-count frames as spike lists: a position with count k is listed k times, so the event-driven kernels
 * (which add one weight column per listed index) compute exactly counts × weights. This makes the encoder's cost
 * scale with its input events, like every later layer's.
 */
import type { SpikeList } from "../engine/api.js";
import type { Slot } from "./buffers.js";

/**
 * Lists the events of count frames data [rows, rowLen] (rows = T·B frames). Returns null when a value is not a
 * non-negative integer (the data are not counts) or when there are more than maxEvents events.
 */
export function countsToSpikeList(
  data: Float32Array,
  rows: number,
  rowLen: number,
  maxEvents: number,
  idx: Slot<"i32">,
  offsets: Slot<"i32">,
): SpikeList | null {
  // one pass, writing as it goes: capacity for maxEvents up front, give up as soon as it would be exceeded
  const out = idx.atLeast(Math.max(1, Math.min(maxEvents, data.length * 4)));
  const off = offsets.get(rows + 1);
  let k = 0;
  off[0] = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = data[base + i]!;
      if (v === 0) continue;
      if (v === 1) {
        if (k >= maxEvents) return null;
        out[k++] = i;
        continue;
      }
      if (!(v > 0 && Number.isInteger(v)) || k + v > maxEvents) return null;
      for (let c = 0; c < v; c++) out[k++] = i;
    }
    off[r + 1] = k;
  }
  return { rows, rowLen, idx: out, offsets: off };
}

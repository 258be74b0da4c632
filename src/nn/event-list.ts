/**
 * Event-count frames as spike lists: a position with count k is listed k times, so the event-driven kernels
 * (which add one weight column per listed index) compute exactly counts × weights. This makes the encoder's cost
 * scale with its input events, like every later layer's.
 */
import type { SpikeList } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { Slot } from "./buffers.js";

/**
 * Lists the events of count frames data [rows, rowLen] (rows = T·B frames). Returns null when a value is not a
 * non-negative integer (the data are not counts) or when there are more than maxEvents events. `given`: the same
 * list made already (Seq.events), taken as it is when it has at most maxEvents events.
 */
export function countsToSpikeList(
  data: Float32Array,
  rows: number,
  rowLen: number,
  maxEvents: number,
  idx: Slot<"i32">,
  offsets: Slot<"i32">,
  given?: SpikeList,
): SpikeList | null {
  if (given !== undefined) {
    if (given.rows !== rows || given.rowLen !== rowLen || given.offsets.length < rows + 1) {
      throw new Error(
        `input events: a list of ${given.rows} rows of ${given.rowLen} for input of ${rows} frames of ${rowLen}`,
      );
    }
    return given.offsets[rows]! <= maxEvents ? given : null;
  }
  const list = { rows, rowLen, idx: idx.atLeast(Math.max(1, maxEvents)), offsets: offsets.get(rows + 1) };
  return engine().eventIndices(data, list, maxEvents) ? list : null;
}

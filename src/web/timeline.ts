/**
 * Per-time-bin index of an event stream, so the viewer can find the events of any time window and draw the event
 * rate without touching every event again: one O(n) pass at load, then O(1) lookups per bin.
 */
import type { EventStream } from "../events/stream.js";

export interface TimeIndex {
  /** timestamp of the first event (µs); bins start here */
  t0: number;
  /** timestamp just past the last event (µs) */
  t1: number;
  /** bin width (µs) */
  binUs: number;
  /** number of bins */
  bins: number;
  /** offsets[k] = index of the first event with t >= t0 + k·binUs; offsets[bins] = event count */
  offsets: Uint32Array;
  /** ON (p = 1) events per bin */
  on: Uint32Array;
  /** OFF (p = 0) events per bin */
  off: Uint32Array;
}

/**
 * Builds the index with `bins` equal bins over the stream's time span. Timestamps must be non-decreasing (every
 * decoder guarantees it); an empty stream gives one empty bin.
 */
export function buildTimeIndex(ev: EventStream, bins: number): TimeIndex {
  const n = ev.t.length;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const t0 = n > 0 ? ev.t[0]! : 0;
  const t1 = n > 0 ? ev.t[n - 1]! + 1 : 1;
  const binUs = (t1 - t0) / bins;
  const offsets = new Uint32Array(bins + 1);
  const on = new Uint32Array(bins);
  const off = new Uint32Array(bins);
  let k = 0;
  for (let i = 0; i < n; i++) {
    // bin of event i; clamp so rounding at the last event never overruns
    const b = Math.min(bins - 1, Math.floor((ev.t[i]! - t0) / binUs));
    while (k < b) offsets[++k] = i;
    if (ev.p[i] === 1) on[b]!++;
    else off[b]!++;
  }
  while (k < bins) offsets[++k] = n;
  return { t0, t1, binUs, bins, offsets, on, off };
}

/** Index of the first event with t >= time, using the bin offsets to narrow the binary search. */
export function eventIndexAt(ev: EventStream, index: TimeIndex, time: number): number {
  if (time <= index.t0) return 0;
  if (time >= index.t1) return ev.t.length;
  const b = Math.min(index.bins - 1, Math.floor((time - index.t0) / index.binUs));
  let lo = index.offsets[b]!;
  let hi = index.offsets[b + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ev.t[mid]! < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

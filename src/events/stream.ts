/**
 * The one event type every source decodes to: a struct of arrays plus the sensor geometry.
 *
 * - `t`: timestamps in microseconds (Float64Array: AEDAT 4 timestamps exceed 2^32; exact up to 2^53).
 * - `x`, `y`: pixel coordinates (0-based). Audio datasets (SHD/SSC) store the channel index in `x` and 0 in `y`.
 * - `p`: polarity, 1 = ON (brightness increase), 0 = OFF.
 *
 * Slicing returns views (subarray), never copies.
 */
export interface SensorSize {
  /** width in pixels (or number of channels for audio) */
  width: number;
  /** height in pixels (1 for audio) */
  height: number;
  /** number of polarities (2 for DVS, 1 for audio) */
  polarities: number;
}

export interface EventStream {
  t: Float64Array;
  x: Uint16Array;
  y: Uint16Array;
  p: Uint8Array;
  sensor: SensorSize;
}

/** Number of events in a stream. */
export function eventCount(ev: EventStream): number {
  return ev.t.length;
}

/** Builds a stream from arrays, checking that lengths agree. */
export function makeEventStream(
  t: Float64Array,
  x: Uint16Array,
  y: Uint16Array,
  p: Uint8Array,
  sensor: SensorSize,
): EventStream {
  const n = t.length;
  if (x.length !== n || y.length !== n || p.length !== n) {
    throw new RangeError(`event arrays differ in length: t ${n}, x ${x.length}, y ${y.length}, p ${p.length}`);
  }
  return { t, x, y, p, sensor };
}

/** An empty stream for the given sensor. */
export function emptyEventStream(sensor: SensorSize): EventStream {
  return makeEventStream(new Float64Array(0), new Uint16Array(0), new Uint16Array(0), new Uint8Array(0), sensor);
}

/** Events with index in [start, end), as views. */
export function sliceByIndex(ev: EventStream, start: number, end: number): EventStream {
  const n = ev.t.length;
  const s = Math.max(0, Math.min(n, start));
  const e = Math.max(s, Math.min(n, end));
  return {
    t: ev.t.subarray(s, e),
    x: ev.x.subarray(s, e),
    y: ev.y.subarray(s, e),
    p: ev.p.subarray(s, e),
    sensor: ev.sensor,
  };
}

/** First index whose timestamp is >= t (timestamps must be non-decreasing). */
export function lowerBoundTime(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events with tStart <= t < tEnd, as views (timestamps must be non-decreasing). */
export function sliceByTime(ev: EventStream, tStart: number, tEnd: number): EventStream {
  return sliceByIndex(ev, lowerBoundTime(ev.t, tStart), lowerBoundTime(ev.t, tEnd));
}

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

/** Concatenates streams (same sensor assumed; the first one's sensor, or `sensor` if given, is kept). */
export function concatEventStreams(parts: EventStream[], sensor?: SensorSize): EventStream {
  const s = sensor ?? parts[0]?.sensor ?? { width: 0, height: 0, polarities: 2 };
  if (parts.length === 1) return { ...parts[0]!, sensor: s };
  let n = 0;
  for (const q of parts) n += q.t.length;
  const t = new Float64Array(n);
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const p = new Uint8Array(n);
  let k = 0;
  for (const q of parts) {
    t.set(q.t, k);
    x.set(q.x, k);
    y.set(q.y, k);
    p.set(q.p, k);
    k += q.t.length;
  }
  return { t, x, y, p, sensor: s };
}

/** A deep copy (fresh arrays), e.g. before a transform that works in place. */
export function cloneEventStream(ev: EventStream): EventStream {
  return { t: ev.t.slice(), x: ev.x.slice(), y: ev.y.slice(), p: ev.p.slice(), sensor: { ...ev.sensor } };
}

/** True when timestamps never decrease. */
export function isTimeSorted(ev: EventStream): boolean {
  const t = ev.t;
  for (let i = 1; i < t.length; i++) if (t[i]! < t[i - 1]!) return false;
  return true;
}

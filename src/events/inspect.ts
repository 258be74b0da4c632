import type { DecodedRecording } from "./decode.js";
import type { EventFormat } from "./decoders/types.js";
import type { SensorSize } from "./stream.js";

/** What `razor-snn data inspect FILE` prints. */
export interface RecordingSummary {
  format: EventFormat;
  sensor: SensorSize;
  sensorGuessed: boolean;
  events: number;
  on: number;
  off: number;
  /** first and last timestamp in µs (null for an empty recording) */
  tStart: number | null;
  tEnd: number | null;
  firstEvents: { t: number; x: number; y: number; p: number }[];
  meta: Record<string, unknown>;
}

/** Summarises a decoded recording (counts, time span, the first `first` events). */
export function inspectRecording(decoded: DecodedRecording, first = 5): RecordingSummary {
  const s = decoded.stream;
  const n = s.t.length;
  let on = 0;
  let tMin = Number.POSITIVE_INFINITY;
  let tMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (s.p[i]! !== 0) on++;
    const t = s.t[i]!;
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
  }
  const firstEvents = [];
  for (let i = 0; i < Math.min(first, n); i++) firstEvents.push({ t: s.t[i]!, x: s.x[i]!, y: s.y[i]!, p: s.p[i]! });
  return {
    format: decoded.format,
    sensor: s.sensor,
    sensorGuessed: decoded.sensorGuessed,
    events: n,
    on,
    off: n - on,
    tStart: n > 0 ? tMin : null,
    tEnd: n > 0 ? tMax : null,
    firstEvents,
    meta: decoded.meta,
  };
}

/**
 * Summary statistics of a set of recordings, for comparing emulated with real ones (docs/emulator.md):
 * events per recording, ON share, active pixels, event rate over time, background rate. Browser-safe.
 */
import type { EventStream } from "../../events/stream.js";

export interface Distribution {
  mean: number;
  p5: number;
  median: number;
  p95: number;
}

export interface RecordingStats {
  recordings: number;
  events: Distribution;
  onShare: Distribution;
  /** pixels with at least one event */
  activePixels: Distribution;
  /** last event time (ms) */
  durationMs: Distribution;
  /** mean events per recording in each time bin of `binMs`, from t = 0 */
  rate: { binMs: number; meanEvents: number[] };
  /** events per pixel per second in the `border`-pixel frame of the sensor, where the digit rarely reaches */
  borderRateHz: number;
  /** ON share of those border events */
  borderOnShare: number;
}

export function distribution(values: number[]): Distribution {
  if (values.length === 0) return { mean: Number.NaN, p5: Number.NaN, median: Number.NaN, p95: Number.NaN };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p5: at(0.05), median: at(0.5), p95: at(0.95) };
}

/** Statistics over recordings (all on the same sensor). */
export function recordingStats(recordings: EventStream[], binMs = 10, bins = 32, border = 2): RecordingStats {
  const counts: number[] = [];
  const on: number[] = [];
  const active: number[] = [];
  const duration: number[] = [];
  const rate = new Float64Array(bins);
  let borderEvents = 0;
  let borderOn = 0;
  let borderPixelSeconds = 0;
  for (const ev of recordings) {
    const { width, height } = ev.sensor;
    const seen = new Uint8Array(width * height);
    let nOn = 0;
    let nActive = 0;
    let nBorder = 0;
    for (let k = 0; k < ev.t.length; k++) {
      const x = ev.x[k]!;
      const y = ev.y[k]!;
      const p = ev.p[k]!;
      nOn += p;
      const pix = y * width + x;
      if (seen[pix] === 0) {
        seen[pix] = 1;
        nActive++;
      }
      const b = Math.floor(ev.t[k]! / (binMs * 1000));
      if (b < bins) rate[b]!++;
      if (x < border || y < border || x >= width - border || y >= height - border) {
        nBorder++;
        borderOn += p;
      }
    }
    const n = ev.t.length;
    counts.push(n);
    on.push(n > 0 ? nOn / n : Number.NaN);
    active.push(nActive);
    const lastMs = n > 0 ? ev.t[n - 1]! / 1000 : 0;
    duration.push(lastMs);
    borderEvents += nBorder;
    const borderPixels = width * height - Math.max(0, width - 2 * border) * Math.max(0, height - 2 * border);
    borderPixelSeconds += (borderPixels * lastMs) / 1000;
  }
  return {
    recordings: recordings.length,
    events: distribution(counts),
    onShare: distribution(on.filter((v) => !Number.isNaN(v))),
    activePixels: distribution(active),
    durationMs: distribution(duration),
    rate: { binMs, meanEvents: Array.from(rate, (r) => r / Math.max(1, recordings.length)) },
    borderRateHz: borderPixelSeconds > 0 ? borderEvents / borderPixelSeconds : 0,
    borderOnShare: borderEvents > 0 ? borderOn / borderEvents : Number.NaN,
  };
}

/** Pearson correlation of two equally long lists (NaN when either is constant). */
export function pearson(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`pearson: lengths ${a.length} and ${b.length} differ`);
  const n = a.length;
  const ma = a.reduce((x, y) => x + y, 0) / n;
  const mb = b.reduce((x, y) => x + y, 0) / n;
  let s = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    s += (a[i]! - ma) * (b[i]! - mb);
    sa += (a[i]! - ma) ** 2;
    sb += (b[i]! - mb) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}

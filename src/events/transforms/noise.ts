import type { Rng } from "../../util/rng.js";
import type { EventStream } from "../stream.js";
import { sortByTime } from "./time.js";
import { checkPositive, type EventTransform, needRng } from "./types.js";

/** Poisson-distributed count (Knuth for small means, rounded normal approximation above 50). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let prod = rng.uniform();
  while (prod > limit) {
    k++;
    prod *= rng.uniform();
  }
  return k;
}

export interface NoisePlacement {
  /** the recording inside the noise, t in [0, duration) */
  stream: EventStream;
  /** where the recording's first event landed (µs from the window start) */
  offset: number;
  /** the window [signalStart, signalEnd) µs that holds the recording */
  signalStart: number;
  signalEnd: number;
  noiseEvents: number;
}

/**
 * Places the recording at a random offset inside a longer window of `duration` µs filled with background-activity
 * noise: uniform in time, pixel and polarity, `rateHz` events per pixel per second (Poisson count). A recording
 * longer than the window is cut to its first `duration` µs. Seeded through the Rng.
 */
export function placeInNoise(ev: EventStream, duration: number, rateHz: number, rng: Rng): NoisePlacement {
  checkPositive("duration", duration);
  if (!(rateHz >= 0)) throw new RangeError(`rateHz must be >= 0, got ${rateHz}`);
  const n = ev.t.length;
  const t0 = n > 0 ? ev.t[0]! : 0;
  const span = n > 0 ? ev.t[n - 1]! - t0 : 0;
  const room = Math.max(0, duration - span - 1);
  const offset = Math.floor(rng.uniform() * (room + 1));
  const { width: W, height: H } = ev.sensor;
  const noise = poisson(rng, rateHz * W * H * (duration / 1e6));
  let keep = 0;
  for (let i = 0; i < n; i++) if (ev.t[i]! - t0 + offset < duration) keep++;
  const m = keep + noise;
  const t = new Float64Array(m);
  const x = new Uint16Array(m);
  const y = new Uint16Array(m);
  const p = new Uint8Array(m);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const tt = ev.t[i]! - t0 + offset;
    if (tt >= duration) continue;
    t[k] = tt;
    x[k] = ev.x[i]!;
    y[k] = ev.y[i]!;
    p[k] = ev.p[i]!;
    k++;
  }
  const twoPol = ev.sensor.polarities >= 2;
  for (let j = 0; j < noise; j++, k++) {
    t[k] = Math.floor(rng.uniform() * duration);
    x[k] = rng.int(W);
    y[k] = rng.int(H);
    p[k] = twoPol ? rng.int(2) : 0;
  }
  return {
    stream: sortByTime({ t, x, y, p, sensor: ev.sensor }),
    offset,
    signalStart: offset,
    signalEnd: Math.min(duration, offset + span + 1),
    noiseEvents: noise,
  };
}

/** placeInNoise as a transform (the offset is not reported; call placeInNoise for it). */
export function backgroundNoiseWindow(duration: number, rateHz: number): EventTransform {
  return {
    name: "backgroundNoiseWindow",
    params: { duration, rateHz },
    apply(ev, rng?: Rng) {
      return placeInNoise(ev, duration, rateHz, needRng("backgroundNoiseWindow", rng)).stream;
    },
  };
}

import type { Rng } from "../../util/rng.js";
import { checkPositive, type EventTransform, filterEvents, needRng } from "./types.js";

/**
 * Background-activity filter: keeps an event when one of its 4 neighbours (left, right, up, down) had an event
 * within the last `filterTime` µs (the event's own pixel does not count). Like Tonic's Denoise, except that the
 * memory starts empty: Tonic initialises it to `filterTime`, which lets every event in the first `filterTime` µs
 * pass.
 */
export function denoise(filterTime: number): EventTransform {
  checkPositive("filterTime", filterTime);
  return {
    name: "denoise",
    params: { filterTime },
    apply(ev) {
      const W = ev.sensor.width;
      const H = ev.sensor.height;
      // last time + filterTime per pixel, with a 1-pixel border so neighbours need no bounds checks
      const mem = new Float64Array((W + 2) * (H + 2)).fill(Number.NEGATIVE_INFINITY);
      const stride = W + 2;
      return filterEvents(ev, (i) => {
        const t = ev.t[i]!;
        const c = (ev.y[i]! + 1) * stride + ev.x[i]! + 1;
        mem[c] = t + filterTime;
        return mem[c - 1]! > t || mem[c + 1]! > t || mem[c - stride]! > t || mem[c + stride]! > t;
      });
    },
  };
}

/**
 * Refractory filter: after an event is kept at a pixel, further events at that pixel (either polarity) are dropped
 * until more than `period` µs have passed. Dropped events do not restart the period.
 */
export function refractory(period: number): EventTransform {
  checkPositive("period", period);
  return {
    name: "refractory",
    params: { period },
    apply(ev) {
      const W = ev.sensor.width;
      const last = new Float64Array(W * ev.sensor.height).fill(Number.NEGATIVE_INFINITY);
      return filterEvents(ev, (i) => {
        const c = ev.y[i]! * W + ev.x[i]!;
        const t = ev.t[i]!;
        if (t - last[c]! <= period) return false;
        last[c] = t;
        return true;
      });
    },
  };
}

/** Drops each event independently with probability `probability` (seeded through the Rng). */
export function dropEvents(probability: number): EventTransform {
  if (!(probability >= 0 && probability <= 1))
    throw new RangeError(`probability must be in [0, 1], got ${probability}`);
  return {
    name: "dropEvents",
    params: { probability },
    apply(ev, rng?: Rng) {
      const r = needRng("dropEvents", rng);
      return filterEvents(ev, () => r.uniform() >= probability);
    },
  };
}

import type { Rng } from "../../util/rng.js";
import { type EventStream, sliceByTime } from "../stream.js";
import { checkPositive, type EventTransform, needRng } from "./types.js";

/**
 * Stable ascending order of `t` as an index array: insertion sort of 32-element blocks, then bottom-up merges on
 * typed arrays. Fast on nearly sorted input (jittered timestamps), O(n log n) in general.
 */
export function stableTimeOrder(t: Float64Array): Int32Array {
  const n = t.length;
  let a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const RUN = 32;
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(n, lo + RUN);
    for (let i = lo + 1; i < hi; i++) {
      const v = a[i]!;
      const tv = t[v]!;
      let j = i - 1;
      while (j >= lo && t[a[j]!]! > tv) {
        a[j + 1] = a[j]!;
        j--;
      }
      a[j + 1] = v;
    }
  }
  let b = new Int32Array(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      // already in order across the boundary: copy (the common case for nearly sorted input)
      if (mid >= hi || t[a[mid - 1]!]! <= t[a[mid]!]!) {
        b.set(a.subarray(lo, hi), lo);
        continue;
      }
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) b[k++] = t[a[j]!]! < t[a[i]!]! ? a[j++]! : a[i++]!;
      while (i < mid) b[k++] = a[i++]!;
      while (j < hi) b[k++] = a[j++]!;
    }
    const tmp = a;
    a = b;
    b = tmp;
  }
  return a;
}

/** Reorders events by time (stable: equal times keep their order). Returns the stream itself when already sorted. */
export function sortByTime(ev: EventStream): EventStream {
  const n = ev.t.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (ev.t[i]! < ev.t[i - 1]!) sorted = false;
  if (sorted) return ev;
  const idx = stableTimeOrder(ev.t);
  const t = new Float64Array(n);
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const p = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    t[k] = ev.t[i]!;
    x[k] = ev.x[i]!;
    y[k] = ev.y[i]!;
    p[k] = ev.p[i]!;
  }
  return { t, x, y, p, sensor: ev.sensor };
}

/** Subtracts `origin` from every timestamp (new t array, other arrays shared). */
export function rebaseTime(ev: EventStream, origin: number): EventStream {
  const t = new Float64Array(ev.t.length);
  for (let i = 0; i < t.length; i++) t[i] = ev.t[i]! - origin;
  return { ...ev, t };
}

/**
 * Adds N(0, std²) µs to every timestamp (seeded), drops events that become negative when clipNegative (default,
 * as Tonic), and re-sorts by time.
 */
export function timeJitter(std: number, clipNegative = true): EventTransform {
  checkPositive("std", std);
  return {
    name: "timeJitter",
    params: { std, clipNegative },
    apply(ev, rng?: Rng) {
      const r = needRng("timeJitter", rng);
      const n = ev.t.length;
      const t = new Float64Array(n);
      for (let i = 0; i < n; i++) t[i] = ev.t[i]! + std * r.normal();
      let out: EventStream = { ...ev, t };
      if (clipNegative) {
        let m = 0;
        for (let i = 0; i < n; i++) if (t[i]! >= 0) m++;
        if (m < n) {
          const keep = { t: new Float64Array(m), x: new Uint16Array(m), y: new Uint16Array(m), p: new Uint8Array(m) };
          let k = 0;
          for (let i = 0; i < n; i++) {
            if (t[i]! < 0) continue;
            keep.t[k] = t[i]!;
            keep.x[k] = ev.x[i]!;
            keep.y[k] = ev.y[i]!;
            keep.p[k] = ev.p[i]!;
            k++;
          }
          out = { ...keep, sensor: ev.sensor };
        }
      }
      return sortByTime(out);
    },
  };
}

/** Start of a window of `duration` µs chosen uniformly (integer µs) so that it lies inside the recording. */
export function randomWindowStart(ev: EventStream, duration: number, rng: Rng): number {
  const n = ev.t.length;
  if (n === 0) return 0;
  const t0 = ev.t[0]!;
  const room = ev.t[n - 1]! - duration - t0;
  return room > 0 ? t0 + Math.floor(rng.uniform() * (room + 1)) : t0;
}

/**
 * Random consecutive slice for training: a window of `duration` µs (T·dt) at a uniformly random start inside
 * the recording (at the first event when the recording is shorter), re-based so the window starts at t = 0.
 * Integrate it with { mode: "timeWindow", dt, frames: T, tStart: 0 }.
 */
export function randomSlice(duration: number): EventTransform {
  checkPositive("duration", duration);
  return {
    name: "randomSlice",
    params: { duration },
    apply(ev, rng?: Rng) {
      const start = randomWindowStart(ev, duration, needRng("randomSlice", rng));
      return rebaseTime(sliceByTime(ev, start, start + duration), start);
    },
  };
}

/**
 * Evenly spread test clips (the 10-clip protocol): `count` windows of `duration` µs whose starts are spread evenly
 * from the first event to the last possible start (t_last − duration), each re-based to start at 0. A single clip
 * is centred; a recording shorter than `duration` gives clips that all start at the first event.
 */
export function evenClips(ev: EventStream, count: number, duration: number): EventStream[] {
  checkPositive("count", count, true);
  checkPositive("duration", duration);
  const n = ev.t.length;
  const t0 = n > 0 ? ev.t[0]! : 0;
  const room = n > 0 ? Math.max(0, ev.t[n - 1]! - duration - t0) : 0;
  const out: EventStream[] = [];
  for (let k = 0; k < count; k++) {
    const start = t0 + (count === 1 ? Math.floor(room / 2) : Math.round((k * room) / (count - 1)));
    out.push(rebaseTime(sliceByTime(ev, start, start + duration), start));
  }
  return out;
}

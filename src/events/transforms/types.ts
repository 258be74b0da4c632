import type { Rng } from "../../util/rng.js";
import type { EventStream, SensorSize } from "../stream.js";

export type TransformParams = Readonly<Record<string, number | string | boolean>>;

/**
 * A transform is a small value with its parameters and one job (Tonic style). Deterministic transforms ignore
 * `rng`; random ones require it, so the same seed always gives the same result.
 */
export interface EventTransform {
  readonly name: string;
  readonly params: TransformParams;
  apply(ev: EventStream, rng?: Rng): EventStream;
}

/** A stable text key of a transform and all its parameters (for caches keyed by preprocessing). */
export function transformKey(t: EventTransform | readonly EventTransform[]): string {
  const list = Array.isArray(t) ? t : [t as EventTransform];
  return list
    .map((x) => {
      const keys = Object.keys(x.params).sort();
      return `${x.name}(${keys.map((k) => `${k}=${String(x.params[k])}`).join(",")})`;
    })
    .join("|");
}

/** Applies transforms in order. */
export function compose(...steps: EventTransform[]): EventTransform {
  return {
    name: "compose",
    params: { steps: transformKey(steps) },
    apply(ev, rng) {
      let out = ev;
      for (const s of steps) out = s.apply(out, rng);
      return out;
    },
  };
}

export function needRng(name: string, rng: Rng | undefined): Rng {
  if (!rng) throw new Error(`transform ${name} is random: pass an Rng to apply() for reproducible results`);
  return rng;
}

/** Keeps the events for which keep(i) is true (new arrays, order preserved). */
export function filterEvents(
  ev: EventStream,
  keep: (i: number) => boolean,
  sensor: SensorSize = ev.sensor,
): EventStream {
  const n = ev.t.length;
  const idx = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (keep(i)) idx[m++] = i;
  const t = new Float64Array(m);
  const x = new Uint16Array(m);
  const y = new Uint16Array(m);
  const p = new Uint8Array(m);
  for (let k = 0; k < m; k++) {
    const i = idx[k]!;
    t[k] = ev.t[i]!;
    x[k] = ev.x[i]!;
    y[k] = ev.y[i]!;
    p[k] = ev.p[i]!;
  }
  return { t, x, y, p, sensor };
}

export function checkPositive(name: string, v: number, integer = false): void {
  if (!(v > 0) || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${name} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
  }
}

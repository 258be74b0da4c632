/**
 * When a layer's input is a spike list, Linear and Conv2d use the event-driven kernels below these input densities
 * (active entries / all entries) and the dense ones above (forward + weight gradient crossovers measured on the
 * N-MNIST, Gesture and SHD layer shapes, wasm engine, 2 threads: conv 0.1–0.25, large FC 0.15–0.2, SHD-size FC above
 * 0.5; see docs/models.md). Settable, so a benchmark can force either path.
 */
import type { SpikeList } from "../engine/api.js";

export interface EventDrivenThresholds {
  linear: number;
  conv: number;
}

const thresholds: EventDrivenThresholds = { linear: 0.2, conv: 0.15 };

export function eventDrivenThresholds(): Readonly<EventDrivenThresholds> {
  return thresholds;
}

/** Set one or both; 0 forces dense kernels, 1.01 forces event-driven ones. */
export function setEventDrivenThresholds(t: Partial<EventDrivenThresholds>): void {
  if (t.linear !== undefined) thresholds.linear = t.linear;
  if (t.conv !== undefined) thresholds.conv = t.conv;
}

export function spikeDensity(list: SpikeList): number {
  const total = list.rows * list.rowLen;
  return total === 0 ? 0 : list.offsets[list.rows]! / total;
}

/** True when the event-driven kernel should run for this list under `threshold`. */
export function preferEvents(list: SpikeList | undefined, threshold: number): list is SpikeList {
  return list !== undefined && spikeDensity(list) < threshold;
}

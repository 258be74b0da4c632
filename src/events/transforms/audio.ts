import type { EventStream } from "../stream.js";
import { type Frames, toFrames } from "./frames.js";
import { checkPositive } from "./types.js";

export interface AudioBinning {
  /** channels summed per output channel (700 → ceil(700 / channelBin)) */
  channelBin: number;
  /** time bin in µs */
  dt: number;
  /** number of time bins */
  frames: number;
  /** start of the first bin (default 0: SHD/SSC times count from the stimulus start) */
  tStart?: number;
}

/**
 * Channel/time binning for spiking audio (SHD/SSC): spike counts per (time bin, channel group), shaped
 * [T, 1, 1, C] like the camera frames (P = 1, H = 1). Bins are [tStart + k·dt, tStart + (k+1)·dt); spikes after the
 * last bin are ignored.
 */
export function audioFrames(ev: EventStream, b: AudioBinning): Frames {
  checkPositive("channelBin", b.channelBin, true);
  const C = Math.ceil(ev.sensor.width / b.channelBin);
  const n = ev.t.length;
  const x = new Uint16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(ev.x[i]! / b.channelBin);
  const binned: EventStream = {
    t: ev.t,
    x,
    y: new Uint16Array(n),
    p: new Uint8Array(n),
    sensor: { width: C, height: 1, polarities: 1 },
  };
  return toFrames(binned, { mode: "timeWindow", dt: b.dt, frames: b.frames, tStart: b.tStart ?? 0 });
}

/**
 * Integrates an event stream that arrives in chunks into frames of fixed duration dt with the batch pipeline's own
 * pieces: the events module's `downsample` (factor×factor blocks), then the "timeWindow" grid
 * [t0 + k·dt, t0 + (k+1)·dt) of events/transforms/frames.ts (t0 = the first event's time, or a given origin) and
 * its counting, channel 0 = OFF, 1 = ON (one channel when the model takes one polarity). Holds one frame at a
 * time, so memory does not depend on the stream's length.
 */
import type { EventStream, SensorSize } from "../events/stream.js";
import { accumulateFrames, timeGridWindows } from "../events/transforms/frames.js";
import { downsample } from "../events/transforms/geometry.js";

export interface AccumulatorOptions {
  /** frame duration in µs */
  dtUs: number;
  /** the model's input frame [P, H, W] (or [F] for audio: channels in x) */
  frameShape: number[];
  /** spatial block size summed into one input pixel (1 = none) */
  downsample: number;
  /** grid origin in µs (default: the first event's time) */
  tStart?: number;
}

export interface CompletedFrame {
  /** 0-based frame index k */
  index: number;
  tStart: number;
  tEnd: number;
  /** counts, laid out as the model's input frame */
  counts: Float32Array;
  events: number;
}

export class FrameAccumulator {
  private origin: number | null;
  private index = 0;
  private counts: Float32Array;
  private events = 0;
  private lastT = -Infinity;
  /** the model's input as a sensor: [P, H, W], or [F] as 1 × F with one polarity */
  private readonly input: SensorSize;

  constructor(private readonly opts: AccumulatorOptions) {
    if (!(opts.dtUs > 0)) throw new RangeError(`frame duration must be > 0 µs, got ${opts.dtUs}`);
    const s = opts.frameShape;
    const [P, H, W] = s.length === 3 ? (s as [number, number, number]) : [1, 1, s[0]!];
    this.input = { width: W, height: H, polarities: P };
    this.counts = new Float32Array(P * H * W);
    this.origin = opts.tStart ?? null;
  }

  /** Adds a chunk of events (non-decreasing time); returns the frames it completed, in order. */
  push(chunk: EventStream): CompletedFrame[] {
    const n = chunk.t.length;
    if (n === 0) return [];
    this.checkOrder(chunk.t);
    if (this.origin === null) this.origin = chunk.t[0]!;
    const { dtUs } = this.opts;
    const origin = this.origin;
    // the frame of the chunk's last event: every frame before it is complete
    let last = this.index;
    while (chunk.t[n - 1]! >= origin + (last + 1) * dtUs) last++;
    const win = timeGridWindows(chunk.t, origin, dtUs, this.index, last - this.index + 1);
    const ev = this.scaled(chunk, win.start[0]!);
    const done: CompletedFrame[] = [];
    for (let k = 0; k < win.start.length; k++) {
      const one = { start: [win.start[k]!], end: [win.end[k]!] };
      accumulateFrames(ev, one, this.counts, this.input);
      this.events += one.end[0]! - one.start[0]!;
      if (k < win.start.length - 1) done.push(this.complete());
    }
    return done;
  }

  /** Completes the current frame (the end of the stream); returns null when no frame was started. */
  flush(): CompletedFrame | null {
    // after any event the current frame holds the latest one, so there is a frame to complete
    if (this.origin === null || this.lastT === -Infinity) return null;
    return this.complete();
  }

  private checkOrder(t: Float64Array): void {
    for (let i = 0; i < t.length; i++) {
      if (t[i]! < this.lastT) {
        throw new RangeError(`event ${i} of the chunk goes back in time (${t[i]} µs after ${this.lastT} µs)`);
      }
      this.lastT = t[i]!;
    }
  }

  /** The chunk on the model's input grid; events from `from` on must fall inside it. */
  private scaled(chunk: EventStream, from: number): EventStream {
    const k = this.opts.downsample;
    const ev = k === 1 ? chunk : downsample(k).apply(chunk);
    const { width: W, height: H } = this.input;
    for (let i = from; i < ev.t.length; i++) {
      if (ev.x[i]! >= W || ev.y[i]! >= H) {
        throw new RangeError(
          `event at (${chunk.x[i]}, ${chunk.y[i]}) is outside the model's input ${W * k}×${H * k} ` +
            "(sensor size differs from the checkpoint's)",
        );
      }
    }
    return ev;
  }

  private complete(): CompletedFrame {
    const tStart = this.origin! + this.index * this.opts.dtUs;
    const f: CompletedFrame = {
      index: this.index,
      tStart,
      tEnd: tStart + this.opts.dtUs,
      counts: this.counts,
      events: this.events,
    };
    this.counts = new Float32Array(this.counts.length);
    this.events = 0;
    this.index++;
    return f;
  }
}

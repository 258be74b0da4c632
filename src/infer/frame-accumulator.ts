/**
 * Integrates an event stream that arrives in chunks into frames of fixed duration dt, exactly as the batch
 * pipeline's "timeWindow" framing does: windows [t0 + k·dt, t0 + (k+1)·dt) with t0 = the first event's time (or a
 * given origin), counts per (polarity, y, x) after summing factor×factor blocks, channel 0 = OFF, 1 = ON (one channel
 * when the model takes one polarity). Holds one frame at a time, so memory does not depend on the stream's length.
 */
import type { EventStream } from "../events/stream.js";

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
  private readonly P: number;
  private readonly H: number;
  private readonly W: number;

  constructor(private readonly opts: AccumulatorOptions) {
    if (!(opts.dtUs > 0)) throw new RangeError(`frame duration must be > 0 µs, got ${opts.dtUs}`);
    const s = opts.frameShape;
    [this.P, this.H, this.W] = s.length === 3 ? (s as [number, number, number]) : [1, 1, s[0]!];
    this.counts = new Float32Array(this.P * this.H * this.W);
    this.origin = opts.tStart ?? null;
  }

  /** Adds a chunk of events (non-decreasing time); returns the frames it completed, in order. */
  push(ev: EventStream): CompletedFrame[] {
    const done: CompletedFrame[] = [];
    const { t, x, y, p } = ev;
    const k = this.opts.downsample;
    const { P, H, W } = this;
    for (let i = 0; i < t.length; i++) {
      const ti = t[i]!;
      if (ti < this.lastT) {
        throw new RangeError(`event ${i} of the chunk goes back in time (${ti} µs after ${this.lastT} µs)`);
      }
      this.lastT = ti;
      if (this.origin === null) this.origin = ti;
      if (ti < this.origin) continue;
      while (ti >= this.origin + (this.index + 1) * this.opts.dtUs) done.push(this.complete());
      const xx = Math.floor(x[i]! / k);
      const yy = Math.floor(y[i]! / k);
      if (xx >= W || yy >= H) {
        throw new RangeError(
          `event at (${x[i]}, ${y[i]}) is outside the model's input ${W * k}×${H * k} (sensor size differs from the checkpoint's)`,
        );
      }
      const c = P === 1 ? 0 : p[i]! !== 0 ? 1 : 0;
      this.counts[(c * H + yy) * W + xx]! += 1;
      this.events++;
    }
    return done;
  }

  /** Completes the current frame (the end of the stream); returns null when no frame was started. */
  flush(): CompletedFrame | null {
    // after any event the current frame holds the latest one, so there is a frame to complete
    if (this.origin === null || this.lastT === -Infinity) return null;
    return this.complete();
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

/** Flatten and Dropout: the two modules that only move or mask values. */
import { engine } from "../engine/current.js";
import { type BufferPool, newPool } from "./buffers.js";
import { type Buffer, type Context, type Module, type Param, type Seq, seqDims } from "./module.js";

/** [T, B, C, H, W] -> [T, B, C·H·W]; the spike list (if any) is unchanged (its rows are the same frames). */
export class Flatten implements Module {
  private inShape: number[] | null = null;

  forward(x: Seq, _ctx: Context): Seq {
    const { t, b, features } = seqDims(x);
    this.inShape = x.shape;
    return { ...x, shape: [t, b, features] };
  }

  backward(gy: Seq, _ctx: Context): Seq {
    if (this.inShape === null) throw new Error("flatten: backward before forward");
    return { data: gy.data, shape: this.inShape };
  }

  parameters(): Param[] {
    return [];
  }

  buffers(): Buffer[] {
    return [];
  }
}

/**
 * Inverted dropout with one mask per sequence: a feature dropped in a sample is dropped at every time step (so a
 * neuron's input does not flicker from frame to frame). Identity in evaluation mode.
 */
export class Dropout implements Module {
  private readonly pool: BufferPool;
  private keep: Float32Array | null = null;
  private y: Float32Array | null = null;
  private inShape: number[] | null = null;

  constructor(
    readonly p: number,
    pool?: BufferPool,
  ) {
    if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
    this.pool = pool ?? newPool();
  }

  forward(x: Seq, ctx: Context): Seq {
    this.inShape = x.shape;
    this.pool.release(this.y);
    this.y = null;
    if (!ctx.training || this.p === 0) {
      this.keep = null;
      return x;
    }
    const { b, features: f } = seqDims(x);
    const keep = new Float32Array(b * f);
    const scale = 1 / (1 - this.p);
    for (let i = 0; i < keep.length; i++) keep[i] = ctx.rng.uniform() < this.p ? 0 : scale;
    this.keep = keep;
    return this.replay(x);
  }

  /** Applies the last training forward's mask to x again (forward after its draw, and recomputation). */
  replay(x: Seq): Seq {
    const keep = this.keep;
    if (keep === null) return x;
    this.pool.release(this.y);
    const y = this.pool.acquire(x.data.length);
    engine().mulRepeated(x.data, keep, y); // the [B·F] mask repeated over every time step
    this.y = y;
    const out: Seq = { data: y, shape: x.shape };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  /** Hands the output buffer back (the mask stays for backward and replay). */
  releaseOutput(): void {
    this.pool.release(this.y);
    this.y = null;
  }

  backward(gy: Seq, _ctx: Context): Seq {
    if (this.inShape === null) throw new Error("dropout: backward before forward");
    const keep = this.keep;
    const gx = this.pool.acquire(gy.data.length);
    if (keep === null) gx.set(gy.data);
    else engine().mulRepeated(gy.data, keep, gx);
    return { data: gx, shape: this.inShape };
  }

  parameters(): Param[] {
    return [];
  }

  buffers(): Buffer[] {
    return [];
  }

  dispose(): void {
    this.pool.release(this.y);
    this.y = null;
  }
}

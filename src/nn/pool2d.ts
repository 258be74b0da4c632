/** Average or max pooling (square window k, stride k) on every frame of a [T, B, C, H, W] sequence. */
import type { PoolShape } from "../engine/api.js";
import { engine } from "../engine/current.js";
import { type BufferPool, i32Slot, newPool } from "./buffers.js";
import type { Buffer, Context, Module, Param, Seq } from "./module.js";

export interface Pool2dOptions {
  type: "avg" | "max";
  kernel: number;
  /** defaults to the kernel size */
  stride?: number;
  buffers?: BufferPool;
}

export class Pool2d implements Module {
  readonly stride: number;
  private readonly pool: BufferPool;
  private readonly argmax = i32Slot();
  private inShape: number[] | null = null;
  private shape: PoolShape | null = null;
  private y: Float32Array | null = null;

  constructor(readonly opts: Pool2dOptions) {
    this.stride = opts.stride ?? opts.kernel;
    this.pool = opts.buffers ?? newPool();
  }

  outFrameShape(inFrame: readonly number[]): number[] {
    const [c, h, w] = inFrame as [number, number, number];
    const k = this.opts.kernel;
    return [c, Math.floor((h - k) / this.stride) + 1, Math.floor((w - k) / this.stride) + 1];
  }

  forward(x: Seq, _ctx: Context): Seq {
    if (x.shape.length !== 5) throw new Error(`pool: expected input [T, B, C, H, W], got [${x.shape.join(", ")}]`);
    const [t, b, c, h, w] = x.shape as [number, number, number, number, number];
    const s: PoolShape = { n: t * b, c, h, w, k: this.opts.kernel, stride: this.stride };
    const [, ho, wo] = this.outFrameShape([c, h, w]) as [number, number, number];
    this.pool.release(this.y);
    const y = this.pool.acquire(t * b * c * ho * wo);
    if (this.opts.type === "avg") engine().avgPool2dForward(x.data, y, s);
    else engine().maxPool2dForward(x.data, y, this.argmax.get(y.length), s);
    this.inShape = x.shape;
    this.shape = s;
    this.y = y;
    const out: Seq = { data: y, shape: [t, b, c, ho, wo] };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  backward(gy: Seq, _ctx: Context): Seq {
    const s = this.shape;
    const inShape = this.inShape;
    if (s === null || inShape === null) throw new Error("pool: backward before forward");
    const gx = this.pool.acquire(s.n * s.c * s.h * s.w);
    if (this.opts.type === "avg") engine().avgPool2dBackward(gy.data, gx, s);
    else engine().maxPool2dBackward(gy.data, this.argmax.peek()!, gx, s);
    return { data: gx, shape: inShape };
  }

  releaseOutput(): void {
    this.pool.release(this.y);
    this.y = null;
  }

  parameters(): Param[] {
    return [];
  }

  buffers(): Buffer[] {
    return [];
  }

  dispose(): void {
    this.releaseOutput();
    this.argmax.free();
  }
}

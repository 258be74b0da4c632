/** 2-D convolution applied to every frame of a [T, B, C, H, W] sequence (T folded into the batch). */
import { type ConvEpilogue, type ConvShape, convOutSize, type SpikeBytes } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { Rng } from "../util/rng.js";
import { type BufferPool, newPool } from "./buffers.js";
import { eventDrivenThresholds, preferEvents } from "./density.js";
import { biasDefault, kaimingUniformDefault } from "./init.js";
import type { Buffer, Context, Module, Param, Seq } from "./module.js";
import { freeParams, newParam } from "./param.js";
import { storedInput } from "./spike-storage.js";

export interface Conv2dOptions {
  /** checkpoint prefix, e.g. "layers.0.conv" */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
  /** false for a network's first layer: backward then skips the input gradient (returns zero-length data) */
  inputGrad?: boolean;
  rng: Rng;
  buffers?: BufferPool;
}

export class Conv2d implements Module {
  readonly weight: Param;
  readonly bias: Param | null;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly inputGrad: boolean;
  /** which kernel the last forward used */
  lastPath: "dense" | "events" = "dense";
  /** forward reads spike input through its bytes, never its f32 values (recomputation need not rebuild them) */
  readonly forwardReadsBytes = true;
  private readonly pool: BufferPool;
  private x: Seq | null = null;
  /** what the dense weight gradient reads: x's spike bytes, or x.data for non-binary input */
  private stored: Float32Array | SpikeBytes | null = null;
  private y: Float32Array | null = null;
  private shape: ConvShape | null = null;

  constructor(readonly opts: Conv2dOptions) {
    const { inChannels: cin, outChannels: cout, kernel: k } = opts;
    this.kernel = k;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.inputGrad = opts.inputGrad ?? true;
    this.pool = opts.buffers ?? newPool();
    this.weight = newParam(`${opts.name}.weight`, [cout, cin, k, k]);
    kaimingUniformDefault(this.weight.value, cin * k * k, opts.rng);
    this.bias = opts.bias === false ? null : newParam(`${opts.name}.bias`, [cout]);
    if (this.bias) biasDefault(this.bias.value, cin * k * k, opts.rng);
  }

  /** Output [C, H, W] of one frame for an input frame [C, H, W]. */
  outFrameShape(inFrame: readonly number[]): number[] {
    const [, h, w] = inFrame as [number, number, number];
    return [
      this.opts.outChannels,
      convOutSize(h, this.kernel, this.stride, this.padding),
      convOutSize(w, this.kernel, this.stride, this.padding),
    ];
  }

  geometry(x: Seq): ConvShape {
    const [t, b, c, h, w] = x.shape as [number, number, number, number, number];
    if (x.shape.length !== 5 || c !== this.opts.inChannels) {
      throw new Error(
        `${this.opts.name}: expected input [T, B, ${this.opts.inChannels}, H, W], got [${x.shape.join(", ")}]`,
      );
    }
    const k = this.kernel;
    return {
      n: t * b,
      cin: c,
      h,
      w,
      cout: this.opts.outChannels,
      kh: k,
      kw: k,
      strideH: this.stride,
      strideW: this.stride,
      padH: this.padding,
      padW: this.padding,
    };
  }

  forward(x: Seq, _ctx: Context): Seq {
    const s = this.geometry(x);
    const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
    const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
    this.pool.release(this.y);
    const y = this.pool.acquire(s.n * s.cout * ho * wo);
    const e = engine();
    const b = this.bias?.value ?? null;
    const stored = storedInput(x, this.opts.name);
    if (preferEvents(x.spikes, eventDrivenThresholds().conv)) {
      this.lastPath = "events";
      e.conv2dSpikeForward(x.spikes, this.weight.value, b, y, s);
    } else {
      this.lastPath = "dense";
      e.conv2dForward(stored, this.weight.value, b, y, s);
    }
    this.x = x;
    this.stored = stored;
    this.y = y;
    this.shape = s;
    const out: Seq = { data: y, shape: [x.shape[0]!, x.shape[1]!, s.cout, ho, wo] };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  /**
   * Inference on spike input with the following batch norm and/or 2×2 average pool done inside the event-driven
   * kernel (one pass over the output instead of three, same f32 arithmetic): returns their output.
   */
  forwardEventsFused(x: Seq, epilogue: ConvEpilogue): Seq {
    const s = this.geometry(x);
    if (x.spikes === undefined) throw new Error(`${this.opts.name}: the fused forward needs spike input`);
    let ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
    let wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
    if (epilogue.avgPool2) {
      ho = Math.floor(ho / 2);
      wo = Math.floor(wo / 2);
    }
    this.pool.release(this.y);
    const y = this.pool.acquire(s.n * s.cout * ho * wo);
    engine().conv2dSpikeForward(x.spikes, this.weight.value, this.bias?.value ?? null, y, s, epilogue);
    this.lastPath = "events";
    this.x = null;
    this.stored = null;
    this.y = y;
    this.shape = s;
    const out: Seq = { data: y, shape: [x.shape[0]!, x.shape[1]!, s.cout, ho, wo] };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  backward(gy: Seq, _ctx: Context): Seq {
    const x = this.x;
    const s = this.shape;
    const stored = this.stored;
    if (x === null || s === null || stored === null) throw new Error(`${this.opts.name}: backward before forward`);
    const e = engine();
    if (preferEvents(x.spikes, eventDrivenThresholds().conv)) {
      e.conv2dSpikeWeightGrad(x.spikes, gy.data, this.weight.grad, s);
      if (this.bias) e.channelBiasGrad(gy.data, this.bias.grad, s.n, s.cout, gy.data.length / (s.n * s.cout));
    } else {
      e.conv2dBackwardWeight(stored, gy.data, this.weight.grad, this.bias?.grad ?? null, s);
    }
    if (!this.inputGrad) return { data: new Float32Array(0), shape: x.shape };
    // x.data may be back in the pool by now (spike input is kept as bytes): only its length is read
    const gx = this.pool.acquire(s.n * s.cin * s.h * s.w);
    e.conv2dBackwardInput(gy.data, this.weight.value, gx, s);
    return { data: gx, shape: x.shape };
  }

  /** Hands the output buffer back early (when the next module no longer needs it). */
  releaseOutput(): void {
    this.pool.release(this.y);
    this.y = null;
  }

  /** Mean number of output neurons each input position feeds (for SOP counts), exact at the borders. */
  fanOut(inFrame: readonly number[]): number {
    const [, h, w] = inFrame as [number, number, number];
    const along = (size: number): number => {
      const out = convOutSize(size, this.kernel, this.stride, this.padding);
      let total = 0;
      for (let i = 0; i < size; i++) {
        for (let o = 0; o < out; o++) {
          const k = i + this.padding - o * this.stride;
          if (k >= 0 && k < this.kernel) total++;
        }
      }
      return total / size;
    };
    return this.opts.outChannels * along(h) * along(w);
  }

  parameters(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  buffers(): Buffer[] {
    return [];
  }

  dispose(): void {
    this.releaseOutput();
    freeParams(this.parameters());
  }
}

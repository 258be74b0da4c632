/** Fully connected layer on every frame of a [T, B, ...] sequence (features after B are flattened). */
import type { SpikeBytes } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { Rng } from "../util/rng.js";
import { type BufferPool, newPool } from "./buffers.js";
import { eventDrivenThresholds, preferEvents } from "./density.js";
import { biasDefault, kaimingUniformDefault } from "./init.js";
import { type Buffer, type Context, type Module, type Param, type Seq, seqDims } from "./module.js";
import { freeParams, newParam } from "./param.js";
import { storedInput } from "./spike-storage.js";

export interface LinearOptions {
  /** checkpoint prefix, e.g. "layers.3.fc" */
  name: string;
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  /** false for a network's first layer: backward then skips the input gradient (returns zero-length data) */
  inputGrad?: boolean;
  rng: Rng;
  buffers?: BufferPool;
}

export class Linear implements Module {
  readonly weight: Param;
  readonly bias: Param | null;
  readonly inputGrad: boolean;
  lastPath: "dense" | "events" = "dense";
  /** the dense forward reads the f32 values of spike input (GEMM's A side has no byte form) */
  readonly forwardReadsBytes = false;
  private readonly pool: BufferPool;
  private x: Seq | null = null;
  /** what the dense weight gradient reads: x's spike bytes, or x.data for non-binary input */
  private stored: Float32Array | SpikeBytes | null = null;
  private y: Float32Array | null = null;

  constructor(readonly opts: LinearOptions) {
    const { inFeatures: fin, outFeatures: fout } = opts;
    this.inputGrad = opts.inputGrad ?? true;
    this.pool = opts.buffers ?? newPool();
    this.weight = newParam(`${opts.name}.weight`, [fout, fin]);
    kaimingUniformDefault(this.weight.value, fin, opts.rng);
    this.bias = opts.bias === false ? null : newParam(`${opts.name}.bias`, [fout]);
    if (this.bias) biasDefault(this.bias.value, fin, opts.rng);
  }

  forward(x: Seq, _ctx: Context): Seq {
    const { t, b, frames: n, features } = seqDims(x);
    const { inFeatures: fin, outFeatures: fout } = this.opts;
    if (features !== fin) {
      throw new Error(`${this.opts.name}: expected ${fin} input features per frame, got [${x.shape.join(", ")}]`);
    }
    this.pool.release(this.y);
    const y = this.pool.acquire(n * fout);
    const e = engine();
    const bias = this.bias?.value ?? null;
    if (preferEvents(x.spikes, eventDrivenThresholds().linear)) {
      this.lastPath = "events";
      e.linearSpikeForward(x.spikes, this.weight.value, bias, y, fout);
    } else {
      this.lastPath = "dense";
      e.gemm(false, true, n, fout, fin, 1, x.data, this.weight.value, 0, y);
      if (bias) e.addChannelBias(y, bias, n, fout, 1);
    }
    this.x = x;
    this.stored = storedInput(x, this.opts.name);
    this.y = y;
    const out: Seq = { data: y, shape: [t, b, fout] };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  backward(gy: Seq, _ctx: Context): Seq {
    const x = this.x;
    const stored = this.stored;
    if (x === null || stored === null) throw new Error(`${this.opts.name}: backward before forward`);
    const { inFeatures: fin, outFeatures: fout } = this.opts;
    // x.data may be back in the pool by now (spike input is kept as bytes): it is not read
    const n = seqDims(x).frames;
    const e = engine();
    if (preferEvents(x.spikes, eventDrivenThresholds().linear)) {
      e.linearSpikeWeightGrad(x.spikes, gy.data, this.weight.grad, fout);
    } else {
      e.gemm(true, false, fout, fin, n, 1, gy.data, stored, 1, this.weight.grad);
    }
    if (this.bias) e.channelBiasGrad(gy.data, this.bias.grad, n, fout, 1);
    if (!this.inputGrad) return { data: new Float32Array(0), shape: x.shape };
    const gx = this.pool.acquire(n * fin);
    e.gemm(false, false, n, fin, fout, 1, gy.data, this.weight.value, 0, gx);
    return { data: gx, shape: x.shape };
  }

  releaseOutput(): void {
    this.pool.release(this.y);
    this.y = null;
  }

  /** Each input feature feeds every output. */
  fanOut(): number {
    return this.opts.outFeatures;
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

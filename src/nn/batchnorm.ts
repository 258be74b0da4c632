/**
 * Batch norm over [T, B, C, ...]: statistics per channel over T·B and the spatial positions (T folded into the
 * batch as in TA-SNN), PyTorch semantics (biased variance to normalise, unbiased in the running estimate).
 * Works for BatchNorm2d ([T, B, C, H, W]) and BatchNorm1d ([T, B, F]).
 */
import { batchNormEvalAffine, type ChannelAffine } from "../engine/batchnorm-affine.js";
import type { BatchNormShape } from "../engine/api.js";
import { engine } from "../engine/current.js";
import { type BufferPool, f32Slot, newPool } from "./buffers.js";
import type { Buffer, Context, Module, Param, Seq } from "./module.js";
import { freeBuffers, freeParams, newBuffer, newParam } from "./param.js";

export interface BatchNormOptions {
  /** checkpoint prefix, e.g. "layers.0.bn" */
  name: string;
  channels: number;
  momentum?: number;
  eps?: number;
  buffers?: BufferPool;
}

export class BatchNorm implements Module {
  readonly weight: Param;
  readonly bias: Param;
  readonly runningMean: Buffer;
  readonly runningVar: Buffer;
  readonly numBatchesTracked: Buffer;
  readonly momentum: number;
  readonly eps: number;
  private readonly pool: BufferPool;
  private readonly saveMean = f32Slot();
  private readonly saveInvStd = f32Slot();
  /** where a replay's own statistics and running-stat update go, so the saved ones and the running ones stay */
  private readonly scratch = [f32Slot(), f32Slot(), f32Slot(), f32Slot()] as const;
  private x: Seq | null = null;
  private y: Float32Array | null = null;
  private shape: BatchNormShape | null = null;
  private trainedForward = false;

  constructor(readonly opts: BatchNormOptions) {
    const c = opts.channels;
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    this.pool = opts.buffers ?? newPool();
    this.weight = newParam(`${opts.name}.weight`, [c]);
    this.weight.value.fill(1);
    this.bias = newParam(`${opts.name}.bias`, [c]);
    this.runningMean = newBuffer(`${opts.name}.running_mean`, [c]);
    this.runningVar = newBuffer(`${opts.name}.running_var`, [c]);
    this.runningVar.value.fill(1);
    this.numBatchesTracked = newBuffer(`${opts.name}.num_batches_tracked`, [], "I64");
  }

  private geometry(x: Seq): BatchNormShape {
    const c = x.shape[2];
    if (c !== this.opts.channels) {
      throw new Error(
        `${this.opts.name}: expected ${this.opts.channels} channels at axis 2, got [${x.shape.join(", ")}]`,
      );
    }
    let hw = 1;
    for (let i = 3; i < x.shape.length; i++) hw *= x.shape[i]!;
    return { n: x.shape[0]! * x.shape[1]!, c, hw };
  }

  forward(x: Seq, ctx: Context): Seq {
    const s = this.geometry(x);
    this.pool.release(this.y);
    const y = this.pool.acquire(x.data.length);
    const e = engine();
    if (ctx.training) {
      e.batchNormForwardTrain(
        x.data,
        this.weight.value,
        this.bias.value,
        y,
        this.saveMean.get(s.c),
        this.saveInvStd.get(s.c),
        this.runningMean.value,
        this.runningVar.value,
        s,
        this.momentum,
        this.eps,
      );
      this.numBatchesTracked.value[0] = this.numBatchesTracked.value[0]! + 1;
    } else {
      e.batchNormForwardEval(
        x.data,
        this.weight.value,
        this.bias.value,
        this.runningMean.value,
        this.runningVar.value,
        y,
        s,
        this.eps,
      );
    }
    this.trainedForward = ctx.training;
    this.x = x;
    this.y = y;
    this.shape = s;
    const out: Seq = { data: y, shape: x.shape };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  /**
   * Redoes the last training forward on the same x (recomputation): the same kernel normalises with the same batch
   * statistics, which it writes to scratch arrays, as it does its running-stat update (the real running stats are
   * updated once, by forward); backward reads the statistics forward saved.
   */
  replay(x: Seq): Seq {
    const s = this.shape;
    if (s === null || !this.trainedForward) throw new Error(`${this.opts.name}: replay needs a training forward`);
    this.pool.release(this.y);
    const y = this.pool.acquire(x.data.length);
    const [mean, invStd, runMean, runVar] = this.scratch.map((slot) => slot.get(s.c)) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const w = this.weight.value;
    const b = this.bias.value;
    engine().batchNormForwardTrain(x.data, w, b, y, mean, invStd, runMean, runVar, s, this.momentum, this.eps);
    this.x = x;
    this.y = y;
    const out: Seq = { data: y, shape: x.shape };
    if (x.mask) out.mask = x.mask;
    return out;
  }

  /** The per-channel map this module applies at evaluation (the engines' own arithmetic). */
  evalAffine(): ChannelAffine {
    const v = (b: { value: Float32Array }): Float32Array => b.value;
    return batchNormEvalAffine(v(this.weight), v(this.bias), v(this.runningMean), v(this.runningVar), this.eps);
  }

  backward(gy: Seq, _ctx: Context): Seq {
    return { data: this.backwardInto(gy, this.pool.acquire(gy.data.length)), shape: gy.shape };
  }

  /**
   * Backward writing dL/dx over gy's own buffer (saves one activation-sized array per layer; the kernels compute
   * the channel sums first and then each gx[i] from gy[i] and x[i] alone, so the overwrite is safe — the model
   * tests check it against finite differences on both engines).
   */
  backwardInPlace(gy: Seq, _ctx: Context): Seq {
    this.backwardInto(gy, gy.data);
    return gy;
  }

  private backwardInto(gy: Seq, gx: Float32Array): Float32Array {
    const x = this.x;
    const s = this.shape;
    if (x === null || s === null) throw new Error(`${this.opts.name}: backward before forward`);
    if (!this.trainedForward) throw new Error(`${this.opts.name}: backward needs a training-mode forward`);
    engine().batchNormBackward(
      gy.data,
      x.data,
      this.weight.value,
      this.saveMean.peek()!,
      this.saveInvStd.peek()!,
      gx,
      this.weight.grad,
      this.bias.grad,
      s,
    );
    return gx;
  }

  releaseOutput(): void {
    this.pool.release(this.y);
    this.y = null;
  }

  parameters(): Param[] {
    return [this.weight, this.bias];
  }

  buffers(): Buffer[] {
    return [this.runningMean, this.runningVar, this.numBatchesTracked];
  }

  dispose(): void {
    this.releaseOutput();
    this.saveMean.free();
    this.saveInvStd.free();
    for (const slot of this.scratch) slot.free();
    freeParams(this.parameters());
    freeBuffers(this.buffers());
  }
}

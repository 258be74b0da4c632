/**
 * One spiking layer n of a network (method.md): S^n = LIF(Ĩ^n) with
 *   I = Pool(BN(Conv(Dropout(S^{n-1}))))   or   BN(Linear(Dropout(S^{n-1})))
 *   Ĩ = M^n ⊙ d ⊙ I,   M^n = M^{n-1} ⊙ m^n
 * d comes from the layer's frame scorer (Razor: from S^{n-1}; TA: from I; none: d = 1). m^n (layers n >= 2 only)
 * comes from the mask policy when one is set, else from the threshold θ_n on d (plus the optional causal gap
 * floor), else from Bernoulli(d) when training with learned pruning, else it is all ones. A dropped frame gets zero
 * current, bias included, so its neurons cannot fire and only decay.
 * Learned pruning ("binary" mode): forward uses the binary mask alone (Ĩ = M ⊙ I), gradients pass straight through
 * to d, and a keep-rate target λ(mean d − ρ)² is added (its value: auxLoss()).
 */
import type { Rng } from "../util/rng.js";
import { type BufferPool, newPool } from "./buffers.js";
import { BatchNorm } from "./batchnorm.js";
import { Conv2d } from "./conv2d.js";
import {
  combineMasks,
  DEFAULT_EVAL_THRESHOLD,
  decideFrames,
  type FrameRule,
  type FrameScorer,
  type MaskPolicy,
} from "./frame-gate.js";
import { Lif, type LifOptions } from "./lif.js";
import { Linear } from "./linear.js";
import { type Buffer, type Context, type Module, type Param, type Seq, seqDims } from "./module.js";
import { Pool2d } from "./pool2d.js";
import { RazorScorer, type RazorSettings } from "./razor.js";
import { Dropout } from "./reshape.js";
import { TA_DEFAULTS, TemporalAttention, type TemporalAttentionOptions } from "./temporal-attention.js";

export interface LearnedPruningOptions {
  /** weight λ of the keep-rate target */
  lambda: number;
  /** target keep rate ρ */
  rho: number;
  /** θ used at evaluation when none is set (default DEFAULT_EVAL_THRESHOLD) */
  evalThreshold?: number;
}

export interface SpikingLayerOptions {
  /** checkpoint prefix, e.g. "layers.0" */
  name: string;
  /** 0-based position in the network (layer n = index + 1; masks apply from index 1) */
  index: number;
  /** one input frame: [C, H, W] or [F] */
  inShape: number[];
  /** frames per sample (only TA depends on it) */
  T: number;
  kind: "conv" | "fc";
  out: number;
  /** conv only; defaults from convGeometry */
  kernel?: number;
  stride?: number;
  padding?: number;
  /** default true */
  bias?: boolean;
  bn: boolean;
  pool?: { type: "avg" | "max"; kernel: number } | null;
  /** dropout probability on the layer's input (one mask per sequence) */
  dropout?: number;
  gate: "none" | "ta" | "razor";
  /** TA's reduction ratio (default TA_DEFAULTS) */
  ta?: Pick<TemporalAttentionOptions, "r">;
  razor?: RazorSettings;
  learnedPruning?: LearnedPruningOptions | null;
  lif: Omit<LifOptions, "name" | "buffers">;
  /** false for the first layer (no gradient w.r.t. the network input) */
  inputGrad: boolean;
  rng: Rng;
  buffers?: BufferPool;
}

export interface ConvGeometry {
  kernel: number;
  stride: number;
  padding: number;
}

/** The one place of a conv layer's geometry defaults: kernel 3, stride 1, padding kernel/2 ("same" at stride 1). */
export function convGeometry(spec: Partial<ConvGeometry>): ConvGeometry {
  const kernel = spec.kernel ?? 3;
  return { kernel, stride: spec.stride ?? 1, padding: spec.padding ?? Math.floor(kernel / 2) };
}

/** What a layer did in its last forward, for SOP and efficiency accounting. */
export interface LayerCounts {
  /** 0-based layer index */
  layer: number;
  T: number;
  B: number;
  /** input spikes per frame [T·B] (events for the encoder, the sum of its input counts) */
  inputEvents: Float32Array;
  /** mean number of synapses each input spike drives (exact for conv borders) */
  fanOut: number;
  /** output spikes per frame [T·B] */
  outputSpikes: Float32Array;
  /** neurons per frame */
  neurons: number;
  /** frames this layer computed, M^n [T·B] (1 = computed); null = all */
  executed: Uint8Array | null;
  framesExecuted: number;
  frames: number;
  /** Σ over executed frames of inputEvents × fanOut */
  sops: number;
}

export class SpikingLayer implements Module {
  readonly synapse: Conv2d | Linear;
  readonly bn: BatchNorm | null;
  readonly poolOp: Pool2d | null;
  readonly dropout: Dropout | null;
  readonly scorer: FrameScorer | null;
  readonly lif: Lif;
  /** per frame [C, H, W] or [F] of the output */
  readonly outShape: number[];
  maskPolicy: MaskPolicy | null = null;
  threshold: number | null = null;
  gapFloor: number | null = null;
  private readonly pool: BufferPool;
  private readonly fanOutValue: number;
  // state of the last forward
  private dims = { T: 0, B: 0 };
  private current: Seq | null = null;
  private weights: Float32Array | null = null;
  private gradMask: Uint8Array | null = null;
  private scores: Float32Array | null = null;
  private ownMask: Uint8Array | null = null;
  private mask: Uint8Array | null = null;
  private activity: Float32Array = new Float32Array(0);
  private keepRateError = 0;

  constructor(readonly opts: SpikingLayerOptions) {
    const pool = opts.buffers ?? newPool();
    this.pool = pool;
    const { name, inShape, rng } = opts;
    this.dropout = opts.dropout ? new Dropout(opts.dropout, pool) : null;
    const bias = opts.bias ?? true;
    let shape: number[];
    if (opts.kind === "conv") {
      if (inShape.length !== 3) throw new Error(`${name}: a conv layer needs [C, H, W] input, got [${inShape}]`);
      const conv = new Conv2d({
        name: `${name}.conv`,
        inChannels: inShape[0]!,
        outChannels: opts.out,
        ...convGeometry(opts),
        bias,
        inputGrad: opts.inputGrad,
        rng,
        buffers: pool,
      });
      this.synapse = conv;
      shape = conv.outFrameShape(inShape);
      this.fanOutValue = conv.fanOut(inShape);
    } else {
      const fin = inShape.reduce((a, b) => a * b, 1);
      this.synapse = new Linear({
        name: `${name}.fc`,
        inFeatures: fin,
        outFeatures: opts.out,
        bias,
        inputGrad: opts.inputGrad,
        rng,
        buffers: pool,
      });
      shape = [opts.out];
      this.fanOutValue = opts.out;
    }
    this.bn = opts.bn ? new BatchNorm({ name: `${name}.bn`, channels: opts.out, buffers: pool }) : null;
    if (opts.pool) {
      if (opts.kind !== "conv") throw new Error(`${name}: pooling needs a conv layer`);
      this.poolOp = new Pool2d({ type: opts.pool.type, kernel: opts.pool.kernel, buffers: pool });
      shape = this.poolOp.outFrameShape(shape);
    } else this.poolOp = null;
    this.outShape = shape;
    if (opts.gate === "ta") {
      this.scorer = new TemporalAttention({ name: `${name}.ta`, T: opts.T, r: opts.ta?.r ?? TA_DEFAULTS.r, rng });
    } else if (opts.gate === "razor") {
      if (!opts.razor) throw new Error(`${name}: razor gate needs razor options`);
      this.scorer = new RazorScorer({ ...opts.razor, name: `${name}.razor`, channels: inShape[0]!, rng });
    } else this.scorer = null;
    this.lif = new Lif({ ...opts.lif, name: `${name}.lif`, buffers: pool });
  }

  forward(x: Seq, ctx: Context): Seq {
    const { t: T, b: B, frames } = seqDims(x);
    this.dims = { T, B };
    this.activity = inputActivity(x);
    const upstream = x.mask ?? null;
    let d: Float32Array | null = null;
    if (this.scorer?.source === "input") d = this.scorer.score(x, ctx);
    let h = this.dropout ? this.dropout.forward(x, ctx) : x;
    h = this.synapse.forward(h, ctx);
    if (this.bn) h = this.bn.forward(h, ctx);
    if (this.poolOp) {
      h = this.poolOp.forward(h, ctx);
      this.bn?.releaseOutput();
    }
    if (this.scorer?.source === "current") d = this.scorer.score(h, ctx);
    this.current = h;
    this.scores = d;
    const binary = this.opts.learnedPruning != null && d !== null;
    const own = this.frameDecision(d, upstream, T, B, ctx, binary);
    const mask = combineMasks(upstream, own);
    this.ownMask = own;
    this.mask = mask;
    let weights: Float32Array | null = null;
    if (binary) {
      weights = maskToWeights(mask, frames);
      this.gradMask = upstream;
      const mean = d!.reduce((a, v) => a + v, 0) / frames;
      this.keepRateError = mean - this.opts.learnedPruning!.rho;
    } else if (d !== null || mask !== null) {
      weights = new Float32Array(frames);
      for (let r = 0; r < frames; r++) weights[r] = (mask === null ? 1 : mask[r]!) * (d === null ? 1 : d[r]!);
      this.gradMask = mask;
    }
    this.weights = weights;
    let cur: Seq = h;
    if (weights !== null) {
      const scaled = this.pool.acquire(h.data.length);
      scaleFrames(h.data, weights, scaled);
      cur = { data: scaled, shape: h.shape };
    }
    if (mask !== null) cur.mask = mask;
    else delete cur.mask;
    const out = this.lif.forward(cur, ctx);
    if (cur !== h) this.pool.release(cur.data);
    // I itself is needed again only for the scores' gradient
    if (d === null) (this.poolOp ?? this.bn ?? this.synapse).releaseOutput();
    return out;
  }

  backward(gy: Seq, ctx: Context): Seq {
    return this.backwardFrom(gy, ctx, false);
  }

  /**
   * backward; with `consume` the layer hands gy's buffer back to the shared pool as soon as the LIF is through
   * with it (the model does this: it keeps one fewer gradient alive per layer).
   */
  backwardFrom(gy: Seq, ctx: Context, consume: boolean): Seq {
    const h = this.current;
    if (h === null) throw new Error(`${this.opts.name}: backward before forward`);
    const frames = this.dims.T * this.dims.B;
    const g = this.lif.backward(gy, ctx);
    if (consume) this.pool.release(gy.data);
    let gd: Float32Array | null = null;
    if (this.weights !== null) {
      if (this.scores !== null) gd = frameDots(g.data, h.data, frames, this.gradMask);
      scaleFrames(g.data, this.weights, g.data);
    }
    if (gd !== null && this.opts.learnedPruning) {
      const k = (2 * this.opts.learnedPruning.lambda * this.keepRateError) / frames;
      for (let r = 0; r < frames; r++) gd[r] = gd[r]! + k;
    }
    if (gd !== null && this.scorer?.source === "current") this.scorer.backward(gd, g.data);
    let gh = g;
    if (this.poolOp) gh = this.passBack(this.poolOp, gh, ctx);
    if (this.bn) gh = this.bn.backwardInPlace(gh, ctx);
    gh = this.passBack(this.synapse, gh, ctx);
    if (this.dropout && this.opts.inputGrad) gh = this.passBack(this.dropout, gh, ctx);
    if (gd !== null && this.scorer?.source === "input") this.scorer.backward(gd, this.opts.inputGrad ? gh.data : null);
    return gh;
  }

  private passBack(m: Module, g: Seq, ctx: Context): Seq {
    const r = m.backward(g, ctx);
    this.pool.release(g.data);
    return r;
  }

  /**
   * True when backward reads the dense values of this layer's input (dense synapse kernels, dropout): otherwise
   * the previous layer may drop its dense output once this forward is done (the spike list stays).
   */
  needsDenseInput(): boolean {
    return this.dropout !== null || this.synapse.lastPath === "dense";
  }

  /** How this layer decides its frames at evaluation (PrunedRunner and the stream runner read it too). */
  frameRule(): FrameRule {
    const lp = this.opts.learnedPruning;
    return {
      maskPolicy: this.maskPolicy,
      threshold: this.threshold,
      gapFloor: this.gapFloor,
      fallbackThreshold: lp ? (lp.evalThreshold ?? DEFAULT_EVAL_THRESHOLD) : null,
    };
  }

  /** m^n for this layer, or null for "keep all": sampled from d when learned pruning trains, else decideFrames. */
  private frameDecision(
    d: Float32Array | null,
    upstream: Uint8Array | null,
    T: number,
    B: number,
    ctx: Context,
    binary: boolean,
  ): Uint8Array | null {
    const index = this.opts.index;
    if (binary && ctx.training && index > 0 && this.maskPolicy === null && this.threshold === null) {
      const m = new Uint8Array(d!.length);
      for (let r = 0; r < d!.length; r++) m[r] = ctx.rng.uniform() < d![r]! ? 1 : 0;
      return m;
    }
    const input = { layer: index, scores: d, activity: this.activity, upstream, T, B };
    return decideFrames(this.frameRule(), input, this.opts.name);
  }

  /** λ(mean d − ρ)² of the last forward (0 without learned pruning). */
  auxLoss(): number {
    const lp = this.opts.learnedPruning;
    return lp && this.scores ? lp.lambda * this.keepRateError * this.keepRateError : 0;
  }

  /** d [T·B] of the last forward (null without a scorer). */
  lastScores(): Float32Array | null {
    return this.scores;
  }

  /** m^n [T·B] of the last forward (this layer's own decision; null = all kept). */
  lastLayerMask(): Uint8Array | null {
    return this.ownMask;
  }

  /** M^n [T·B] of the last forward (frames this layer computed; null = all). */
  lastMask(): Uint8Array | null {
    return this.mask;
  }

  /** Input spikes per frame [T·B] of the last forward. */
  lastActivity(): Float32Array {
    return this.activity;
  }

  counts(): LayerCounts {
    const { T, B } = this.dims;
    const frames = T * B;
    const executed = this.mask;
    let framesExecuted = 0;
    let sops = 0;
    for (let r = 0; r < frames; r++) {
      if (executed !== null && executed[r] === 0) continue;
      framesExecuted++;
      sops += this.activity[r]! * this.fanOutValue;
    }
    return {
      layer: this.opts.index,
      T,
      B,
      inputEvents: this.activity,
      fanOut: this.fanOutValue,
      outputSpikes: this.lif.spikesPerFrame(),
      neurons: this.outShape.reduce((a, b) => a * b, 1),
      executed,
      framesExecuted,
      frames,
      sops,
    };
  }

  parameters(): Param[] {
    const ps = [...this.synapse.parameters()];
    if (this.bn) ps.push(...this.bn.parameters());
    if (this.scorer) ps.push(...this.scorer.parameters());
    ps.push(...this.lif.parameters());
    return ps;
  }

  buffers(): Buffer[] {
    return this.bn ? this.bn.buffers() : [];
  }

  dispose(): void {
    this.synapse.dispose();
    this.bn?.dispose();
    this.poolOp?.dispose();
    this.dropout?.dispose();
    this.scorer?.dispose();
    this.lif.dispose();
    this.current = null;
  }
}

/** Input spikes (or summed input counts) per frame. */
export function inputActivity(x: Seq): Float32Array {
  const { frames, features } = seqDims(x);
  const a = new Float32Array(frames);
  const list = x.spikes;
  if (list) {
    for (let r = 0; r < frames; r++) a[r] = list.offsets[r + 1]! - list.offsets[r]!;
    return a;
  }
  for (let r = 0; r < frames; r++) {
    let s = 0;
    for (let i = r * features; i < (r + 1) * features; i++) s += Math.abs(x.data[i]!);
    a[r] = s;
  }
  return a;
}

function maskToWeights(mask: Uint8Array | null, frames: number): Float32Array {
  const w = new Float32Array(frames);
  for (let r = 0; r < frames; r++) w[r] = mask === null ? 1 : mask[r]!;
  return w;
}

/** out[r, :] = x[r, :] · w[r] (out may be x). */
function scaleFrames(x: Float32Array, w: Float32Array, out: Float32Array): void {
  const f = x.length / w.length;
  for (let r = 0; r < w.length; r++) {
    const k = w[r]!;
    for (let i = r * f; i < (r + 1) * f; i++) out[i] = x[i]! * k;
  }
}

/** gd[r] = M[r] · ⟨g[r, :], h[r, :]⟩ (M = null: all ones). */
function frameDots(g: Float32Array, h: Float32Array, frames: number, mask: Uint8Array | null): Float32Array {
  const f = g.length / frames;
  const gd = new Float32Array(frames);
  for (let r = 0; r < frames; r++) {
    if (mask !== null && mask[r] === 0) continue;
    let s = 0;
    for (let i = r * f; i < (r + 1) * f; i++) s += g[i]! * h[i]!;
    gd[r] = s;
  }
  return gd;
}

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
 * Sub-modules come from layer-builder.ts, SOP counts from layer-counts.ts.
 */
import type { BatchNorm } from "./batchnorm.js";
import { type BufferPool, newPool } from "./buffers.js";
import type { Conv2d } from "./conv2d.js";
import {
  combineMasks,
  DEFAULT_EVAL_THRESHOLD,
  decideFrames,
  type FrameRule,
  type FrameScorer,
  type MaskPolicy,
} from "./frame-gate.js";
import { buildLayerParts } from "./layer-builder.js";
import { executedSops, inputActivity, type LayerCounts } from "./layer-counts.js";
import type { SpikingLayerOptions } from "./layer-options.js";
import type { Lif } from "./lif.js";
import type { Linear } from "./linear.js";
import { type Buffer, type Context, type Module, type Param, type Seq, seqDims } from "./module.js";
import type { Pool2d } from "./pool2d.js";
import type { Dropout } from "./reshape.js";

export class SpikingLayer implements Module {
  readonly synapse: Conv2d | Linear;
  readonly bn: BatchNorm | null;
  readonly poolOp: Pool2d | null;
  readonly dropout: Dropout | null;
  readonly scorer: FrameScorer | null;
  readonly lif: Lif;
  /** per frame [C, H, W] or [F] of the output */
  readonly outShape: number[];
  /** mean number of synapses each input spike drives (exact for conv borders) */
  readonly fanOut: number;
  maskPolicy: MaskPolicy | null = null;
  threshold: number | null = null;
  gapFloor: number | null = null;
  private readonly pool: BufferPool;
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
    this.pool = opts.buffers ?? newPool();
    const parts = buildLayerParts(opts, this.pool);
    this.synapse = parts.synapse;
    this.bn = parts.bn;
    this.poolOp = parts.poolOp;
    this.dropout = parts.dropout;
    this.scorer = parts.scorer;
    this.lif = parts.lif;
    this.outShape = parts.outShape;
    this.fanOut = parts.fanOut;
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
    return {
      layer: this.opts.index,
      T,
      B,
      inputEvents: this.activity,
      fanOut: this.fanOut,
      outputSpikes: this.lif.spikesPerFrame(),
      neurons: this.outShape.reduce((a, b) => a * b, 1),
      executed: this.mask,
      ...executedSops(this.activity, this.mask, this.fanOut),
      frames: T * B,
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

/**
 * One spiking layer n of a network (method.md): S^n = LIF(Ĩ^n) with
 *   I = Pool(BN(Conv(Dropout(S^{n-1}))))   or   BN(Linear(Dropout(S^{n-1})))
 *   Ĩ = M^n ⊙ d ⊙ I,   M^n = M^{n-1} ⊙ m^n
 * d comes from the layer's frame scorer (Razor: from S^{n-1}; TA: from I; none: d = 1). m^n (layers n >= 2 only)
 * comes from the layer's frame policy (mask policy, else threshold θ_n on d plus the optional causal gap floor;
 * frame-gate.ts), else from Bernoulli(d) when training with learned pruning, else it is all ones. A dropped frame
 * gets zero current, bias included, so its neurons cannot fire and only decay.
 * Learned pruning (learned-pruning.ts): forward uses the binary mask alone (Ĩ = M ⊙ I), gradients pass straight
 * through to d, and a keep-rate target λ(mean d − ρ)² is added (its value: auxLoss()).
 * Sub-modules come from layer-builder.ts, the current and its buffers' lifetimes from current-path.ts, SOP counts
 * from layer-counts.ts.
 * Recomputation (`recompute`, training only): forward keeps its input, the frame decisions and the small saved
 * values (dropout mask, BN batch statistics, scores) and frees I, the stage outputs and u; backward first redoes
 * them with the same kernels, so its gradients are bit-identical to a run without recomputation.
 */
import { engine } from "../engine/current.js";
import type { BatchNorm } from "./batchnorm.js";
import { type BufferPool, newPool } from "./buffers.js";
import type { Conv2d } from "./conv2d.js";
import { CurrentPath } from "./current-path.js";
import {
  combineMasks,
  DEFAULT_EVAL_THRESHOLD,
  decideFrames,
  type FramePolicy,
  type FrameRule,
  type FrameScorer,
  type MaskPolicyInput,
  NO_FRAME_POLICY,
} from "./frame-gate.js";
import { frameDots, frameWeights } from "./frame-weights.js";
import { buildLayerParts } from "./layer-builder.js";
import { executedSops, inputActivity, type LayerCounts } from "./layer-counts.js";
import type { SpikingLayerOptions } from "./layer-options.js";
import { KeepRateTarget, sampleKeepMask } from "./learned-pruning.js";
import type { Lif } from "./lif.js";
import type { Linear } from "./linear.js";
import type { Buffer, Context, Module, Param, Seq } from "./module.js";
import type { Pool2d } from "./pool2d.js";
import type { Dropout } from "./reshape.js";
import { densify, restorable as inputRestorable } from "./spike-storage.js";

/** What the last forward decided and what backward reads from it. */
interface LastForward {
  T: number;
  B: number;
  /** input spikes per frame [T·B] */
  activity: Float32Array;
  /** I (its buffer is held only while the scores need it for their gradient) */
  current: Seq;
  /** d [T·B]; null without a scorer */
  scores: Float32Array | null;
  /** m^n (null = all kept) */
  ownMask: Uint8Array | null;
  /** M^n (null = all) */
  mask: Uint8Array | null;
  /** w [T·B] of Ĩ = w ⊙ I; null when I went to the LIF unscaled */
  weights: Float32Array | null;
  /** frames whose d gets a gradient (null = all) */
  gradMask: Uint8Array | null;
  /** the forward input, kept when the layer recomputes (null otherwise) */
  input: Seq | null;
  /** the input's f32 values can be written again from its spike bytes (spike-storage.ts) */
  restorable: boolean;
}

const NO_ACTIVITY = new Float32Array(0);

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
  /** free the layer's big buffers after a training forward and redo them before backward */
  recompute = false;
  private policy: FramePolicy = NO_FRAME_POLICY;
  private readonly pool: BufferPool;
  private readonly path: CurrentPath;
  private readonly keepRate: KeepRateTarget | null;
  private last: LastForward | null = null;

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
    this.path = new CurrentPath(parts, this.pool);
    this.keepRate = opts.learnedPruning ? new KeepRateTarget(opts.learnedPruning) : null;
  }

  /** The frame policy in force (immutable; change it with setFramePolicy). */
  get framePolicy(): FramePolicy {
    return this.policy;
  }

  /** A new frame policy: the given fields replace the current ones. */
  setFramePolicy(change: Partial<FramePolicy>): void {
    this.policy = Object.freeze({ ...this.policy, ...change });
  }

  /**
   * With `releaseInput`, the layer calls it as soon as x.data is dead (x is spikes whose bytes the layer keeps, in
   * training), so the caller can free the f32 copy before the layer's own buffers are allocated.
   */
  forward(x: Seq, ctx: Context, releaseInput?: () => void): Seq {
    const T = x.shape[0]!;
    const B = x.shape[1]!;
    const frames = T * B;
    const activity = inputActivity(x);
    const upstream = x.mask ?? null;
    let scores: Float32Array | null = null;
    if (this.scorer?.source === "input") scores = this.scorer.score(x, ctx);
    const restorable = inputRestorable(x);
    const current = this.path.forward(x, ctx, ctx.training && restorable ? releaseInput : undefined);
    const recompute = this.recompute && ctx.training;
    if (recompute) this.pool.trim(); // the BN output pooling has read: its bytes serve u and Ĩ
    if (this.scorer?.source === "current") scores = this.scorer.score(current, ctx);
    const straightThrough = this.keepRate !== null && scores !== null;
    const ownMask = this.frameDecision({ layer: this.opts.index, scores, activity, upstream, T, B }, ctx);
    const mask = combineMasks(upstream, ownMask);
    this.keepRate?.observe(straightThrough ? scores : null);
    const weights = frameWeights(mask, scores, frames, straightThrough);
    const gradMask = straightThrough ? upstream : mask;
    const input = recompute ? x : null;
    this.last = { T, B, activity, current, scores, ownMask, mask, weights, gradMask, input, restorable };
    const out = this.lifOn(current, weights, mask, (cur) => this.lif.forward(cur, ctx));
    if (recompute) this.dropState();
    else this.path.keepOutput(scores !== null);
    return out;
  }

  /** Runs `use` (a LIF pass) on Ĩ = w ⊙ I (I itself when w is null); Ĩ lives in a pool buffer only meanwhile. */
  private lifOn<R>(current: Seq, weights: Float32Array | null, mask: Uint8Array | null, use: (cur: Seq) => R): R {
    let cur = current;
    if (weights !== null) {
      const scaled = this.pool.acquire(current.data.length);
      engine().scaleRows(current.data, weights, scaled);
      cur = { data: scaled, shape: current.shape };
    }
    if (mask !== null) cur.mask = mask;
    else delete cur.mask;
    const out = use(cur);
    if (cur !== current) this.pool.release(cur.data);
    return out;
  }

  /**
   * Recomputation: hands I, the stage outputs and u back (replay makes them again), and the pool's free arrays to
   * the engine, so the next layer's buffers of other sizes can reuse their bytes.
   */
  private dropState(): void {
    this.path.releaseAll();
    this.lif.releaseState();
    this.pool.trim();
  }

  /** Recomputation, in backward once the LIF and the scores are through: I and u go back (the stages keep theirs). */
  private dropCurrent(): void {
    this.path.keepOutput(false);
    this.lif.releaseState();
    this.pool.trim();
  }

  /** Recomputation: I, the stage outputs and u of the last forward again, from its input and saved decisions. */
  private replay(last: LastForward, input: Seq, ctx: Context): void {
    this.pool.trim();
    // spike input: its f32 copy may be gone (only the bytes were kept); written again for a replay that reads it
    if (last.restorable && this.path.readsInputValues()) {
      const dense = densify(input, this.pool.acquire(input.data.length));
      last.current = this.path.replay(dense, ctx, () => {
        this.pool.release(dense.data);
        this.pool.trim();
      });
    } else {
      last.current = this.path.replay(input, ctx);
    }
    this.pool.trim();
    this.lifOn(last.current, last.weights, last.mask, (cur) => this.lif.replay(cur));
    this.path.keepOutput(last.scores !== null);
  }

  backward(gy: Seq, ctx: Context): Seq {
    return this.backwardFrom(gy, ctx, false);
  }

  /**
   * backward; with `consume` the layer hands gy's buffer back to the shared pool as soon as the LIF is through
   * with it (the model does this: it keeps one fewer gradient alive per layer).
   */
  backwardFrom(gy: Seq, ctx: Context, consume: boolean): Seq {
    const last = this.last;
    if (last === null) throw new Error(`${this.opts.name}: backward before forward`);
    if (last.input !== null) this.replay(last, last.input, ctx);
    const g = this.lif.backward(gy, ctx);
    if (consume) this.pool.release(gy.data);
    let gd: Float32Array | null = null;
    if (last.weights !== null) {
      if (last.scores !== null) gd = frameDots(g.data, last.current.data, last.T * last.B, last.gradMask);
      engine().scaleRows(g.data, last.weights, g.data);
    }
    // recomputation: u and I are read for the last time above; their bytes go to the gradients below
    if (last.input !== null) this.dropCurrent();
    if (gd !== null) this.keepRate?.addGradient(gd);
    if (gd !== null && this.scorer?.source === "current") this.scorer.backward(gd, g.data);
    const gh = this.path.backward(g, ctx, this.opts.inputGrad, last.input !== null);
    if (gd !== null && this.scorer?.source === "input") this.scorer.backward(gd, this.opts.inputGrad ? gh.data : null);
    if (last.input !== null) this.dropState();
    return gh;
  }

  /**
   * True when backward (or its replay) reads the dense values of this layer's input (dense synapse kernels,
   * dropout) and cannot restore them from the input's spike bytes: otherwise the previous layer may drop its dense
   * output once this forward is done (the spike list and bytes stay).
   */
  needsDenseInput(): boolean {
    if (this.last?.restorable === true) return false;
    return this.path.needsDenseInput();
  }

  /** How this layer decides its frames at evaluation (PrunedRunner and the stream runner read it too). */
  frameRule(): FrameRule {
    const lp = this.opts.learnedPruning;
    return { ...this.policy, fallbackThreshold: lp ? (lp.evalThreshold ?? DEFAULT_EVAL_THRESHOLD) : null };
  }

  /** m^n for this layer, or null for "keep all": sampled from d when learned pruning trains, else decideFrames. */
  private frameDecision(input: MaskPolicyInput, ctx: Context): Uint8Array | null {
    const { scores } = input;
    const sampled = this.keepRate !== null && scores !== null && ctx.training && input.layer > 0;
    if (sampled && this.policy.maskPolicy === null && this.policy.threshold === null) {
      return sampleKeepMask(scores, ctx.rng);
    }
    return decideFrames(this.frameRule(), input, this.opts.name);
  }

  /** λ(mean d − ρ)² of the last forward (0 without learned pruning). */
  auxLoss(): number {
    return this.keepRate?.loss() ?? 0;
  }

  /** d [T·B] of the last forward (null without a scorer). */
  lastScores(): Float32Array | null {
    return this.last?.scores ?? null;
  }

  /** m^n [T·B] of the last forward (this layer's own decision; null = all kept). */
  lastLayerMask(): Uint8Array | null {
    return this.last?.ownMask ?? null;
  }

  /** M^n [T·B] of the last forward (frames this layer computed; null = all). */
  lastMask(): Uint8Array | null {
    return this.last?.mask ?? null;
  }

  /** Input spikes per frame [T·B] of the last forward. */
  lastActivity(): Float32Array {
    return this.last?.activity ?? NO_ACTIVITY;
  }

  counts(): LayerCounts {
    const { T, B, activity, mask } = this.last ?? { T: 0, B: 0, activity: NO_ACTIVITY, mask: null };
    return {
      layer: this.opts.index,
      T,
      B,
      inputEvents: activity,
      fanOut: this.fanOut,
      outputSpikes: this.lif.spikesPerFrame(),
      neurons: this.outShape.reduce((a, b) => a * b, 1),
      executed: mask,
      ...executedSops(activity, mask, this.fanOut),
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
    this.last = null;
  }
}

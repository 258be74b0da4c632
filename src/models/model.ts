/** SnnModel: a stack of spiking layers built from a ModelConfig, with the frame-gating controls the trainer uses. */
import type { MaskPolicy } from "../nn/frame-gate.js";
import { type BufferPool, i32Slot, newPool } from "../nn/buffers.js";
import { eventDrivenThresholds } from "../nn/density.js";
import { countsToSpikeList } from "../nn/event-list.js";
import type { Buffer, Context, Param, Seq } from "../nn/module.js";
import type { LayerCounts } from "../nn/layer-counts.js";
import { SpikingLayer } from "../nn/spiking-layer.js";
import { Rng } from "../util/rng.js";
import type { ModelConfig } from "./config.js";

export interface ModelOptions {
  /** every LIF uses the surrogate's smooth function in place of the step (gradient tests only) */
  smoothTwin?: boolean;
}

export class SnnModel {
  readonly layers: SpikingLayer[];
  training = true;
  /** random stream for dropout and sampled masks (seeded from config.seed; reseed with setRng) */
  rng: Rng;
  private readonly pool: BufferPool;
  private readonly eventIdx = i32Slot();
  private readonly eventOffsets = i32Slot();

  constructor(
    readonly config: ModelConfig,
    options: ModelOptions = {},
  ) {
    const initRng = new Rng(config.seed);
    this.rng = new Rng(config.seed ^ 0x5eed);
    this.pool = newPool();
    const n = config.layers.length;
    let inShape = config.input.slice();
    this.layers = config.layers.map((spec, i) => {
      const gate = gateOf(config, i, n);
      const layer = new SpikingLayer({
        name: `layers.${i}`,
        index: i,
        inShape,
        T: config.frames.T,
        kind: spec.type,
        out: spec.out,
        ...(spec.kernel !== undefined && { kernel: spec.kernel }),
        ...(spec.stride !== undefined && { stride: spec.stride }),
        ...(spec.padding !== undefined && { padding: spec.padding }),
        ...(spec.bias !== undefined && { bias: spec.bias }),
        bn: spec.bn,
        pool: spec.pool ?? null,
        dropout: spec.dropout ?? 0,
        gate,
        ta: { r: config.ta.r },
        razor: { ...config.razor },
        learnedPruning: gate === "razor" ? config.razor.learnedPruning : null,
        lif: { ...config.lif, smoothTwin: options.smoothTwin ?? false },
        inputGrad: i > 0,
        rng: initRng,
        buffers: this.pool,
      });
      inShape = layer.outShape;
      return layer;
    });
    if (config.inference.thresholds) this.setThresholds(config.inference.thresholds);
    if (config.inference.gapFloor !== null) this.setGapFloor(config.inference.gapFloor);
  }

  /** x: [T, B, ...config.input] event-count frames. Returns the output layer's spikes [T, B, classes]. */
  forward(x: Seq, ctx?: Partial<Context>): Seq {
    const expect = this.config.input;
    if (x.shape.length !== 2 + expect.length || expect.some((v, i) => x.shape[2 + i] !== v)) {
      throw new Error(`${this.config.name}: expected input [T, B, ${expect.join(", ")}], got [${x.shape.join(", ")}]`);
    }
    const c: Context = { training: ctx?.training ?? this.training, rng: ctx?.rng ?? this.rng };
    let h = this.withEventList(x);
    this.layers.forEach((layer, i) => {
      // the previous layer's dense spikes are dead once this layer has run on their list or kept their bytes: their
      // bytes go back to the engine at once, so the rest of the step can use them
      const releaseInput = (): void => {
        this.layers[i - 1]!.lif.releaseOutput();
        this.pool.trim();
      };
      h = layer.forward(h, c, i > 0 ? releaseInput : undefined);
      if (i > 0 && c.training && !layer.needsDenseInput()) releaseInput();
    });
    return h;
  }

  /**
   * Gives count frames a spike list (each event listed once) when they are sparse enough for the encoder's
   * event-driven kernel; input that already has a list, or is not integer counts, is left as it is.
   */
  private withEventList(x: Seq): Seq {
    if (x.spikes) return x;
    const first = this.layers[0]!.opts;
    const threshold = first.kind === "conv" ? eventDrivenThresholds().conv : eventDrivenThresholds().linear;
    const frames = x.shape[0]! * x.shape[1]!;
    const rowLen = x.data.length / frames;
    const list = countsToSpikeList(
      x.data,
      frames,
      rowLen,
      Math.floor(threshold * x.data.length),
      this.eventIdx,
      this.eventOffsets,
      x.events,
    );
    return list === null ? x : { ...x, spikes: list };
  }

  /**
   * Backpropagates gy = dL/d(output spikes) [T, B, classes] through the last forward (training mode),
   * accumulating parameter gradients. gy stays the caller's.
   */
  backward(gy: Seq, ctx?: Partial<Context>): void {
    const c: Context = { training: true, rng: ctx?.rng ?? this.rng };
    let g = gy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      g = this.layers[i]!.backwardFrom(g, c, g !== gy);
      // layer i's input spikes (dense copy) are dead once layer i's backward is done; the output stays the caller's
      if (i > 0) this.layers[i - 1]!.lif.releaseOutput();
      // layer i's buffers (of sizes the layers below rarely share) go back to the engine for them to reuse
      this.pool.trim();
    }
    if (g.data.length > 0) this.pool.release(g.data);
  }

  /**
   * Which layers recompute their forward during backward (one entry per layer; see SpikingLayer.recompute): less
   * memory held between forward and backward, bit-identical gradients, one more forward per chosen layer.
   */
  setRecompute(which: readonly boolean[]): void {
    if (which.length !== this.layers.length) {
      throw new Error(`setRecompute: expected ${this.layers.length} entries (one per layer), got ${which.length}`);
    }
    this.layers.forEach((l, i) => {
      l.recompute = which[i]!;
    });
  }

  train(): this {
    this.training = true;
    return this;
  }

  eval(): this {
    this.training = false;
    return this;
  }

  parameters(): Param[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  buffers(): Buffer[] {
    return this.layers.flatMap((l) => l.buffers());
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad.fill(0);
  }

  /** Sum of auxiliary losses of the last forward (learned pruning's keep-rate targets); already in the gradients. */
  auxLoss(): number {
    return this.layers.reduce((a, l) => a + l.auxLoss(), 0);
  }

  /** θ_n per layer (index 0 is the encoder and is ignored); null entries or null clear them. */
  setThresholds(thresholds: readonly (number | null)[] | null): void {
    if (thresholds !== null && thresholds.length !== this.layers.length) {
      throw new Error(
        `setThresholds: expected ${this.layers.length} entries (one per layer), got ${thresholds.length}`,
      );
    }
    this.layers.forEach((l, i) => {
      l.setFramePolicy({ threshold: i === 0 || thresholds === null ? null : (thresholds[i] ?? null) });
    });
  }

  thresholds(): (number | null)[] {
    return this.layers.map((l) => l.framePolicy.threshold);
  }

  /** Causal gap floor G for every layer (null = off). */
  setGapFloor(g: number | null): void {
    for (const l of this.layers) l.setFramePolicy({ gapFloor: g });
  }

  /**
   * A policy deciding m^n in every layer n >= 2 (it overrides the thresholds while set); null removes it.
   * See MaskPolicy in nn/frame-gate.ts.
   */
  setMaskPolicy(policy: MaskPolicy | null): void {
    for (const l of this.layers) l.setFramePolicy({ maskPolicy: policy });
  }

  /** Per layer, d [T·B] of the last forward (null where the layer has no scorer). */
  scores(): (Float32Array | null)[] {
    return this.layers.map((l) => l.lastScores());
  }

  /** Per layer, M^n [T·B] of the last forward: the frames the layer computed (null = all). */
  masks(): (Uint8Array | null)[] {
    return this.layers.map((l) => l.lastMask());
  }

  /** Per layer, the layer's own m^n of the last forward (null = keeps all). */
  layerMasks(): (Uint8Array | null)[] {
    return this.layers.map((l) => l.lastLayerMask());
  }

  /** Per layer counts of the last forward (input events per frame, fan-out, frames executed, SOPs, spikes). */
  counts(): LayerCounts[] {
    return this.layers.map((l) => l.counts());
  }

  /** Returns all engine memory (parameters, buffers, activations) to the engine. */
  dispose(): void {
    for (const l of this.layers) l.dispose();
    this.eventIdx.free();
    this.eventOffsets.free();
    this.pool.clear();
  }
}

function gateOf(config: ModelConfig, i: number, n: number): "none" | "ta" | "razor" {
  const isLast = i === n - 1;
  if (config.variant === "ta") return config.ta.layers === "all" || (i > 0 && !isLast) ? "ta" : "none";
  if (config.variant === "razor") {
    if (i === 0) return "none";
    return isLast && config.razor.layers === "hidden" ? "none" : "razor";
  }
  return "none";
}

/**
 * Builds a spiking layer's sub-modules from its options: Dropout → Conv2d or Linear → BatchNorm → Pool2d make the
 * current, TA or Razor scores the frames, Lif fires. Parameters are drawn from opts.rng in this order (synapse,
 * then scorer), which checkpoints made from a seed depend on.
 */
import type { BufferPool } from "./buffers.js";
import { BatchNorm } from "./batchnorm.js";
import { Conv2d } from "./conv2d.js";
import type { FrameScorer } from "./frame-gate.js";
import { convGeometry, type SpikingLayerOptions } from "./layer-options.js";
import { Lif } from "./lif.js";
import { Linear } from "./linear.js";
import { Pool2d } from "./pool2d.js";
import { RazorScorer } from "./razor.js";
import { Dropout } from "./reshape.js";
import { TA_DEFAULTS, TemporalAttention } from "./temporal-attention.js";

export interface LayerParts {
  dropout: Dropout | null;
  synapse: Conv2d | Linear;
  bn: BatchNorm | null;
  poolOp: Pool2d | null;
  scorer: FrameScorer | null;
  lif: Lif;
  /** per frame [C, H, W] or [F] of the output */
  outShape: number[];
  /** mean number of synapses each input spike drives (exact for conv borders) */
  fanOut: number;
}

export function buildLayerParts(opts: SpikingLayerOptions, pool: BufferPool): LayerParts {
  const { name, inShape, rng } = opts;
  const dropout = opts.dropout ? new Dropout(opts.dropout, pool) : null;
  const { synapse, shape, fanOut } = buildSynapse(opts, pool);
  const bn = opts.bn ? new BatchNorm({ name: `${name}.bn`, channels: opts.out, buffers: pool }) : null;
  let outShape = shape;
  let poolOp: Pool2d | null = null;
  if (opts.pool) {
    if (opts.kind !== "conv") throw new Error(`${name}: pooling needs a conv layer`);
    poolOp = new Pool2d({ type: opts.pool.type, kernel: opts.pool.kernel, buffers: pool });
    outShape = poolOp.outFrameShape(shape);
  }
  let scorer: FrameScorer | null = null;
  if (opts.gate === "ta") {
    scorer = new TemporalAttention({ name: `${name}.ta`, T: opts.T, r: opts.ta?.r ?? TA_DEFAULTS.r, rng });
  } else if (opts.gate === "razor") {
    if (!opts.razor) throw new Error(`${name}: razor gate needs razor options`);
    scorer = new RazorScorer({ ...opts.razor, name: `${name}.razor`, channels: inShape[0]!, rng });
  }
  const lif = new Lif({ ...opts.lif, name: `${name}.lif`, buffers: pool });
  return { dropout, synapse, bn, poolOp, scorer, lif, outShape, fanOut };
}

/** The conv or linear synapse, the frame shape it outputs and its fan-out. */
function buildSynapse(
  opts: SpikingLayerOptions,
  pool: BufferPool,
): { synapse: Conv2d | Linear; shape: number[]; fanOut: number } {
  const { name, inShape, rng, inputGrad } = opts;
  const bias = opts.bias ?? true;
  if (opts.kind === "conv") {
    if (inShape.length !== 3) throw new Error(`${name}: a conv layer needs [C, H, W] input, got [${inShape}]`);
    const conv = new Conv2d({
      name: `${name}.conv`,
      inChannels: inShape[0]!,
      outChannels: opts.out,
      ...convGeometry(opts),
      bias,
      inputGrad,
      rng,
      buffers: pool,
    });
    return { synapse: conv, shape: conv.outFrameShape(inShape), fanOut: conv.fanOut(inShape) };
  }
  const linear = new Linear({
    name: `${name}.fc`,
    inFeatures: inShape.reduce((a, b) => a * b, 1),
    outFeatures: opts.out,
    bias,
    inputGrad,
    rng,
    buffers: pool,
  });
  return { synapse: linear, shape: [opts.out], fanOut: opts.out };
}

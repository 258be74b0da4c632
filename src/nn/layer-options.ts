/** What a spiking layer is built from (models/config.ts derives a config layer's defaults from here). */
import type { Rng } from "../util/rng.js";
import type { BufferPool } from "./buffers.js";
import type { LearnedPruningOptions } from "./learned-pruning.js";
import type { LifOptions } from "./lif.js";
import type { RazorSettings } from "./razor.js";
import type { TemporalAttentionOptions } from "./temporal-attention.js";

/** The structure of one layer as a model config writes it (models/config.ts LayerSpec adds its kind). */
export interface LayerStructure {
  out: number;
  /** conv only; defaults from convGeometry */
  kernel?: number;
  stride?: number;
  padding?: number;
  /** default true */
  bias?: boolean;
  bn: boolean;
  /** pooling after BN (conv only) */
  pool?: { type: "avg" | "max"; kernel: number } | null;
  /** dropout probability on the layer's input (one mask per sequence; training only) */
  dropout?: number;
}

export interface SpikingLayerOptions extends LayerStructure {
  /** checkpoint prefix, e.g. "layers.0" */
  name: string;
  /** 0-based position in the network (layer n = index + 1; masks apply from index 1) */
  index: number;
  /** one input frame: [C, H, W] or [F] */
  inShape: number[];
  /** frames per sample (only TA depends on it) */
  T: number;
  kind: "conv" | "fc";
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

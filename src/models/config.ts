/**
 * Model configuration: the network of one dataset in one variant, with every hyper-parameter. Config files live in
 * configs/<name>.json (loaded by config-file.ts in Node); this file merges overrides and validates, and runs in
 * the browser too (a checkpoint carries its resolved config).
 */
import { convOutSize } from "../engine/api.js";
import { DEFAULT_EVAL_THRESHOLD } from "../nn/frame-gate.js";
import { LIF_DEFAULTS, type LifSettings } from "../nn/lif.js";
import { RAZOR_DEFAULTS, type RazorSettings } from "../nn/razor.js";
import { convGeometry, type LayerStructure } from "../nn/layer-options.js";
import type { LearnedPruningOptions } from "../nn/learned-pruning.js";
import { TA_DEFAULTS } from "../nn/temporal-attention.js";

/** The learning-rate schedules the trainer knows (src/train/schedule.ts). */
export const LR_SCHEDULES = ["plateau", "cosine"] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

export type Variant = "snn" | "ta" | "razor";

export interface LayerSpec extends LayerStructure {
  type: "conv" | "fc";
}

export interface ModelConfig {
  name: string;
  dataset: string;
  variant: Variant;
  /** one input frame: [C, H, W] event counts or [F] channels */
  input: number[];
  classes: number;
  /** preprocessing the model was built for (read by data/train/infer; T is also TA's size) */
  frames: {
    T: number;
    /** frame duration in ms for "time-window" framing (null for "spread") */
    dtMs: number | null;
    /** "time-window": frames of fixed dt (can stream); "spread": T bins over the whole recording */
    mode: "time-window" | "spread";
    /** spatial downsampling factor (sum of factor×factor blocks), 1 = none */
    downsample: number;
    [extra: string]: unknown;
  };
  layers: LayerSpec[];
  lif: LifSettings;
  ta: {
    /** reduction ratio (default TA_DEFAULTS.r) */
    r: number;
    /** "all": every layer (reference code); "hidden": layers 2..N-1 */
    layers: "all" | "hidden";
  };
  razor: RazorSettings & {
    /** "hidden": layers 2..N-1 (the output layer takes the previous mask); "all": layers 2..N */
    layers: "hidden" | "all";
    /**
     * train with sampled binary masks (straight-through) and a keep-rate target; null = off. evalThreshold is
     * filled in (DEFAULT_EVAL_THRESHOLD) when absent.
     */
    learnedPruning: Required<LearnedPruningOptions> | null;
  };
  /** evaluation-time frame dropping */
  inference: {
    /** θ per layer (index 0 = encoder, ignored); null entries or null = no threshold */
    thresholds: (number | null)[] | null;
    /** causal gap floor G (never more than G dropped frames in a row), null = off */
    gapFloor: number | null;
  };
  /** defaults for the trainer */
  train: {
    lr: number;
    batch: number;
    epochs: number;
    loss: "mse" | "ce";
    weightDecay: number;
    plateauPatience: number;
    plateauFactor: number;
    /** "plateau": ×plateauFactor when the training loss stalls; "cosine": cosine annealing to 0 over the epochs */
    schedule: LrScheduleName;
    [extra: string]: unknown;
  };
  seed: number;
}

export type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * Shared defaults (method.md); a config file only needs what differs. The neuron, TA and Razor defaults are nn's
 * (written once there); the keys of these sections are also the keys a config may use (checkKeys).
 */
export const COMMON_DEFAULTS: Omit<ModelConfig, "name" | "dataset" | "input" | "classes" | "frames" | "layers"> = {
  variant: "razor",
  lif: { ...LIF_DEFAULTS },
  ta: { ...TA_DEFAULTS, layers: "all" },
  razor: { ...RAZOR_DEFAULTS, layers: "hidden", learnedPruning: null },
  inference: { thresholds: null, gapFloor: null },
  train: {
    lr: 1e-3,
    batch: 32,
    epochs: 100,
    loss: "mse",
    weightDecay: 0,
    plateauPatience: 5,
    plateauFactor: 0.1,
    schedule: "plateau",
  },
  seed: 1,
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out as T;
}

/**
 * Parses CLI-style overrides "razor.K=8", "layers.0.out=32", "inference.thresholds=[null,0.4,0.5]" into a nested
 * object (values are JSON when they parse, else strings).
 */
export function parseOverrides(items: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`config override "${item}": expected path=value, e.g. razor.K=8`);
    const path = item.slice(0, eq).split(".");
    const raw = item.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return root;
}

/**
 * Applies overrides to a config; numeric keys address array entries ({layers: {"0": {out: 32}}} changes only the
 * first layer), arrays given whole replace arrays.
 */
export function applyOverrides(config: unknown, overrides: unknown): unknown {
  if (Array.isArray(config) && isPlainObject(overrides) && Object.keys(overrides).every((k) => /^\d+$/.test(k))) {
    const out = config.slice();
    for (const [k, v] of Object.entries(overrides)) out[Number(k)] = applyOverrides(out[Number(k)], v);
    return out;
  }
  if (isPlainObject(config) && isPlainObject(overrides)) {
    const out: Record<string, unknown> = { ...config };
    for (const [k, v] of Object.entries(overrides)) out[k] = applyOverrides(out[k], v);
    return out;
  }
  return overrides === undefined ? config : overrides;
}

/** Fills defaults, applies overrides and validates; errors name the config and the field. */
export function resolveModelConfig(raw: unknown, overrides: unknown = {}, source = "model config"): ModelConfig {
  if (!isPlainObject(raw)) throw new Error(`${source}: expected a JSON object`);
  const merged = applyOverrides(deepMerge(COMMON_DEFAULTS, raw), overrides) as ModelConfig;
  // learned pruning is off by default, so its one default is filled in only when it is turned on
  const lp = isPlainObject(merged.razor) ? merged.razor.learnedPruning : null;
  if (isPlainObject(lp) && lp.evalThreshold === undefined) {
    merged.razor = { ...merged.razor, learnedPruning: { ...lp, evalThreshold: DEFAULT_EVAL_THRESHOLD } };
  }
  validate(merged, source);
  return merged;
}

function validate(c: ModelConfig, source: string): void {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new Error(`${source}: ${field} must be ${expected} (got ${JSON.stringify(got)})`);
  };
  const posInt = (field: string, v: unknown): void => {
    if (!(typeof v === "number" && Number.isInteger(v) && v >= 1)) fail(field, "an integer >= 1", v);
  };
  const num = (field: string, v: unknown, lo = -Infinity, hi = Infinity): void => {
    if (!(typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi))
      fail(field, `a number in [${lo}, ${hi}]`, v);
  };
  const oneOf = (field: string, v: unknown, options: readonly unknown[]): void => {
    if (!options.includes(v)) fail(field, `one of ${options.map((o) => JSON.stringify(o)).join(", ")}`, v);
  };
  checkKeys(c, fail);
  if (typeof c.name !== "string") fail("name", "a string", c.name);
  oneOf("variant", c.variant, ["snn", "ta", "razor"]);
  if (!Array.isArray(c.input) || (c.input.length !== 1 && c.input.length !== 3)) {
    fail("input", "[C, H, W] or [F]", c.input);
  }
  c.input.forEach((v, i) => {
    posInt(`input[${i}]`, v);
    if (v > LIMITS.side) fail(`input[${i}]`, `at most ${LIMITS.side}`, v);
  });
  const frameSize = c.input.reduce((a, b) => a * b, 1);
  if (frameSize > LIMITS.frameSize) fail("input", `at most ${LIMITS.frameSize} values per frame`, c.input);
  posInt("classes", c.classes);
  if (c.classes > LIMITS.width) fail("classes", `at most ${LIMITS.width}`, c.classes);
  if (!isPlainObject(c.frames)) fail("frames", "an object", c.frames);
  posInt("frames.T", c.frames.T);
  if (c.frames.T > LIMITS.T) fail("frames.T", `at most ${LIMITS.T}`, c.frames.T);
  if (c.frames.trainSlice !== undefined)
    oneOf("frames.trainSlice", c.frames.trainSlice, ["first", "random-consecutive"]);
  if (c.frames.testClips !== undefined) posInt("frames.testClips", c.frames.testClips);
  oneOf("frames.mode", c.frames.mode, ["time-window", "spread"]);
  if (c.frames.mode === "time-window") num("frames.dtMs", c.frames.dtMs, 1e-6);
  posInt("frames.downsample", c.frames.downsample);
  if (!Array.isArray(c.layers) || c.layers.length === 0) fail("layers", "a non-empty array", c.layers);
  let spatial = c.input.length === 3;
  c.layers.forEach((l, i) => {
    const f = `layers[${i}]`;
    if (!isPlainObject(l)) fail(f, "an object", l);
    oneOf(`${f}.type`, l.type, ["conv", "fc"]);
    posInt(`${f}.out`, l.out);
    if (l.out > LIMITS.width) fail(`${f}.out`, `at most ${LIMITS.width}`, l.out);
    if (typeof l.bn !== "boolean") fail(`${f}.bn`, "true or false", l.bn);
    if (l.type === "conv") {
      if (!spatial) fail(`${f}.type`, '"fc" after an fc layer or for [F] input', l.type);
      if (l.kernel !== undefined) posInt(`${f}.kernel`, l.kernel);
      if (l.stride !== undefined) posInt(`${f}.stride`, l.stride);
      if (l.padding !== undefined) num(`${f}.padding`, l.padding, 0);
    } else {
      spatial = false;
      if (l.pool) fail(`${f}.pool`, "absent for an fc layer", l.pool);
    }
    if (l.pool) {
      oneOf(`${f}.pool.type`, l.pool.type, ["avg", "max"]);
      posInt(`${f}.pool.kernel`, l.pool.kernel);
    }
    if (l.dropout !== undefined) num(`${f}.dropout`, l.dropout, 0, 0.999);
  });
  checkShapes(c, fail);
  if (c.layers[c.layers.length - 1]!.out !== c.classes) {
    fail(`layers[${c.layers.length - 1}].out`, `the number of classes (${c.classes})`, c.layers.at(-1)!.out);
  }
  // α < 1: with α = 1 the soft reset leaves H = Vth, so a frame with no input would fire (U >= Vth), and pruned
  // inference could no longer skip dropped frames
  num("lif.alpha", c.lif.alpha, 0, 0.999999);
  num("lif.vth", c.lif.vth, 1e-9);
  oneOf("lif.surrogate", c.lif.surrogate, ["rect", "sigmoid", "atan"]);
  num("lif.surrogateWidth", c.lif.surrogateWidth, 1e-9);
  oneOf("lif.reset", c.lif.reset, ["soft", "hard"]);
  posInt("ta.r", c.ta.r);
  oneOf("ta.layers", c.ta.layers, ["all", "hidden"]);
  posInt("razor.K", c.razor.K);
  posInt("razor.window", c.razor.window);
  num("razor.tau", c.razor.tau, 1e-9);
  num("razor.activityEps", c.razor.activityEps, 1e-12);
  num("razor.lrScale", c.razor.lrScale, 0);
  oneOf("razor.init", c.razor.init, ["abs-normal", "data"]);
  oneOf("razor.layers", c.razor.layers, ["hidden", "all"]);
  const lp = c.razor.learnedPruning;
  if (lp !== null) {
    num("razor.learnedPruning.lambda", lp.lambda, 0);
    num("razor.learnedPruning.rho", lp.rho, 0, 1);
    num("razor.learnedPruning.evalThreshold", lp.evalThreshold, 0, 1);
  }
  const th = c.inference.thresholds;
  if (th !== null) {
    if (!Array.isArray(th) || th.length !== c.layers.length) {
      fail("inference.thresholds", `null or an array of ${c.layers.length} entries (one per layer)`, th);
    }
    th.forEach((v, i) => {
      if (v !== null) num(`inference.thresholds[${i}]`, v);
    });
  }
  if (c.inference.gapFloor !== null) posInt("inference.gapFloor", c.inference.gapFloor);
  num("train.lr", c.train.lr, 1e-12);
  posInt("train.batch", c.train.batch);
  posInt("train.epochs", c.train.epochs);
  oneOf("train.schedule", c.train.schedule, LR_SCHEDULES);
  num("seed", c.seed);
}

/**
 * Sizes beyond which a config cannot be a real network of this project (and would only exhaust memory before
 * failing): they bound everything a checkpoint's metadata can make the loader allocate.
 */
export const LIMITS = {
  /** one input dimension (event coordinates are 16-bit) */
  side: 65535,
  /** values in one input frame: 2 × 2048 × 2048 */
  frameSize: 2 * 2048 * 2048,
  /** frames per sample */
  T: 100000,
  /** channels or features of one layer */
  width: 65536,
  /** weights of one layer (2^28 float32 = 1 GiB, a quarter of the wasm32 memory) */
  weights: 2 ** 28,
};

type Fail = (field: string, expected: string, got: unknown) => never;

const LAYER_KEYS = ["type", "out", "kernel", "stride", "padding", "bias", "bn", "pool", "dropout"];
// frames.resize: a note on how recordings of other sizes are fitted (N-Caltech101), read by no code
const FRAME_KEYS = ["T", "dtMs", "mode", "downsample", "trainSlice", "testClips", "resize"];
const TOP_KEYS = ["name", "dataset", "input", "classes", "frames", "layers", ...Object.keys(COMMON_DEFAULTS)];

/** Every key must be one the project reads: a typo (or `--set nosuch.key=5`) is an error, not silently ignored. */
function checkKeys(c: ModelConfig, fail: Fail): void {
  const only = (field: string, obj: unknown, keys: readonly string[]): void => {
    if (!isPlainObject(obj)) return;
    for (const k of Object.keys(obj)) {
      if (!keys.includes(k))
        fail(`${field === "" ? "" : `${field}.`}${k}`, `one of the known keys (${keys.join(", ")})`, obj[k]);
    }
  };
  only("", c, TOP_KEYS);
  only("frames", c.frames, FRAME_KEYS);
  for (const section of ["lif", "ta", "razor", "inference"] as const) {
    only(section, c[section], Object.keys(COMMON_DEFAULTS[section]));
  }
  // train.split: the split protocol, as a note (CIFAR10-DVS has no official split)
  only("train", c.train, [...Object.keys(COMMON_DEFAULTS.train), "split"]);
  only("razor.learnedPruning", c.razor?.learnedPruning, ["lambda", "rho", "evalThreshold"]);
  if (Array.isArray(c.layers)) {
    c.layers.forEach((l, i) => {
      only(`layers[${i}]`, l, LAYER_KEYS);
      only(`layers[${i}].pool`, l?.pool, ["type", "kernel"]);
    });
  }
}

/** Follows the frame shape through every layer: each output is non-empty and no layer's weights exceed the limit. */
function checkShapes(c: ModelConfig, fail: Fail): void {
  let shape = c.input.slice();
  c.layers.forEach((l, i) => {
    const f = `layers[${i}]`;
    const fanIn = shape.reduce((a, b) => a * b, 1);
    if (l.type === "conv") {
      const { kernel: k, stride, padding } = convGeometry(l);
      const side = (n: number): number => convOutSize(n, k, stride, padding);
      const [cin, h, w] = shape as [number, number, number];
      if (cin * k * k * l.out > LIMITS.weights) fail(`${f}.out`, `small enough for ${LIMITS.weights} weights`, l.out);
      shape = [l.out, side(h), side(w)];
      if (l.pool) shape = [l.out, Math.floor(shape[1]! / l.pool.kernel), Math.floor(shape[2]! / l.pool.kernel)];
      if (shape[1]! < 1 || shape[2]! < 1) fail(f, `a layer whose output is not empty (input ${h}×${w})`, l);
    } else {
      if (fanIn * l.out > LIMITS.weights)
        fail(`${f}.out`, `small enough for ${LIMITS.weights} weights (fan-in ${fanIn})`, l.out);
      shape = [l.out];
    }
  });
}

/**
 * Threshold sweep for Razor and TA models: for each target drop rate, one θ per module layer is chosen on a
 * calibration (validation) split, the model is evaluated with those thresholds, and the three controls run at the
 * per-layer drop rates Razor actually reached on the evaluation data (random frames, fixed stride, event-count
 * gate). Optional: the causal gap floor and per-sample top-k (offline only).
 */
import type { LabelledData } from "../data/data-api.js";
import { type Efficiency, EfficiencyMeter, layerDropShares } from "../infer/efficiency.js";
import { evaluate } from "../train/evaluate.js";
import { CONTROLS, type ControlName, controlPolicy, thresholdPolicy, topKPolicy } from "./mask-policies.js";
import type { PrunableModel } from "../models/model-api.js";
import type { MaskPolicy } from "../nn/frame-gate.js";
import { derivedRng } from "../data/seeds.js";

export interface PolicyRun {
  accuracy: number;
  n: number;
  /** per spiking layer (0 = the encoder, never dropped): share of frames dropped */
  dropPerLayer: number[];
  /** over the layers after the encoder */
  dropOverall: number;
  efficiency: Efficiency;
  seconds: number;
}

export interface SweepPoint {
  target: number;
  /** θ per spiking layer (null: no threshold there) */
  thetas: (number | null)[];
  pruned: PolicyRun;
  controls: Partial<Record<ControlName, PolicyRun>>;
  topK?: PolicyRun;
}

export interface SweepResult {
  method: string;
  gapFloor: number | null;
  calibration: string;
  baseline: PolicyRun;
  points: SweepPoint[];
  /** per method: the largest overall drop share whose accuracy stays within `tolerance` of the baseline */
  withinTolerance: Record<string, number>;
  tolerance: number;
}

export interface SweepOptions {
  batchSize: number;
  /** target per-layer drop rates */
  targets: number[];
  /** where θ is chosen; null = on the evaluation data itself (reported as such) */
  calibration: LabelledData | null;
  gapFloor?: number | null;
  topK?: boolean;
  controls?: ControlName[];
  seed?: number;
  /** accuracy drop allowed for the summary (default 0.02 = 2 points) */
  tolerance?: number;
  method?: string;
  onProgress?: (msg: string) => void;
}

/** Evaluates with a mask policy (null: every frame kept, whatever thresholds the model holds) and collects efficiency figures. */
export async function runPolicy(
  model: PrunableModel,
  data: LabelledData,
  policy: MaskPolicy | null,
  batchSize: number,
): Promise<PolicyRun> {
  const meter = new EfficiencyMeter();
  model.setMaskPolicy(policy ?? keepAll);
  const start = Date.now();
  try {
    const r = await evaluate(model, data, {
      batchSize,
      onBatch: (idx) => meter.add(model.counts(), idx.length),
    });
    const eff = meter.result();
    return {
      accuracy: r.accuracy,
      n: r.n,
      dropPerLayer: layerDropShares(eff),
      dropOverall: eff.dropShare,
      efficiency: eff,
      seconds: (Date.now() - start) / 1000,
    };
  } finally {
    model.setMaskPolicy(null);
  }
}

/** Keeps every frame (overrides any thresholds stored in the model). */
const keepAll: MaskPolicy = () => null;

/** Spiking layers that produce scores (Razor or TA modules), found with one batch. */
export async function scoredLayers(model: PrunableModel, data: LabelledData, batchSize: number): Promise<number[]> {
  const layers = new Set<number>();
  model.setMaskPolicy((inp) => {
    if (inp.scores !== null) layers.add(inp.layer);
    return null;
  });
  try {
    await evaluate(model, data, {
      batchSize,
      indices: Int32Array.from({ length: Math.min(data.size, batchSize) }, (_, i) => i),
    });
  } finally {
    model.setMaskPolicy(null);
  }
  return [...layers].sort((a, b) => a - b);
}

/**
 * Chooses θ_n layer by layer so that each scored layer's total drop share (frames dropped upstream included) is
 * `rate` on the calibration data: layer n's scores are collected with the thresholds of the layers before it
 * already applied. Returns θ per spiking layer (null for layers without scores).
 */
export async function chooseThresholds(
  model: PrunableModel,
  data: LabelledData,
  rate: number,
  batchSize: number,
  gapFloor: number | null = null,
  layers?: number[],
): Promise<(number | null)[]> {
  const scored = layers ?? (await scoredLayers(model, data, batchSize));
  const thetas: (number | null)[] = [];
  for (const n of scored) {
    const kept: number[] = [];
    let frames = 0;
    let upstreamDropped = 0;
    const base = thresholdPolicy(thetas, gapFloor);
    const collect: MaskPolicy = (inp) => {
      if (inp.layer === n && inp.scores !== null) {
        for (let i = 0; i < inp.T * inp.B; i++) {
          frames++;
          if (inp.upstream === null || inp.upstream[i] !== 0) kept.push(inp.scores[i]);
          else upstreamDropped++;
        }
      }
      return base(inp);
    };
    model.setMaskPolicy(collect);
    try {
      await evaluate(model, data, { batchSize });
    } finally {
      model.setMaskPolicy(null);
    }
    kept.sort((a, b) => a - b);
    const extra = Math.round(rate * frames) - upstreamDropped;
    let theta: number;
    if (extra <= 0 || kept.length === 0) theta = Number.NEGATIVE_INFINITY;
    else if (extra >= kept.length) theta = Number.POSITIVE_INFINITY;
    else theta = thresholdForDrops(kept, extra);
    while (thetas.length < n) thetas.push(null);
    thetas[n] = theta;
  }
  return thetas;
}

/**
 * θ such that the number of sorted scores below θ (frames with d < θ drop) is as close as possible to `drops`;
 * tied scores (e.g. every empty frame scores the same) make some counts unreachable.
 */
export function thresholdForDrops(sorted: number[], drops: number): number {
  const v = sorted[drops];
  let below = drops;
  while (below > 0 && sorted[below - 1] === v) below--;
  let atOrBelow = drops;
  while (atOrBelow < sorted.length && sorted[atOrBelow] === v) atOrBelow++;
  if (atOrBelow - drops < drops - below) {
    return atOrBelow < sorted.length ? sorted[atOrBelow] : Number.POSITIVE_INFINITY;
  }
  return v;
}

export async function thresholdSweep(
  model: PrunableModel,
  data: LabelledData,
  opts: SweepOptions,
): Promise<SweepResult> {
  const gapFloor = opts.gapFloor ?? null;
  const controls = opts.controls ?? CONTROLS;
  const tolerance = opts.tolerance ?? 0.02;
  const seed = opts.seed ?? 1;
  const calib = opts.calibration ?? data;
  const say = opts.onProgress ?? (() => {});
  const baseline = await runPolicy(model, data, null, opts.batchSize);
  const scored = await scoredLayers(model, calib, opts.batchSize);
  if (scored.length === 0)
    throw new Error("the model has no Razor or TA scores to threshold (a plain SNN cannot be swept)");
  say(`unpruned: accuracy ${baseline.accuracy.toFixed(3)}`);
  const points: SweepPoint[] = [];
  for (const [pi, target] of opts.targets.entries()) {
    const thetas = await chooseThresholds(model, calib, target, opts.batchSize, gapFloor, scored);
    const pruned = await runPolicy(model, data, thresholdPolicy(thetas, gapFloor), opts.batchSize);
    const point: SweepPoint = { target, thetas, pruned, controls: {} };
    for (const [ci, c] of controls.entries()) {
      const policy = controlPolicy(c, pruned.dropPerLayer, derivedRng(seed, pi, ci));
      point.controls[c] = await runPolicy(model, data, policy, opts.batchSize);
    }
    if (opts.topK === true) point.topK = await runPolicy(model, data, topKPolicy(1 - target), opts.batchSize);
    say(
      `target ${target.toFixed(2)}: dropped ${pruned.dropOverall.toFixed(3)} acc ${pruned.accuracy.toFixed(3)} | ` +
        controls.map((c) => `${c} ${point.controls[c]!.accuracy.toFixed(3)}`).join(" "),
    );
    points.push(point);
  }
  const methods = [opts.method ?? "pruned", ...controls, ...(opts.topK === true ? ["topK"] : [])];
  const withinTolerance: Record<string, number> = {};
  for (const m of methods) {
    let best = 0;
    for (const p of points) {
      const run = m === (opts.method ?? "pruned") ? p.pruned : m === "topK" ? p.topK : p.controls[m as ControlName];
      if (run !== undefined && run.accuracy >= baseline.accuracy - tolerance - 1e-12)
        best = Math.max(best, run.dropOverall);
    }
    withinTolerance[m] = best;
  }
  return {
    method: opts.method ?? "pruned",
    gapFloor,
    calibration: opts.calibration === null ? "thresholds chosen on the evaluation data itself" : "validation split",
    baseline,
    points,
    withinTolerance,
    tolerance,
  };
}

/** Default targets: 0, 10 %, ..., 90 %. */
export const DEFAULT_TARGETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

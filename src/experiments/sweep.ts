/**
 * Threshold sweep for Razor and TA models: for each target drop rate, one θ per module layer is chosen on a
 * calibration (validation) split, the model is evaluated with those thresholds, and the three controls run at the
 * per-layer drop rates Razor actually reached on the evaluation data (random frames, fixed stride, event-count
 * gate). Optional: the causal gap floor, per-sample top-k (offline only), and wall-clock timing of every policy on
 * the event-driven and the dense kernels.
 *
 * Calibration schedules (per-layer total drop rates for a target t, over the K scored layers):
 * - "hierarchical" (the paper's method): deeper layers drop more, keep rates (1 − t)^(2(k+1)/(K+1)) for scored
 *   layer k = 0..K−1, so the exponents average 1 and the mean per-layer drop rate stays near t;
 * - "first-layer": every layer at the same total rate t, so only the first scored layer drops frames and the later
 *   ones inherit its mask (the earlier behaviour, kept for comparison).
 */
import type { LabelledData } from "../data/data-api.js";
import { type Efficiency, EfficiencyMeter, layerDropShares } from "../infer/efficiency.js";
import { evaluate } from "../train/evaluate.js";
import { CONTROLS, type ControlName, controlPolicy, thresholdPolicy, topKPolicy } from "./mask-policies.js";
import type { PrunableModel } from "../models/model-api.js";
import type { MaskPolicy } from "../nn/frame-gate.js";
import { derivedRng } from "../data/seeds.js";
import type { PolicyTimer, PolicyTiming } from "./policy-timing.js";

export type CalibrationSchedule = "hierarchical" | "first-layer";
export const SCHEDULES: CalibrationSchedule[] = ["hierarchical", "first-layer"];

export interface PolicyRun {
  accuracy: number;
  n: number;
  /** per spiking layer (0 = the encoder, never dropped): share of frames dropped */
  dropPerLayer: number[];
  /** over the layers after the encoder */
  dropOverall: number;
  /** share of the SOPs of the layers after the encoder saved against the unpruned run (set by the sweep) */
  sopsDropped?: number;
  efficiency: Efficiency;
  seconds: number;
  /** wall clock on one batch, masked against unmasked (when the sweep times policies) */
  timing?: PolicyTiming;
}

export interface SweepPoint {
  target: number;
  /** per scored layer: the total drop rate θ was calibrated for */
  rates: number[];
  /** θ per spiking layer (null: no threshold there) */
  thetas: (number | null)[];
  pruned: PolicyRun;
  /** accuracy with these thresholds on the calibration split (what chooses an operating point) */
  calibrationAccuracy?: number;
  controls: Partial<Record<ControlName, PolicyRun>>;
  topK?: PolicyRun;
}

export interface SweepResult {
  method: string;
  schedule: CalibrationSchedule;
  gapFloor: number | null;
  calibration: string;
  baseline: PolicyRun;
  /** unpruned accuracy on the calibration split */
  calibrationBaseline?: number;
  /**
   * the operating point chosen on the calibration split: the point with most work dropped whose calibration
   * accuracy stays within `tolerance` of the unpruned calibration accuracy (null without a separate split)
   */
  chosen: number | null;
  points: SweepPoint[];
  /** per method: the largest overall drop share whose accuracy stays within `tolerance` of the baseline */
  withinTolerance: Record<string, number>;
  tolerance: number;
}

export interface SweepOptions {
  batchSize: number;
  /** target drop rates (mean over the scored layers) */
  targets: number[];
  /** how the target is spread over the layers (default hierarchical) */
  schedule?: CalibrationSchedule;
  /** times every policy on a fixed batch (event-driven and dense kernels) */
  timer?: PolicyTimer;
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

/** Per scored layer: the total drop rate for `target` under `schedule` (see the header). */
export function layerRates(target: number, count: number, schedule: CalibrationSchedule): number[] {
  if (!(target >= 0 && target < 1)) throw new RangeError(`sweep target ${target}: expected 0 <= target < 1`);
  if (schedule === "first-layer" || count === 1) return Array.from({ length: count }, () => target);
  return Array.from({ length: count }, (_, k) => 1 - (1 - target) ** ((2 * (k + 1)) / (count + 1)));
}

/**
 * Chooses θ_n layer by layer so that each scored layer's total drop share (frames dropped upstream included) is
 * its rate on the calibration data (`rate`: one for all, or one per scored layer): layer n's scores are collected
 * with the thresholds of the layers before it already applied. Returns θ per spiking layer (null for layers
 * without scores).
 */
export async function chooseThresholds(
  model: PrunableModel,
  data: LabelledData,
  rate: number | number[],
  batchSize: number,
  gapFloor: number | null = null,
  layers?: number[],
): Promise<(number | null)[]> {
  const scored = layers ?? (await scoredLayers(model, data, batchSize));
  if (Array.isArray(rate) && rate.length !== scored.length)
    throw new RangeError(`chooseThresholds: ${rate.length} rates for ${scored.length} scored layers`);
  const thetas: (number | null)[] = [];
  for (const [k, n] of scored.entries()) {
    const layerRate = Array.isArray(rate) ? rate[k]! : rate;
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
    const extra = Math.round(layerRate * frames) - upstreamDropped;
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
  const schedule = opts.schedule ?? "hierarchical";
  const calib = opts.calibration ?? data;
  const say = opts.onProgress ?? (() => {});
  const baseline = await runPolicy(model, data, null, opts.batchSize);
  const calibrationBaseline =
    opts.calibration !== null ? (await runPolicy(model, opts.calibration, null, opts.batchSize)).accuracy : undefined;
  const scored = await scoredLayers(model, calib, opts.batchSize);
  if (scored.length === 0)
    throw new Error("the model has no Razor or TA scores to threshold (a plain SNN cannot be swept)");
  say(`unpruned: accuracy ${baseline.accuracy.toFixed(3)}`);
  const run = async (policy: MaskPolicy | null): Promise<PolicyRun> => {
    const r = await runPolicy(model, data, policy, opts.batchSize);
    r.sopsDropped = sopsSaved(r.efficiency, baseline.efficiency);
    if (opts.timer !== undefined && policy !== null) r.timing = opts.timer(policy);
    return r;
  };
  baseline.sopsDropped = 0;
  const points: SweepPoint[] = [];
  for (const [pi, target] of opts.targets.entries()) {
    const rates = layerRates(target, scored.length, schedule);
    const thetas = await chooseThresholds(model, calib, rates, opts.batchSize, gapFloor, scored);
    const pruned = await run(thresholdPolicy(thetas, gapFloor));
    const point: SweepPoint = { target, rates, thetas, pruned, controls: {} };
    if (opts.calibration !== null)
      point.calibrationAccuracy = (
        await runPolicy(model, opts.calibration, thresholdPolicy(thetas, gapFloor), opts.batchSize)
      ).accuracy;
    for (const [ci, c] of controls.entries()) {
      point.controls[c] = await run(controlPolicy(c, pruned.dropPerLayer, derivedRng(seed, pi, ci)));
    }
    if (opts.topK === true) point.topK = await run(topKPolicy(1 - target));
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
    schedule,
    gapFloor,
    calibrationBaseline,
    chosen: chooseOperatingPoint(points, calibrationBaseline, tolerance),
    calibration: opts.calibration === null ? "thresholds chosen on the evaluation data itself" : "validation split",
    baseline,
    points,
    withinTolerance,
    tolerance,
  };
}

/** Share of the SOPs after the encoder that `run` saved against `base`. */
export function sopsSaved(run: Efficiency, base: Efficiency): number {
  const later = (e: Efficiency): number => e.layers.filter((l) => l.layer > 0).reduce((a, l) => a + l.sops, 0);
  const all = later(base);
  return all === 0 ? 0 : 1 - later(run) / all;
}

/** Index of the point with most work dropped whose calibration accuracy is within `tolerance` of unpruned. */
function chooseOperatingPoint(
  points: SweepPoint[],
  calibrationBaseline: number | undefined,
  tolerance: number,
): number | null {
  if (calibrationBaseline === undefined) return null;
  let chosen: number | null = null;
  points.forEach((p, i) => {
    const ok = (p.calibrationAccuracy ?? -1) >= calibrationBaseline - tolerance - 1e-12;
    if (ok && (chosen === null || p.target > points[chosen]!.target)) chosen = i;
  });
  return chosen;
}

/** Default targets: 0, 10 %, ..., 90 %. */
export const DEFAULT_TARGETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

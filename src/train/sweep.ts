/**
 * Threshold sweep for Razor and TA models: for each target drop rate, one θ per module layer is chosen on a
 * calibration (validation) split, the model is evaluated with those thresholds, and the three controls run at the
 * per-layer drop rates Razor actually reached on the evaluation data (random frames, fixed stride, event-count
 * gate). Optional: the causal gap floor and per-sample top-k (offline only).
 */
import type { LabelledData } from "./data-api.js";
import { type Efficiency, EfficiencyMeter, moduleDropShares } from "./efficiency.js";
import { evaluate } from "./evaluate.js";
import { CONTROLS, type ControlName, controlPolicy, thresholdPolicy, topKPolicy } from "./mask-policies.js";
import type { MaskPolicy, PrunableModel } from "./model-api.js";
import { derivedRng } from "./seeds.js";

export interface PolicyRun {
  accuracy: number;
  n: number;
  /** per module layer: share of frames dropped */
  dropPerLayer: number[];
  /** over all maskable layers */
  dropOverall: number;
  efficiency: Efficiency;
  seconds: number;
}

export interface SweepPoint {
  target: number;
  thetas: number[];
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

/** Evaluates with a mask policy (null: the model's unpruned forward) and collects efficiency figures. */
export function runPolicy(
  model: PrunableModel,
  data: LabelledData,
  policy: MaskPolicy | null,
  batchSize: number,
): PolicyRun {
  const meter = new EfficiencyMeter();
  model.setThresholds(null);
  model.setMaskPolicy(policy);
  const start = Date.now();
  try {
    const r = evaluate(model, data, {
      batchSize,
      onBatch: (idx) => meter.add(model.layerRecords(), idx.length),
    });
    const eff = meter.result();
    return {
      accuracy: r.accuracy,
      n: r.n,
      dropPerLayer: moduleDropShares(eff),
      dropOverall: eff.dropShare,
      efficiency: eff,
      seconds: (Date.now() - start) / 1000,
    };
  } finally {
    model.setMaskPolicy(null);
  }
}

/**
 * Chooses θ_n layer by layer so that each module layer's total drop share (frames dropped upstream included)
 * is `rate` on the calibration data: layer n's scores are collected with θ_1..θ_{n-1} already applied.
 */
export function chooseThresholds(
  model: PrunableModel,
  data: LabelledData,
  rate: number,
  batchSize: number,
  gapFloor: number | null = null,
): number[] {
  const layers = model.maskableLayers();
  const thetas: number[] = [];
  for (let n = 0; n < layers; n++) {
    const kept: number[] = [];
    let frames = 0;
    let upstreamDropped = 0;
    const partial = [...thetas, ...new Array<number>(layers - n).fill(Number.NEGATIVE_INFINITY)];
    const base = thresholdPolicy(partial, gapFloor);
    const collect: MaskPolicy = (inp) => {
      if (inp.layer === n && inp.scores !== null) {
        for (let i = 0; i < inp.t * inp.b; i++) {
          frames++;
          if (inp.upstream === null || inp.upstream[i] !== 0) kept.push(inp.scores[i]);
          else upstreamDropped++;
        }
      }
      return base(inp);
    };
    model.setThresholds(null);
    model.setMaskPolicy(collect);
    try {
      evaluate(model, data, { batchSize });
    } finally {
      model.setMaskPolicy(null);
    }
    kept.sort((a, b) => a - b);
    const extra = Math.round(rate * frames) - upstreamDropped;
    if (extra <= 0 || kept.length === 0) thetas.push(Number.NEGATIVE_INFINITY);
    else if (extra >= kept.length) thetas.push(Number.POSITIVE_INFINITY);
    else thetas.push(thresholdForDrops(kept, extra));
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

export function thresholdSweep(model: PrunableModel, data: LabelledData, opts: SweepOptions): SweepResult {
  const gapFloor = opts.gapFloor ?? null;
  const controls = opts.controls ?? CONTROLS;
  const tolerance = opts.tolerance ?? 0.02;
  const seed = opts.seed ?? 1;
  const calib = opts.calibration ?? data;
  const say = opts.onProgress ?? (() => {});
  const baseline = runPolicy(model, data, null, opts.batchSize);
  say(`unpruned: accuracy ${baseline.accuracy.toFixed(3)}`);
  const points: SweepPoint[] = [];
  opts.targets.forEach((target, pi) => {
    const thetas = chooseThresholds(model, calib, target, opts.batchSize, gapFloor);
    const pruned = runPolicy(model, data, thresholdPolicy(thetas, gapFloor), opts.batchSize);
    const point: SweepPoint = { target, thetas, pruned, controls: {} };
    controls.forEach((c, ci) => {
      point.controls[c] = runPolicy(
        model,
        data,
        controlPolicy(c, pruned.dropPerLayer, derivedRng(seed, pi, ci)),
        opts.batchSize,
      );
    });
    if (opts.topK === true) point.topK = runPolicy(model, data, topKPolicy(1 - target), opts.batchSize);
    say(
      `target ${target.toFixed(2)}: dropped ${pruned.dropOverall.toFixed(3)} acc ${pruned.accuracy.toFixed(3)} | ` +
        controls.map((c) => `${c} ${point.controls[c]!.accuracy.toFixed(3)}`).join(" "),
    );
    points.push(point);
  });
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

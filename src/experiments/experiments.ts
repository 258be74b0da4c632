/**
 * The method's first experiments on the N-MNIST 900/100 split (method.md), as code the `ablate` command runs:
 *   - Razor vs TA vs plain SNN (same network, same seed, same epochs);
 *   - number of embeddings K ∈ {1, 2, 4, 8} and window w ∈ {1, 2, 4} for Razor;
 *   - accuracy against the filtering threshold (one θ per layer, chosen for target drop rates) beside the controls;
 *   - the pruning experiment: recordings at a random offset in a window twice as long with background noise,
 *     Razor and TA over several seeds, the largest share of frame-layer work dropped within 2 points of unpruned.
 * Node only (opens data from disk).
 */
import type { ModelConfig, Variant } from "../models/config.js";
import type { SnnModel } from "../models/model.js";
import { buildModel } from "../models/index.js";
import type { LabelledData } from "../data/data-api.js";
import { evaluate } from "../train/evaluate.js";
import { NOISE_WINDOW_DEFAULTS, type NoiseWindow } from "../checkpoint/preprocess.js";
import { framesData, makePreprocessing, openSplits, resolveConfig } from "./setup.js";
import { type CalibrationSchedule, type SweepResult, thresholdSweep } from "./sweep.js";
import { type TrainSummary, train, trainSettings } from "../train/trainer.js";
import { compareLearned, type LearnedComparison } from "./learned.js";

export interface RunSpec {
  name: string;
  variant: Variant;
  /** "a.b=v" config overrides */
  set: string[];
  seed: number;
  /** run the threshold sweep on this run (Razor/TA only; default true) */
  sweep?: boolean;
}

export interface RunResult {
  name: string;
  variant: Variant;
  set: string[];
  seed: number;
  summary: TrainSummary;
  /** validation accuracy of the final model */
  accuracy: number;
  seconds: number;
  /** the sweep with the hierarchical θ schedule (the paper's) */
  sweep?: SweepResult;
  /** the same model swept with θ on the first scored layer only (every later layer inherits its mask) */
  sweepFirstLayer?: SweepResult;
}

export interface ExperimentOptions {
  epochs: number;
  batch?: number;
  threads: number;
  /** noisy-window variant of the split */
  noiseWindow: boolean;
  noiseHz?: number;
  /** subsample the 900/100 split (quick runs) */
  limitTrain?: number;
  limitVal?: number;
  /** sweep targets for Razor/TA runs (empty: no sweep) */
  sweepTargets: number[];
  /** calibration samples (from the training split) for the sweep thresholds */
  calibSamples: number;
  gapFloor?: number | null;
  /** also sweep with the first-layer-only schedule, for comparison */
  compareSchedules?: boolean;
  progress: boolean;
  log: (s: string) => void;
}

interface RunSets {
  train: LabelledData;
  val: LabelledData;
  calib: LabelledData;
}

/**
 * Opens the N-MNIST small split once and hands out, per run spec, its config and the in-memory frames (shared by
 * every run with the same preprocessing).
 */
async function experimentData(o: ExperimentOptions) {
  const opened = await openSplits({ dataset: "nmnist-small", limitTrain: o.limitTrain, limitVal: o.limitVal });
  const classes = opened.ds.classes;
  const datasets = new Map<string, RunSets>();
  return (spec: RunSpec): { config: ModelConfig; sets: RunSets } => {
    const resolve = (extra: Record<string, unknown>) =>
      resolveConfig(
        { configName: "nmnist", variant: spec.variant, set: spec.set, extra: { seed: spec.seed, ...extra } },
        classes.length,
        opened.sensor,
        () => {},
      );
    let config = resolve({});
    let window: NoiseWindow | null = null;
    if (o.noiseWindow) {
      window = {
        spanUs: Math.round(config.frames.T * (config.frames.dtMs ?? 0) * 1000),
        factor: NOISE_WINDOW_DEFAULTS.factor,
        noiseHz: o.noiseHz ?? NOISE_WINDOW_DEFAULTS.noiseHz,
        seed: 1,
      };
      config = resolve({ frames: { T: config.frames.T * 2 } });
    }
    const pre = makePreprocessing(config, opened.sensor, window);
    pre.dataset = "nmnist-small";
    const key = JSON.stringify(pre);
    let sets = datasets.get(key);
    if (sets === undefined) {
      sets = {
        train: framesData(opened.train, classes, pre, { training: true, cache: true }),
        val: framesData(opened.val, classes, pre, { training: false, cache: true }),
        calib: framesData(opened.train.slice(0, o.calibSamples), classes, pre, { training: false, cache: true }),
      };
      datasets.set(key, sets);
    }
    return { config, sets };
  };
}

/** Trains one run and evaluates it on the validation split; the caller disposes the model. */
async function trainRun(
  spec: RunSpec,
  config: ModelConfig,
  sets: RunSets,
  o: ExperimentOptions,
): Promise<{ model: SnnModel; result: RunResult }> {
  const model = buildModel(config);
  const start = Date.now();
  o.log(`== ${spec.name} (${spec.variant}${spec.set.length ? `, ${spec.set.join(" ")}` : ""}, seed ${spec.seed})`);
  const summary = await train(
    model,
    sets.train,
    sets.val,
    {
      ...trainSettings(config.train),
      epochs: o.epochs,
      batchSize: o.batch ?? config.train.batch,
      seed: spec.seed,
      threads: o.threads,
      progress: o.progress,
    },
    { saveEpoch() {}, log() {}, loadState: () => null },
  );
  const accuracy = (await evaluate(model, sets.val, { batchSize: 50 })).accuracy;
  const result: RunResult = {
    name: spec.name,
    variant: spec.variant,
    set: spec.set,
    seed: spec.seed,
    summary,
    accuracy,
    seconds: (Date.now() - start) / 1000,
  };
  o.log(
    `   val accuracy ${(100 * accuracy).toFixed(1)} % (best epoch ${summary.best.epoch}: ` +
      `${(100 * (summary.best.accuracy ?? 0)).toFixed(1)} %), ${result.seconds.toFixed(0)} s`,
  );
  return { model, result };
}

/** Each spec trained on the shared frames, then (Razor/TA) swept on the validation split. */
export async function runExperiments(specs: RunSpec[], o: ExperimentOptions): Promise<RunResult[]> {
  const dataFor = await experimentData(o);
  const results: RunResult[] = [];
  for (const spec of specs) {
    const { config, sets } = dataFor(spec);
    const { model, result } = await trainRun(spec, config, sets, o);
    if (spec.variant !== "snn" && spec.sweep !== false && o.sweepTargets.length > 0) {
      const sweep = (schedule: CalibrationSchedule): Promise<SweepResult> =>
        thresholdSweep(model, sets.val, {
          batchSize: 50,
          targets: o.sweepTargets,
          calibration: sets.calib,
          schedule,
          gapFloor: o.gapFloor ?? null,
          seed: spec.seed,
          method: spec.variant,
        });
      result.sweep = await sweep("hierarchical");
      if (o.compareSchedules === true) result.sweepFirstLayer = await sweep("first-layer");
    }
    model.dispose();
    results.push(result);
  }
  return results;
}

export interface LearnedRunResult {
  seed: number;
  /** the soft Razor model (no learned pruning) and the learned-pruning model, same seed and data */
  soft: RunResult;
  learned: RunResult;
  /** the learned model's masks beside post-hoc θ (learned model and soft model) and the controls */
  comparison: LearnedComparison;
}

/**
 * The learned-pruning experiment: per seed, a soft Razor model and a Razor model trained with learned pruning at
 * keep rate `keep` (weight `lambda`), compared at the learned masks' per-layer rates on the validation split.
 */
export async function runLearnedExperiment(
  seeds: number[],
  keep: number,
  lambda: number,
  o: ExperimentOptions,
): Promise<LearnedRunResult[]> {
  const dataFor = await experimentData(o);
  const out: LearnedRunResult[] = [];
  for (const seed of seeds) {
    const softSpec: RunSpec = { name: `razor seed ${seed}`, variant: "razor", set: [], seed };
    const lp = JSON.stringify({ lambda, rho: keep });
    const learnedSpec: RunSpec = {
      name: `razor learned ${keep} seed ${seed}`,
      variant: "razor",
      set: [`razor.learnedPruning=${lp}`],
      seed,
    };
    const soft = dataFor(softSpec);
    const s = await trainRun(softSpec, soft.config, soft.sets, o);
    const learnedData = dataFor(learnedSpec);
    const l = await trainRun(learnedSpec, learnedData.config, learnedData.sets, o);
    const comparison = await compareLearned(l.model, learnedData.sets.val, {
      evalThreshold: learnedData.config.razor.learnedPruning!.evalThreshold,
      keepTarget: keep,
      batchSize: 50,
      calibration: learnedData.sets.calib,
      reference: s.model,
      seed,
    });
    s.model.dispose();
    l.model.dispose();
    out.push({ seed, soft: s.result, learned: l.result, comparison });
  }
  return out;
}

/** The first experiments: variants, K, w (Razor), each at one seed. */
export function firstExperimentSpecs(seed: number): RunSpec[] {
  const specs: RunSpec[] = [
    { name: "razor K4 w1", variant: "razor", set: [], seed },
    { name: "ta", variant: "ta", set: [], seed },
    { name: "snn", variant: "snn", set: [], seed },
  ];
  for (const k of [1, 2, 8]) {
    specs.push({ name: `razor K${k}`, variant: "razor", set: [`razor.K=${k}`], seed, sweep: false });
  }
  for (const w of [2, 4]) {
    specs.push({ name: `razor w${w}`, variant: "razor", set: [`razor.window=${w}`], seed, sweep: false });
  }
  return specs;
}

/** The pruning experiment: Razor and TA on the noisy-window split over several seeds. */
export function pruningSpecs(seeds: number[]): RunSpec[] {
  return seeds.flatMap((seed) => [
    { name: `razor seed ${seed}`, variant: "razor" as const, set: [], seed },
    { name: `ta seed ${seed}`, variant: "ta" as const, set: [], seed },
  ]);
}

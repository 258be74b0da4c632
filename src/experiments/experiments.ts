/**
 * The method's first experiments on the N-MNIST 900/100 split (method.md), as code the `ablate` command runs:
 *   - Razor vs TA vs plain SNN (same network, same seed, same epochs);
 *   - number of embeddings K ∈ {1, 2, 4, 8} and window w ∈ {1, 2, 4} for Razor;
 *   - accuracy against the filtering threshold (one θ per layer, chosen for target drop rates) beside the controls;
 *   - the pruning experiment: recordings at a random offset in a window twice as long with background noise,
 *     Razor and TA over several seeds, the largest share of frame-layer work dropped within 2 points of unpruned.
 * Node only (opens data from disk).
 */
import type { Variant } from "../models/config.js";
import { buildModel } from "../models/index.js";
import type { LabelledData } from "../data/data-api.js";
import { evaluate } from "../train/evaluate.js";
import type { NoiseWindow } from "../checkpoint/preprocess.js";
import { framesData, makePreprocessing, openSplits, resolveConfig } from "./setup.js";
import { type CalibrationSchedule, type SweepResult, thresholdSweep } from "./sweep.js";
import { type TrainSummary, train } from "../train/trainer.js";

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

/** Opens the N-MNIST small split once; each run builds its own model on the shared, in-memory frames. */
export async function runExperiments(specs: RunSpec[], o: ExperimentOptions): Promise<RunResult[]> {
  const opened = await openSplits({ dataset: "nmnist-small", limitTrain: o.limitTrain, limitVal: o.limitVal });
  const classes = opened.ds.classes;
  const datasets = new Map<string, { train: LabelledData; val: LabelledData; calib: LabelledData }>();
  const results: RunResult[] = [];
  for (const spec of specs) {
    let config = resolveConfig(
      { configName: "nmnist", variant: spec.variant, set: spec.set, extra: { seed: spec.seed } },
      classes.length,
      opened.sensor,
      () => {},
    );
    let window: NoiseWindow | null = null;
    if (o.noiseWindow) {
      window = {
        spanUs: Math.round(config.frames.T * (config.frames.dtMs ?? 0) * 1000),
        factor: 2,
        noiseHz: o.noiseHz ?? 5,
        seed: 1,
      };
      config = resolveConfig(
        {
          configName: "nmnist",
          variant: spec.variant,
          set: spec.set,
          extra: { seed: spec.seed, frames: { T: config.frames.T * 2 } },
        },
        classes.length,
        opened.sensor,
        () => {},
      );
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
    const model = buildModel(config);
    const start = Date.now();
    o.log(`== ${spec.name} (${spec.variant}${spec.set.length ? `, ${spec.set.join(" ")}` : ""}, seed ${spec.seed})`);
    const summary = await train(
      model,
      sets.train,
      sets.val,
      {
        epochs: o.epochs,
        batchSize: o.batch ?? config.train.batch,
        lr: config.train.lr,
        loss: config.train.loss,
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
    o.log(
      `   val accuracy ${(100 * accuracy).toFixed(1)} % (best epoch ${summary.best.epoch}: ` +
        `${(100 * (summary.best.accuracy ?? 0)).toFixed(1)} %), ${result.seconds.toFixed(0)} s`,
    );
    model.dispose();
    results.push(result);
  }
  return results;
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

import { parseArgs } from "node:util";
import "../../engine/index.js";
import { buildModel } from "../../models/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { NOISE_WINDOW_DEFAULTS, type NoiseWindow } from "../../checkpoint/preprocess.js";
import { RunDir } from "../run-dir.js";
import { framesData, makePreprocessing, openSplits, resolveConfig } from "../../experiments/setup.js";
import { type TrainSummary, train, trainSettings } from "../../train/trainer.js";
import type { Command } from "../command.js";
import { countOpt, dataArgsOf, intOpt, learnedPruningSet, numOpt, sizeOpt, variantOpt } from "../options.js";
import { applyMemoryBudget } from "../memory-budget.js";
import { releasingEngine, selectEngine } from "../engine-option.js";

const HELP = `usage: razor-snn train --dataset NAME [--data DIR] --model razor|ta|snn --out DIR [options]
       razor-snn train --data DIR --labels FILE [--dataset NAME] --model ... --out DIR

Trains a plain SNN, TA-SNN or Razor SNN. Writes OUT/last.safetensors (every epoch), OUT/best.safetensors (best
validation accuracy), OUT/train-state.safetensors (for --resume) and OUT/log.jsonl (one record per epoch).

data:
  --dataset NAME       nmnist-small (the 1 000 samples in ../shared/data: 900 train, 100 validate), nmnist,
                       dvs128-gesture, ncaltech101, cifar10-dvs, shd, ssc; picks the network and preprocessing
  --data DIR           the dataset's folder, or a folder of recordings (with --labels)
  --labels FILE        'id<TAB>class' lines; ids are file names without extension; '#' lines are comments
  --valid N            with a single labelled folder: the last N samples validate (default: none)
  --limit-train N, --limit-val N   use only the first N samples
  --noise-window       place each recording at a seeded random offset inside a window twice as long, with
                       background-activity noise (--noise-hz, default 5 events per pixel per second)
  --no-cache           do not keep integrated frames in the disk cache
model:
  --model VARIANT      razor | ta | snn (default: the config's, razor)
  --config FILE        a model config JSON (default: the dataset's bundled one, configs/<dataset>.json)
  --set PATH=VALUE     override any config value, e.g. --set razor.K=8 --set frames.T=20 (repeatable)
  --learned-pruning KEEP   Razor only: train the frame masks end to end (binary masks sampled from d, gradients
                       straight through) with a keep-rate target, KEEP = share of frames each Razor layer keeps
                       (0 < KEEP <= 1); at evaluation the layers keep frames with d >= 0.5. Compare the result with
                       post-hoc θ and the event-count gate: razor-snn sweep --checkpoint OUT/best.safetensors
  --keep-weight X      weight λ of the keep-rate target λ(mean d − KEEP)² (default 1)
training:
  --epochs N --batch N --lr X --loss mse|ce    (defaults from the config's "train" section)
  --seed S             seeds the weights, shuffling and dropout (default 1)
  --threads N          engine threads (results are bit-identical per seed AND thread count)
  --memory-budget SIZE keep a training step's estimated engine memory within SIZE (e.g. 3GiB, 512MiB) by
                       recomputing the largest layers' forward during backward (same gradients, slower step);
                       refused when even recomputing every layer cannot fit
  --resume             continue the run in OUT from its last completed epoch (bit-identical)
  --quiet              no progress bars
  --json               print the summary as JSON`;

export const command: Command = {
  summary: "train a plain, TA or Razor SNN",
  run: (argv: string[]) =>
    releasingEngine(async () => {
      await runTrain(argv, true);
      return 0;
    }),
};

/** The options of a training run that the paper command takes too (same meaning). */
export const RUN_OPTIONS = {
  data: { type: "string" },
  model: { type: "string" },
  set: { type: "string", multiple: true },
  out: { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  seed: { type: "string" },
  threads: { type: "string" },
  resume: { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** What a training run reports (also OUT/summary.json). */
export interface TrainReport {
  dataset: string;
  variant: string;
  final: TrainSummary["final"] & { label: string };
  best: TrainSummary["best"] & { label: string };
  epochs: TrainSummary["epochs"];
  out: string;
  /** the split accuracy was measured on each epoch: "validation" (or the test split where it is the only one) */
  evaluatedOn: string;
}

/**
 * Runs `razor-snn train` with these arguments; prints the summary when `print` (else only progress goes to stderr).
 * Returns null for --help. The paper command runs its protocols through here.
 */
export async function runTrain(argv: string[], print: boolean): Promise<TrainReport | null> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      dataset: { type: "string" },
      labels: { type: "string" },
      valid: { type: "string" },
      "limit-train": { type: "string" },
      "limit-val": { type: "string" },
      "noise-window": { type: "boolean", default: false },
      "noise-hz": { type: "string" },
      "no-cache": { type: "boolean", default: false },
      config: { type: "string" },
      "learned-pruning": { type: "string" },
      "keep-weight": { type: "string" },
      lr: { type: "string" },
      loss: { type: "string" },
      "memory-budget": { type: "string" },
      ...RUN_OPTIONS,
    },
  });
  if (v.help) {
    console.log(HELP);
    return null;
  }
  if (v.out === undefined) throw new Error("--out DIR is required (where checkpoints and the log go)");
  const variant = variantOpt(v.model);
  const learned = learnedPruningSet(v["learned-pruning"], v["keep-weight"]);
  if (learned.length > 0 && variant !== undefined && variant !== "razor")
    throw new Error(`--learned-pruning trains Razor's frame masks: it needs --model razor, not ${variant}`);
  const set = [...learned, ...(v.set ?? [])];
  const loss = v.loss;
  if (loss !== undefined && loss !== "mse" && loss !== "ce") throw new Error(`--loss ${loss}: expected mse or ce`);
  const say = (s: string): void => {
    if (!v.quiet) console.error(s);
  };
  const epochs = countOpt("epochs", v.epochs);
  const batch = countOpt("batch", v.batch);
  const lr = numOpt("lr", v.lr);
  const budget = sizeOpt("memory-budget", v["memory-budget"]);
  if (lr !== undefined && !(lr > 0)) throw new Error(`--lr ${v.lr}: expected a learning rate > 0`);
  // a folder that cannot be written fails now, not after the first epoch
  const runDir = new RunDir(v.out, v.resume);
  const threads = await selectEngine(intOpt("threads", v.threads));
  const seed = intOpt("seed", v.seed) ?? 1;
  const opened = await openSplits(dataArgsOf(v));
  const extra: Record<string, unknown> = { seed };
  let window: NoiseWindow | null = null;
  if (v["noise-window"]) {
    const noiseHz = numOpt("noise-hz", v["noise-hz"]) ?? NOISE_WINDOW_DEFAULTS.noiseHz;
    window = { spanUs: 0, factor: NOISE_WINDOW_DEFAULTS.factor, noiseHz, seed };
  }
  let config = resolveConfig(
    { configName: opened.configName, configFile: v.config, variant, set, extra },
    opened.ds.classes.length,
    opened.sensor,
    say,
  );
  if (window !== null) {
    if (config.frames.mode !== "time-window") throw new Error("--noise-window needs time-window framing");
    window.spanUs = Math.round(config.frames.T * (config.frames.dtMs ?? 0) * 1000);
    config = resolveConfig(
      {
        configName: opened.configName,
        configFile: v.config,
        variant,
        set,
        extra: { ...extra, frames: { T: config.frames.T * window.factor } },
      },
      opened.ds.classes.length,
      opened.sensor,
      () => {},
    );
  }
  if (learned.length > 0 && config.variant !== "razor")
    throw new Error(`--learned-pruning trains Razor's frame masks: the config's variant is ${config.variant}`);
  const pre = makePreprocessing(config, opened.sensor, window);
  // eval and sweep reopen the same data by this name (a labelled folder is given again with --data/--labels)
  if (v.dataset !== undefined) pre.dataset = v.dataset;
  const cache = !v["no-cache"];
  const trainSet = framesData(opened.train, opened.ds.classes, pre, { training: true, cache });
  const valSet =
    opened.val.length > 0 ? framesData(opened.val, opened.ds.classes, pre, { training: false, cache }) : null;
  say(
    `${opened.ds.name}: ${opened.train.length} training, ${opened.val.length} validation samples; ` +
      `${config.variant} network "${config.name}", T ${pre.T}${pre.dtUs ? ` × ${pre.dtUs / 1000} ms` : ""}, ` +
      `${threads} thread(s)`,
  );
  for (const n of opened.ds.notes) say(`note: ${n}`);
  const model = buildModel(config);
  const batchSize = batch ?? config.train.batch;
  if (budget !== undefined) say(applyMemoryBudget(model, config.frames.T, batchSize, budget));
  const summary = await train(
    model,
    trainSet,
    valSet,
    {
      ...trainSettings(config.train),
      epochs: epochs ?? config.train.epochs,
      batchSize,
      lr: lr ?? config.train.lr,
      loss: (loss as "mse" | "ce" | undefined) ?? config.train.loss,
      seed,
      threads,
      progress: !v.quiet,
      describe: { dataset: opened.ds.name, variant: config.variant },
    },
    runDir,
    config.inference.thresholds,
  );
  const what = valSet !== null ? "validation" : "training";
  const report: TrainReport = {
    dataset: opened.ds.name,
    variant: config.variant,
    final: { ...summary.final, label: `final-epoch ${what} accuracy` },
    best: { ...summary.best, label: `best-epoch ${what} accuracy` },
    epochs: summary.epochs,
    out: v.out,
    evaluatedOn: valSet === null ? "training" : opened.ds.splits.valid !== undefined ? "valid" : "test",
  };
  writeFileAtomic(`${v.out}/summary.json`, `${JSON.stringify(report, null, 2)}\n`);
  if (!print) {
    // nothing printed: the caller reports
  } else if (v.json) console.log(JSON.stringify(report));
  else {
    const pct = (x: number | null): string => (x === null ? "-" : `${(100 * x).toFixed(2)} %`);
    console.log(`final-epoch ${what} accuracy (epoch ${summary.final.epoch}): ${pct(summary.final.accuracy)}`);
    console.log(`best-epoch ${what} accuracy (epoch ${summary.best.epoch}): ${pct(summary.best.accuracy)}`);
    console.log(`checkpoints in ${v.out}: last.safetensors, best.safetensors; log ${v.out}/log.jsonl`);
  }
  model.dispose();
  return report;
}

/**
 * The training loop: seeded shuffles, Adam with a plateau or cosine schedule, validation every epoch, a checkpoint and a
 * log record every epoch, and bit-identical resumption. Every random draw is derived from (seed, epoch, batch)
 * (src/data/seeds.ts), so a run resumed from the state saved after epoch e continues exactly as the uninterrupted one.
 * Browser-safe: files are written through the `sink` (run-dir.ts gives the Node one).
 */
import { ProgressBar } from "../util/progress.js";
import { type CheckpointMeta, encodeCheckpoint, loadModelTensors } from "../checkpoint/checkpoint.js";
import type { LabelledData } from "../data/data-api.js";
import { epochBatches } from "../data/frames-data.js";
import { derivedRng } from "../data/seeds.js";
import { EngineBatches } from "./engine-batches.js";
import { evaluate } from "./evaluate.js";
import { type LossName, outputLoss } from "./loss.js";
import { COMMON_DEFAULTS, type LrScheduleName, type ModelConfig } from "../models/config.js";
import type { TrainableModel } from "../models/model-api.js";
import type { Json } from "../util/json.js";
import { Adam } from "./optimizer.js";
import type { Tensor } from "../checkpoint/safetensors.js";
import { cosineLr, PlateauSchedule } from "./schedule.js";
import { encodeTrainState, type TrainState } from "./train-state.js";

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  loss: LossName;
  seed: number;
  /** engine threads (recorded: results are bit-identical per seed AND thread count) */
  threads: number;
  /** plateau schedule: factor and patience (defaults: COMMON_DEFAULTS.train.plateauFactor/plateauPatience) */
  lrFactor?: number;
  lrPatience?: number;
  /** learning-rate schedule (default: COMMON_DEFAULTS.train.schedule, the plateau one) */
  schedule?: LrScheduleName;
  weightDecay?: number;
  /** stop after this many epochs of this call (to simulate a kill in tests); default: run to `epochs` */
  stopAfter?: number;
  progress?: boolean;
  /** extra fields for the checkpoint's training metadata (dataset, model kind, ...) */
  describe?: { [key: string]: Json };
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valAccuracy: number | null;
  lr: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainSummary {
  epochs: EpochRecord[];
  /** accuracy after the last epoch (validation if there is a validation set, else training) */
  final: { epoch: number; accuracy: number | null };
  /** the epoch with the highest validation accuracy (first one on a tie) */
  best: { epoch: number; accuracy: number | null };
}

/** Where the trainer puts its files. */
export interface CheckpointSink {
  /** after every epoch: the model (last), the training state; `isBest` when this epoch is the best so far */
  saveEpoch(files: { last: Uint8Array; state: Uint8Array; isBest: boolean; epoch: number }): void;
  /** one JSON record per epoch */
  log(record: Record<string, Json>): void;
  /** the saved training state to resume from, or null */
  loadState(): { model: Map<string, Tensor>; state: TrainState } | null;
}

interface RunBook {
  seed: number;
  threads: number;
  /** what must not change on --resume (runFingerprint) */
  fingerprint?: Json;
  bestEpoch: number;
  bestAccuracy: number | null;
  history: EpochRecord[];
}

export async function train(
  model: TrainableModel,
  trainSet: LabelledData,
  valSet: LabelledData | null,
  opts: TrainOptions,
  sink: CheckpointSink,
  thresholds: (number | null)[] | null = null,
): Promise<TrainSummary> {
  const params = model.parameters();
  const adam = new Adam(params, { lr: opts.lr, weightDecay: opts.weightDecay });
  const { lrFactor, lrPatience } = plateauSettings(opts);
  const schedule = new PlateauSchedule(lrFactor, lrPatience);
  const fingerprint = runFingerprint(model, trainSet, valSet, opts);
  let book: RunBook = {
    seed: opts.seed,
    threads: opts.threads,
    fingerprint,
    bestEpoch: 0,
    bestAccuracy: null,
    history: [],
  };
  let startEpoch = 0;

  const saved = sink.loadState();
  if (saved !== null) {
    const run = saved.state.run as unknown as RunBook;
    if (run.seed !== opts.seed) {
      throw new Error(`cannot resume: the saved run used seed ${run.seed}, this one ${opts.seed}`);
    }
    if (run.fingerprint === undefined) {
      throw new Error(
        "cannot resume: the saved run records no settings to check against (written by an older version)",
      );
    }
    const changed = firstDifference(run.fingerprint, fingerprint, "");
    if (changed !== null) {
      throw new Error(
        `cannot resume: ${changed.path} was ${JSON.stringify(changed.saved)} in the saved run, ` +
          `${JSON.stringify(changed.now)} now (resume with the same model, config, data and training options)`,
      );
    }
    if (run.threads !== opts.threads) {
      // allowed, but results then differ from an uninterrupted run
      console.warn(`resume: saved with ${run.threads} threads, running with ${opts.threads}: not bit-identical`);
    }
    loadModelTensors(model, saved.model, "training state");
    adam.importState(saved.state.adam);
    adam.lr = saved.state.lr;
    schedule.importState(saved.state.schedule);
    startEpoch = saved.state.epoch;
    book = run;
  }

  const lastEpoch = opts.stopAfter !== undefined ? Math.min(opts.epochs, startEpoch + opts.stopAfter) : opts.epochs;
  const cosine = scheduleName(opts) === "cosine";
  for (let epoch = startEpoch; epoch < lastEpoch; epoch++) {
    if (cosine) adam.lr = cosineLr(opts.lr, epoch, opts.epochs);
    const rec = await trainEpoch(model, trainSet, opts, adam, epoch);
    const valAccuracy =
      valSet !== null && valSet.size > 0
        ? (await evaluate(model, valSet, { batchSize: opts.batchSize })).accuracy
        : null;
    const lrUsed = adam.lr;
    if (!cosine) adam.lr = schedule.step(rec.trainLoss, adam.lr);
    const record: EpochRecord = { ...rec, valAccuracy, lr: lrUsed };
    book.history.push(record);
    const score = valAccuracy ?? rec.trainAccuracy;
    const isBest = book.bestAccuracy === null || score > book.bestAccuracy;
    if (isBest) {
      book.bestAccuracy = score;
      book.bestEpoch = epoch + 1;
    }
    const meta = checkpointMeta(model, trainSet, thresholds, opts, book, record);
    const state: TrainState = {
      epoch: epoch + 1,
      lr: adam.lr,
      adam: adam.exportState(),
      schedule: schedule.exportState(),
      run: deterministicBook(book) as unknown as Json,
    };
    // log first: a resumed run trims log lines past the saved state, so a kill in between loses nothing
    sink.log({ ...(record as unknown as Record<string, Json>), bestEpoch: book.bestEpoch });
    sink.saveEpoch({
      last: encodeCheckpoint(model, meta),
      state: encodeTrainState(model, meta, state),
      isBest,
      epoch: epoch + 1,
    });
    if (opts.progress !== false) {
      console.error(
        `epoch ${epoch + 1}/${opts.epochs}: loss ${rec.trainLoss.toFixed(4)} train acc ${pct(rec.trainAccuracy)} ` +
          `val acc ${valAccuracy === null ? "-" : pct(valAccuracy)} lr ${lrUsed.toExponential(1)} ` +
          `(${rec.samplesPerSecond.toFixed(1)} samples/s)`,
      );
    }
  }
  adam.dispose();
  const h = book.history;
  const last = h[h.length - 1];
  return {
    epochs: h,
    final: { epoch: last?.epoch ?? 0, accuracy: last === undefined ? null : (last.valAccuracy ?? last.trainAccuracy) },
    best: { epoch: book.bestEpoch, accuracy: book.bestAccuracy },
  };
}

async function trainEpoch(
  model: TrainableModel,
  data: LabelledData,
  opts: TrainOptions,
  adam: Adam,
  epoch: number,
): Promise<Omit<EpochRecord, "valAccuracy" | "lr">> {
  const start = Date.now();
  const bar = new ProgressBar({
    label: `epoch ${epoch + 1}/${opts.epochs}`,
    total: data.size,
    unit: "samples",
    enabled: opts.progress !== false,
  });
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  const inEngine = new EngineBatches();
  try {
    const batches = epochBatches(data, epoch, {
      batchSize: opts.batchSize,
      seed: opts.seed,
      alloc: inEngine.alloc,
      allocI32: inEngine.allocI32,
    });
    for await (const { batchNo, batch } of batches) {
      const ctx = { training: true, rng: derivedRng(opts.seed, epoch, batchNo, 2) };
      adam.zeroGrad();
      const out = model.forward(batch.input, ctx);
      const [t, b, k] = out.shape as [number, number, number];
      const l = outputLoss(opts.loss, out.data, t, b, k, batch.labels);
      model.backward({ data: l.grad, shape: out.shape }, ctx);
      adam.update();
      inEngine.release(batch);
      lossSum += (l.loss + (model.auxLoss?.() ?? 0)) * b;
      for (let i = 0; i < b; i++) if (l.predictions[i] === batch.labels[i]) correct++;
      seen += b;
      bar.tick(b, `loss ${(lossSum / seen).toFixed(4)} acc ${pct(correct / seen)}`);
    }
  } finally {
    inEngine.releaseAll();
  }
  bar.finish();
  const seconds = (Date.now() - start) / 1000;
  return {
    epoch: epoch + 1,
    trainLoss: seen > 0 ? lossSum / seen : 0,
    trainAccuracy: seen > 0 ? correct / seen : 0,
    seconds,
    samplesPerSecond: seconds > 0 ? seen / seconds : 0,
  };
}

/** Timings vary between runs; the files a resumed run writes must not. */
function deterministicBook(book: RunBook): Record<string, unknown> {
  return {
    ...book,
    history: book.history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest),
  };
}

function checkpointMeta(
  model: TrainableModel,
  data: LabelledData,
  thresholds: (number | null)[] | null,
  opts: TrainOptions,
  book: RunBook,
  rec: EpochRecord,
): CheckpointMeta {
  return {
    model: model.config as Json,
    preprocessing: data.preprocessing,
    thresholds,
    training: {
      ...(opts.describe ?? {}),
      epoch: rec.epoch,
      epochs: opts.epochs,
      seed: opts.seed,
      threads: opts.threads,
      loss: opts.loss,
      batchSize: opts.batchSize,
      trainLoss: rec.trainLoss,
      trainAccuracy: rec.trainAccuracy,
      valAccuracy: rec.valAccuracy,
      bestEpoch: book.bestEpoch,
      bestAccuracy: book.bestAccuracy,
    },
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * Everything a resumed run must share with the saved one (the epoch count may grow): the model config, the data
 * (preprocessing, sizes, classes) and the optimiser settings. Compared field by field on --resume.
 */
function runFingerprint(
  model: TrainableModel,
  trainSet: LabelledData,
  valSet: LabelledData | null,
  opts: TrainOptions,
): Json {
  return JSON.parse(
    JSON.stringify({
      model: model.config ?? null,
      data: {
        preprocessing: trainSet.preprocessing,
        trainSamples: trainSet.size,
        validationSamples: valSet?.size ?? 0,
        classes: trainSet.classNames ?? trainSet.numClasses,
      },
      batchSize: opts.batchSize,
      lr: opts.lr,
      loss: opts.loss,
      weightDecay: opts.weightDecay ?? 0,
      ...plateauSettings(opts),
      // cosine's rate depends on the epoch count, so a cosine run cannot be extended (older plateau runs record
      // no schedule and still resume)
      ...(scheduleName(opts) === "cosine" ? { schedule: "cosine", epochs: opts.epochs } : {}),
    }),
  ) as Json;
}

/** The plateau schedule's settings, with the model config's defaults (train.plateauFactor/plateauPatience). */
function plateauSettings(opts: TrainOptions): { lrFactor: number; lrPatience: number } {
  return {
    lrFactor: opts.lrFactor ?? COMMON_DEFAULTS.train.plateauFactor,
    lrPatience: opts.lrPatience ?? COMMON_DEFAULTS.train.plateauPatience,
  };
}

function scheduleName(opts: TrainOptions): LrScheduleName {
  return opts.schedule ?? COMMON_DEFAULTS.train.schedule;
}

/** The optimiser settings a model config's `train` section gives the trainer (the CLI may override lr and loss). */
export function trainSettings(
  train: ModelConfig["train"],
): Pick<TrainOptions, "lr" | "loss" | "weightDecay" | "lrFactor" | "lrPatience" | "schedule"> {
  return {
    lr: train.lr,
    loss: train.loss,
    weightDecay: train.weightDecay,
    lrFactor: train.plateauFactor,
    lrPatience: train.plateauPatience,
    schedule: train.schedule,
  };
}

/** The first field (as a path like `model.layers[1].out`) where two JSON values differ, or null. */
function firstDifference(saved: Json, now: Json, path: string): { path: string; saved: Json; now: Json } | null {
  const name = path === "" ? "the run's settings" : path;
  if (saved === null || now === null || typeof saved !== "object" || typeof now !== "object") {
    return saved === now ? null : { path: name, saved, now };
  }
  if (Array.isArray(saved) || Array.isArray(now)) {
    if (!Array.isArray(saved) || !Array.isArray(now) || saved.length !== now.length) return { path: name, saved, now };
    for (let i = 0; i < saved.length; i++) {
      const d = firstDifference(saved[i]!, now[i]!, `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    const d = firstDifference(saved[key] ?? null, now[key] ?? null, path === "" ? key : `${path}.${key}`);
    if (d !== null) return d;
  }
  return null;
}

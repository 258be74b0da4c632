import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openNmnistEmu } from "../../data/emulated/load.js";
import { decodeCheckpoint, loadModelTensors } from "../../checkpoint/checkpoint.js";
import { readCheckpointBytes } from "../../checkpoint/checkpoint-file.js";
import { loadModelConfig } from "../../models/config-file.js";
import { buildModel } from "../../models/index.js";
import { releaseEngine, selectEngine } from "../engine-option.js";
import type { LabelledData } from "../../data/data-api.js";
import type { Json } from "../../util/json.js";
import { makePreprocessing, framesData } from "../../experiments/setup.js";
import { RUN_FILES, RunDir } from "../run-dir.js";
import { policyTimer } from "../../experiments/policy-timing.js";
import { formatInterval, wilson } from "../../experiments/stats.js";
import { type CalibrationSchedule, type SweepResult, thresholdSweep } from "../../experiments/sweep.js";
import { SWEEP_AXES, sweepSvg } from "../../experiments/sweep-plot.js";
import { evaluate } from "../../train/evaluate.js";
import { train, trainSettings } from "../../train/trainer.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import type { Command } from "../command.js";
import { countOpt, intOpt } from "../options.js";

interface Sizes {
  train: number;
  val: number;
  test: number;
  epochs: number;
}
// sized for about 5 minutes of training on 2 cores: 6 000 × 6 trained in 4 min 46 – 5 min 27 s on a quiet 2-core
// EPYC (105–130 recordings/s); with cosine decay 95.2–96.1 % test accuracy over seeds 1–3 (docs/pruning.md);
// --quick trained in 76 s (plateau schedule, 87.0 %; cosine 86.4 %)
const FULL: Sizes = { train: 6000, val: 500, test: 1000, epochs: 6 };
const QUICK: Sizes = { train: 2000, val: 300, test: 500, epochs: 5 };

const HELP = `usage: razor-snn demo [options]

The main job, on the embedded default: N-MNIST-emu (real MNIST digits from the 'mnist' package turned into events
by the project's event-camera emulator: three saccades with idle stretches and sensor noise; generated on first
use and cached). Trains the Razor SNN (the checkpoint is chosen on a validation split), prints its test accuracy
with a 95 % interval, sweeps the hierarchical thresholds (θ per layer chosen on the validation split, deeper
layers dropping more) beside the random, fixed-stride and event-count controls at the same per-layer rates, on
three axes (frame-layers dropped, SOPs dropped, wall-clock speed-up on the event-driven and the dense kernels),
picks the operating point on the validation split and reports its test accuracy and speed-up. Writes the
checkpoint, a JSON summary and SVG plots.
  --out DIR        where results go (default ./razor-snn-demo)
  --train N        training recordings (default ${FULL.train})
  --val N          validation recordings, after the training ones in the training split (default ${FULL.val})
  --test N         test recordings (default ${FULL.test})
  --epochs N       (default ${FULL.epochs})
  --seed S         (default 1)
  --threads N      engine threads (default min(2, cores))
  --compare        also sweep θ on the first scored layer only (every later layer inheriting its mask), same model
  --quick          a fast, smaller run (${QUICK.train} train, ${QUICK.val} validation, ${QUICK.test} test, ${QUICK.epochs} epochs)
  --quiet          no progress bars
  --json           print the summary as JSON`;

/** Frames of 20 ms covering an emulated recording (three ~100 ms saccades plus ~200 ms of idle time). */
const DEMO_FRAMES = { T: 26, dtMs: 20 };
// cosine decay: at a constant rate validation moved 1–4 points between late epochs (docs/pruning.md)
const DEMO_TRAIN = { schedule: "cosine" as const };
const SWEEP_TARGETS = [0, 0.2, 0.4, 0.6, 0.8];
/** test recordings the speed-up is timed on */
const TIMING_SAMPLES = 64;
const DEMO_MARKER = ".razor-snn-demo";

export const command: Command = {
  summary: "train Razor SNN on the embedded N-MNIST-emu data, prune, and report",
  async run(argv: string[]): Promise<number> {
    try {
      return await run(argv);
    } finally {
      releaseEngine();
    }
  },
};

async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      out: { type: "string", default: "razor-snn-demo" },
      train: { type: "string" },
      val: { type: "string" },
      test: { type: "string" },
      epochs: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      quick: { type: "boolean", default: false },
      compare: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const started = performance.now();
  const out = resolve(v.out!);
  const progress = !v.quiet;
  const say = (s: string): void => {
    if (!v.json) console.log(s);
  };
  const sizes = v.quick ? QUICK : FULL;
  const nTrain = countOpt("train", v.train) ?? sizes.train;
  const nVal = countOpt("val", v.val) ?? sizes.val;
  const nTest = countOpt("test", v.test) ?? sizes.test;
  const epochs = countOpt("epochs", v.epochs) ?? sizes.epochs;
  const seed = intOpt("seed", v.seed) ?? 1;
  const threads = await selectEngine(intOpt("threads", v.threads));

  say(
    `1/5 N-MNIST-emu: ${nTrain} training, ${nVal} validation and ${nTest} test recordings (generated on first use, then cached)`,
  );
  const ds = await openNmnistEmu({ trainCount: nTrain + nVal, testCount: nTest, progress });
  const trainSamples = ds.splits.train!.slice(0, nTrain);
  const valSamples = ds.splits.train!.slice(nTrain);
  const testSamples = ds.splits.test!;

  const config = loadModelConfig("nmnist", { variant: "razor", frames: DEMO_FRAMES, seed, train: DEMO_TRAIN });
  const pre = makePreprocessing(config, ds.sensor, null);
  pre.dataset = "nmnist-emu";
  const data = (samples: typeof trainSamples, training: boolean): LabelledData =>
    framesData(samples, ds.classes, pre, { training, cache: true });
  const trainSet = data(trainSamples, true);
  const valSet = data(valSamples, false);
  const testSet = data(testSamples, false);
  const model = buildModel(config);

  say(
    `2/5 training the Razor SNN (${config.layers.length} layers, T = ${DEMO_FRAMES.T} × ${DEMO_FRAMES.dtMs} ms), ` +
      `${epochs} epoch(s) on ${threads} thread(s); the checkpoint is the epoch best on validation`,
  );
  const t0 = performance.now();
  const runDir = freshRunDir(out);
  const summary = await train(
    model,
    trainSet,
    valSet,
    {
      ...trainSettings(config.train),
      epochs,
      batchSize: config.train.batch,
      seed,
      threads,
      progress,
      describe: { dataset: "nmnist-emu", model: "razor", demo: true },
    },
    runDir,
  );
  const trainSeconds = (performance.now() - t0) / 1000;
  const best = runDir.path("best");
  loadModelTensors(model, decodeCheckpoint(readCheckpointBytes(best), best).tensors, best);
  const test = await evaluate(model, testSet, { batchSize: 64 });
  const testInterval = wilson(test.accuracy, test.n);
  say(
    `   epoch ${summary.best.epoch} chosen on validation (${pct(summary.best.accuracy)}); test accuracy ` +
      `${formatInterval(testInterval)} on ${test.n} recordings (95 % interval); ${trainSeconds.toFixed(0)} s`,
  );

  const nTiming = Math.min(TIMING_SAMPLES, testSet.size);
  say(
    `3/5 hierarchical threshold sweep: θ per layer chosen on the ${nVal} validation recordings (deeper layers drop ` +
      `more), controls at the same per-layer rates; accuracy on the test set, speed-up timed on ${nTiming} test recordings`,
  );
  const timingBatch = await testSet.batch(
    Int32Array.from({ length: nTiming }, (_, i) => i),
    { rng: null },
  );
  const timer = policyTimer(model, timingBatch.input);
  const sweepWith = (schedule: CalibrationSchedule): Promise<SweepResult> =>
    thresholdSweep(model, testSet, {
      batchSize: 64,
      targets: SWEEP_TARGETS,
      calibration: valSet,
      schedule,
      timer,
      method: "razor",
    });
  const sweep = await sweepWith("hierarchical");
  printSweep(sweep, say);
  const firstLayer = v.compare ? await sweepWith("first-layer") : null;
  if (firstLayer !== null) {
    say("   for comparison, θ on the first scored layer only (later layers inherit its mask):");
    printSweep(firstLayer, say);
  }

  say("4/5 the operating point: most work dropped with validation accuracy within 2 points of unpruned");
  const chosen = sweep.chosen === null ? null : operatingPoint(sweep.points[sweep.chosen]!, testSet.size);
  if (chosen === null) say("   no threshold kept validation accuracy within 2 points");
  else
    say(
      `   target ${chosen.target}: test accuracy ${pct(chosen.accuracy)} (unpruned ${pct(test.accuracy)}); ` +
        `${pct(chosen.dropped)} of the frame-layers and ${pct(chosen.sopsDropped)} of their SOPs dropped; ` +
        `wall clock ${chosen.speedupEventDriven.toFixed(2)}x faster on the event-driven kernels, ` +
        `${chosen.speedupDense.toFixed(2)}x on the dense ones`,
    );

  say("5/5 writing results");
  const plots: { [axis: string]: string } = {};
  for (const axis of SWEEP_AXES) {
    const file = join(out, axis.file);
    writeFileAtomic(file, sweepSvg(sweep, `Razor SNN on N-MNIST-emu: accuracy vs ${axis.label}`, axis.name));
    plots[axis.name] = file;
  }
  writeFileAtomic(join(out, "sweep.json"), `${JSON.stringify(sweep, null, 2)}\n`);
  const result: { [k: string]: Json } = {
    data: { dataset: "nmnist-emu", train: trainSamples.length, validation: valSamples.length, test: test.n },
    model: { config: "nmnist", variant: "razor", T: DEMO_FRAMES.T, dtMs: DEMO_FRAMES.dtMs },
    training: { epochs, seed, threads, seconds: round(trainSeconds), chosenEpoch: summary.best.epoch },
    accuracy: {
      validation: summary.best.accuracy,
      test: test.accuracy,
      testLow: round(testInterval.low),
      testHigh: round(testInterval.high),
    },
    sweep: sweepSummary(sweep),
    ...(firstLayer === null ? {} : { sweepFirstLayer: sweepSummary(firstLayer) }),
    operatingPoint: chosen as unknown as Json,
    files: { checkpoint: best, sweep: join(out, "sweep.json"), plots },
    seconds: round((performance.now() - started) / 1000),
  };
  writeFileAtomic(join(out, "demo.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (v.json) console.log(JSON.stringify(result));
  else {
    say(`   checkpoint ${best}, plots ${Object.values(plots).join(", ")}, summary ${join(out, "demo.json")}`);
    say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  model.dispose();
  return 0;
}

function sweepSummary(sweep: SweepResult): Json {
  return {
    schedule: sweep.schedule,
    baseline: sweep.baseline.accuracy,
    points: sweep.points.map((p) => ({
      target: p.target,
      rates: p.rates.map(round),
      dropped: round(p.pruned.dropOverall),
      sopsDropped: round(p.pruned.sopsDropped ?? 0),
      speedupEventDriven: round(p.pruned.timing?.eventDriven.speedup ?? 1),
      speedupDense: round(p.pruned.timing?.dense.speedup ?? 1),
      validation: p.calibrationAccuracy ?? null,
      razor: p.pruned.accuracy,
      random: p.controls.random?.accuracy ?? null,
      stride: p.controls.stride?.accuracy ?? null,
      eventCount: p.controls.gate?.accuracy ?? null,
    })),
  };
}

/** The demo's run folder; a previous demo's run files in it are replaced (other folders are never touched). */
function freshRunDir(out: string): RunDir {
  const marker = join(out, DEMO_MARKER);
  if (existsSync(marker)) {
    for (const f of Object.values(RUN_FILES)) rmSync(join(out, f), { force: true });
  }
  const dir = new RunDir(out, false);
  writeFileAtomic(marker, "this folder holds a razor-snn demo run; the next demo run replaces its run files\n");
  return dir;
}

function printSweep(s: SweepResult, say: (s: string) => void): void {
  say(`   unpruned test accuracy ${pct(s.baseline.accuracy)}`);
  say("   target  layer rates   frames    SOPs  speed-up ev/dense     val   razor  random  stride  event-count");
  for (const p of s.points) {
    const c = p.controls;
    const t = p.pruned.timing;
    const speed = t === undefined ? "-" : `${t.eventDriven.speedup.toFixed(2)}/${t.dense.speedup.toFixed(2)}`;
    say(
      `   ${p.target.toFixed(1).padStart(6)}  ${p.rates
        .map((r) => r.toFixed(2))
        .join("/")
        .padStart(11)}` +
        `  ${pct(p.pruned.dropOverall).padStart(7)} ${pct(p.pruned.sopsDropped).padStart(7)}  ${speed.padStart(17)}` +
        `  ${pct(p.calibrationAccuracy).padStart(6)}  ${pct(p.pruned.accuracy).padStart(6)}` +
        `  ${pct(c.random?.accuracy).padStart(6)}  ${pct(c.stride?.accuracy).padStart(6)}  ${pct(c.gate?.accuracy).padStart(11)}`,
    );
  }
}

interface OperatingPoint {
  target: number;
  thetas: (number | null)[];
  accuracy: number;
  accuracyLow: number;
  accuracyHigh: number;
  dropped: number;
  sopsDropped: number;
  speedupEventDriven: number;
  speedupDense: number;
}

function operatingPoint(p: SweepResult["points"][number], n: number): OperatingPoint {
  const interval = wilson(p.pruned.accuracy, n);
  return {
    target: p.target,
    thetas: p.thetas,
    accuracy: p.pruned.accuracy,
    accuracyLow: round(interval.low),
    accuracyHigh: round(interval.high),
    dropped: round(p.pruned.dropOverall),
    sopsDropped: round(p.pruned.sopsDropped ?? 0),
    speedupEventDriven: round(p.pruned.timing?.eventDriven.speedup ?? 1),
    speedupDense: round(p.pruned.timing?.dense.speedup ?? 1),
  };
}

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? "-" : `${(100 * x).toFixed(1)} %`;
const round = (v: number): number => Math.round(v * 1000) / 1000;

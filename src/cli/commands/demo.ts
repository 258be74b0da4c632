import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openNmnistEmu } from "../../data/emulated/load.js";
import { PrunedRunner } from "../../infer/pruned.js";
import { frameLayersDropped, sopsDropped, timeMaskedVsUnmasked } from "../../infer/compare.js";
import { loadModelConfig } from "../../models/config-file.js";
import { buildModel } from "../../models/index.js";
import { releaseEngine, selectEngine } from "../engine-option.js";
import type { LabelledData } from "../../data/data-api.js";
import type { Json } from "../../util/json.js";
import { makePreprocessing, framesData } from "../../experiments/setup.js";
import { RUN_FILES, RunDir } from "../run-dir.js";
import { thresholdPolicy } from "../../experiments/mask-policies.js";
import { type SweepResult, thresholdSweep } from "../../experiments/sweep.js";
import { sweepSvg } from "../../experiments/sweep-plot.js";
import { train } from "../../train/trainer.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import type { Command } from "../command.js";
import { countOpt, intOpt } from "../options.js";

const HELP = `usage: razor-snn demo [options]

The main job, on the embedded default: N-MNIST-emu (real MNIST digits from the 'mnist' package turned into events
by the project's event-camera emulator: three saccades with idle stretches and sensor noise; generated on first
use and cached). Trains the Razor SNN, prints test accuracy, the threshold sweep (accuracy against frame-layer work
dropped, beside the random, fixed-stride and event-count controls) and inference speed with and without the mask,
and writes the checkpoint, a JSON summary and an SVG plot.
  --out DIR        where results go (default ./razor-snn-demo)
  --train N        training recordings (default 2000; the last 200 of them choose the thresholds)
  --test N         test recordings (default 500)
  --epochs N       (default 4)
  --seed S         (default 1)
  --threads N      engine threads (default min(2, cores))
  --quick          a fast, smaller run (700 train, 200 test, 3 epochs; about a minute)
  --quiet          no progress bars
  --json           print the summary as JSON`;

/** Frames of 20 ms covering an emulated recording (three ~100 ms saccades plus ~200 ms of idle time). */
const DEMO_FRAMES = { T: 26, dtMs: 20 };
const SWEEP_TARGETS = [0, 0.2, 0.4, 0.6, 0.8];
const CALIBRATION = 200;
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
      test: { type: "string" },
      epochs: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      quick: { type: "boolean", default: false },
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
  const nTrain = countOpt("train", v.train) ?? (v.quick ? 700 : 2000);
  const nTest = countOpt("test", v.test) ?? (v.quick ? 200 : 500);
  const epochs = countOpt("epochs", v.epochs) ?? (v.quick ? 3 : 4);
  const seed = intOpt("seed", v.seed) ?? 1;
  if (nTrain <= CALIBRATION) throw new Error(`--train ${nTrain}: need more than ${CALIBRATION} (that many choose θ)`);
  const threads = await selectEngine(intOpt("threads", v.threads));

  say(`1/5 N-MNIST-emu: ${nTrain} training and ${nTest} test recordings (generated on first use, then cached)`);
  const ds = await openNmnistEmu({ trainCount: nTrain, testCount: nTest, progress });
  const trainSamples = ds.splits.train!.slice(0, nTrain - CALIBRATION);
  const calibSamples = ds.splits.train!.slice(nTrain - CALIBRATION);
  const testSamples = ds.splits.test!;

  const config = loadModelConfig("nmnist", { variant: "razor", frames: DEMO_FRAMES, seed });
  const pre = makePreprocessing(config, ds.sensor, null);
  pre.dataset = "nmnist-emu";
  const data = (samples: typeof trainSamples, training: boolean): LabelledData =>
    framesData(samples, ds.classes, pre, { training, cache: true });
  const trainSet = data(trainSamples, true);
  const calibSet = data(calibSamples, false);
  const testSet = data(testSamples, false);
  const model = buildModel(config);

  say(
    `2/5 training the Razor SNN (${config.layers.length} layers, T = ${DEMO_FRAMES.T} × ${DEMO_FRAMES.dtMs} ms), ${epochs} epoch(s) on ${threads} thread(s)`,
  );
  const t0 = performance.now();
  const summary = await train(
    model,
    trainSet,
    testSet,
    {
      epochs,
      batchSize: config.train?.batch ?? 32,
      lr: config.train?.lr ?? 1e-3,
      loss: "mse",
      seed,
      threads,
      progress,
      describe: { dataset: "nmnist-emu", model: "razor", demo: true },
    },
    freshRunDir(out),
  );
  const trainSeconds = (performance.now() - t0) / 1000;
  const finalAcc = summary.final.accuracy ?? 0;
  const bestAcc = summary.best.accuracy ?? 0;
  say(
    `   test accuracy: final epoch ${pct(finalAcc)}, best epoch (${summary.best.epoch}) ${pct(bestAcc)}; ` +
      `${trainSeconds.toFixed(0)} s`,
  );

  say(
    `3/5 threshold sweep (θ per layer chosen on ${CALIBRATION} held-out training recordings, evaluated on the test set)`,
  );
  const sweep = await thresholdSweep(model, testSet, {
    batchSize: 64,
    targets: SWEEP_TARGETS,
    calibration: calibSet,
    method: "razor",
  });
  printSweep(sweep, say);

  say("4/5 inference speed with and without the mask (pruned runner, 64 test recordings, best of 3)");
  const speed = await inferenceSpeed(model, testSet, sweep);
  say(
    `   unmasked ${speed.unmaskedMs.toFixed(1)} ms, masked ${speed.maskedMs.toFixed(1)} ms per batch of ` +
      `${speed.samples}: ${speed.speedup.toFixed(2)}x (${pct(speed.dropped)} of the frame-layers dropped, ` +
      `${pct(speed.sopsDropped)} of their SOPs)`,
  );

  say("5/5 writing results");
  const svg = sweepSvg(sweep, "Razor SNN on N-MNIST-emu: accuracy vs frame-layer work dropped");
  writeFileAtomic(join(out, "sweep.svg"), svg);
  writeFileAtomic(join(out, "sweep.json"), `${JSON.stringify(sweep, null, 2)}\n`);
  const result: { [k: string]: Json } = {
    data: {
      dataset: "nmnist-emu",
      train: trainSamples.length,
      calibration: calibSamples.length,
      test: testSamples.length,
    },
    model: { config: "nmnist", variant: "razor", T: DEMO_FRAMES.T, dtMs: DEMO_FRAMES.dtMs },
    training: { epochs, seed, threads, seconds: round(trainSeconds) },
    accuracy: { finalEpoch: finalAcc, bestEpoch: bestAcc, bestEpochIndex: summary.best.epoch },
    sweep: {
      baseline: sweep.baseline.accuracy,
      withinTwoPoints: sweep.withinTolerance as { [k: string]: number },
      points: sweep.points.map((p) => ({
        target: p.target,
        dropped: round(p.pruned.dropOverall),
        razor: p.pruned.accuracy,
        random: p.controls.random?.accuracy ?? null,
        stride: p.controls.stride?.accuracy ?? null,
        eventCount: p.controls.gate?.accuracy ?? null,
      })),
    },
    inference: speed as unknown as Json,
    files: {
      checkpoint: join(out, "best.safetensors"),
      sweep: join(out, "sweep.json"),
      plot: join(out, "sweep.svg"),
    },
    seconds: round((performance.now() - started) / 1000),
  };
  writeFileAtomic(join(out, "demo.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (v.json) console.log(JSON.stringify(result));
  else {
    say(
      `   checkpoint ${join(out, "best.safetensors")}, plot ${join(out, "sweep.svg")}, summary ${join(out, "demo.json")}`,
    );
    say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  model.dispose();
  return 0;
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
  say(`   unpruned accuracy ${pct(s.baseline.accuracy)}`);
  say("   target  dropped   razor  random  stride  event-count");
  for (const p of s.points) {
    const c = p.controls;
    say(
      `   ${p.target.toFixed(1).padStart(6)}  ${pct(p.pruned.dropOverall).padStart(7)}  ${pct(p.pruned.accuracy).padStart(6)}` +
        `  ${pct(c.random?.accuracy).padStart(6)}  ${pct(c.stride?.accuracy).padStart(6)}  ${pct(c.gate?.accuracy).padStart(11)}`,
    );
  }
  const w = s.withinTolerance;
  say(
    `   largest work dropped within ${Math.round(s.tolerance * 100)} points of unpruned: ` +
      Object.entries(w)
        .map(([k, x]) => `${k} ${pct(x)}`)
        .join(", "),
  );
}

interface Speed {
  /** share of the SOPs after the encoder saved (the event-driven kernels' work) */
  sopsDropped: number;
  samples: number;
  dropped: number;
  unmaskedMs: number;
  maskedMs: number;
  speedup: number;
  thetas: (number | null)[];
}

/** Times the pruned runner on one test batch at the sweep's θ nearest to half the work dropped. */
async function inferenceSpeed(
  model: ReturnType<typeof buildModel>,
  testSet: LabelledData,
  sweep: SweepResult,
): Promise<Speed> {
  const point = sweep.points.reduce((a, p) =>
    Math.abs(p.pruned.dropOverall - 0.5) < Math.abs(a.pruned.dropOverall - 0.5) ? p : a,
  );
  const n = Math.min(64, testSet.size);
  const batch = await testSet.batch(
    Int32Array.from({ length: n }, (_, i) => i),
    { rng: null },
  );
  const x = batch.input;
  const { result, unmasked, maskedMs, unmaskedMs } = timeMaskedVsUnmasked(
    new PrunedRunner(model),
    x,
    () => model.setMaskPolicy(thresholdPolicy(point.thetas)),
    () => model.setMaskPolicy(null),
  );
  model.setMaskPolicy(null);
  return {
    samples: x.shape[1]!,
    dropped: round(frameLayersDropped(result)),
    sopsDropped: round(sopsDropped(result, unmasked)),
    unmaskedMs: round(unmaskedMs),
    maskedMs: round(maskedMs),
    speedup: round(unmaskedMs / maskedMs),
    thetas: point.thetas,
  };
}

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? "-" : `${(100 * x).toFixed(1)} %`;
const round = (v: number): number => Math.round(v * 1000) / 1000;

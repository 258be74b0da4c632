import { join } from "node:path";
import { parseArgs } from "node:util";
import "../../engine/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { releasingEngine, selectEngine } from "../engine-option.js";
import { loadCheckpointModel } from "../../checkpoint/load-model.js";
import { CONTROL_LABELS, CONTROLS } from "../../experiments/mask-policies.js";
import { compareLearned, learnedTable } from "../../experiments/learned.js";
import { policyTimer } from "../../experiments/policy-timing.js";
import {
  type CalibrationSchedule,
  DEFAULT_TARGETS,
  SCHEDULES,
  type SweepResult,
  thresholdSweep,
} from "../../experiments/sweep.js";
import { SWEEP_AXES, sweepSvg } from "../../experiments/sweep-plot.js";
import { framesData, openSplits } from "../../experiments/setup.js";
import type { Preprocessing } from "../../checkpoint/preprocess.js";
import type { SnnModel } from "../../models/model.js";
import type { Command } from "../command.js";
import { countOpt, intOpt, numOpt } from "../options.js";

const HELP = `usage: razor-snn sweep --checkpoint FILE [--dataset NAME | --data DIR --labels FILE] [options]

Threshold sweep of a Razor or TA checkpoint: for each target drop rate one θ per layer is chosen on a calibration
split, then accuracy and the share of frame-layer work dropped (per layer and overall) are measured beside the three
controls at the same per-layer drop rates (random frames, fixed stride, event-count gate). Also SOPs, firing rates,
an energy estimate and (--time) the wall-clock speed-up on the event-driven and the dense kernels. θ is never chosen
on the evaluated split. Writes OUT/sweep.json and one SVG per axis (sweep.svg: frame-layers dropped,
sweep-sops.svg, sweep-speedup.svg).
  --checkpoint FILE     a Razor or TA checkpoint
  --dataset/--data/--labels   as for eval (default: the checkpoint's dataset)
  --eval-split NAME     evaluated split (default: test if the dataset has one, else valid)
  --calib-split NAME    split the thresholds are chosen on (default: valid when evaluating test, else train)
  --calib-limit N       calibrate on the first N samples of that split (default 200)
  --limit N             evaluate only the first N samples
  --targets LIST        target drop rates, e.g. 0,0.2,0.4 (default 0,0.1,...,0.9)
  --schedule NAME       hierarchical (default: deeper layers drop more, the paper's method) or first-layer
                        (every layer at the target: only the first scored layer drops, the rest inherit)
  --time N              time every policy on the first N evaluated samples (event-driven and dense kernels)
  --gap-floor G         causal floor: never more than G consecutive dropped frames per layer
  --top-k               also per-sample top-k (offline only)
  --tolerance X         accuracy loss allowed in the summary (default 0.02)
  --seed S              seed of the random-frames control (default 1)
  --batch N  --threads N
  --out DIR             where sweep.json and sweep.svg go (default: the checkpoint's folder)
  --json                print the result JSON
learned pruning (a checkpoint trained with razor-snn train --learned-pruning KEEP):
  the sweep also evaluates the model at its learned masks (d >= the config's evalThreshold) and, at the same
  per-layer drop rates, post-hoc θ on its scores (chosen on the calibration split) and the three controls; the
  table is printed after the sweep's and goes to sweep.json as "learned"
  --reference FILE      also post-hoc θ at those rates on this checkpoint (e.g. a Razor model trained without
                        learned pruning on the same data)
  --learned-only        skip the threshold sweep: only the learned-pruning comparison`;

export const command: Command = {
  summary: "threshold sweep of a Razor/TA checkpoint beside random, stride and event-gate controls",
  run: (argv: string[]) => releasingEngine(() => run(argv)),
};

async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: "string" },
      dataset: { type: "string" },
      data: { type: "string" },
      labels: { type: "string" },
      "eval-split": { type: "string" },
      "calib-split": { type: "string" },
      "calib-limit": { type: "string" },
      limit: { type: "string" },
      targets: { type: "string" },
      schedule: { type: "string" },
      time: { type: "string" },
      "gap-floor": { type: "string" },
      "top-k": { type: "boolean", default: false },
      tolerance: { type: "string" },
      seed: { type: "string" },
      batch: { type: "string" },
      threads: { type: "string" },
      out: { type: "string" },
      reference: { type: "string" },
      "learned-only": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (v.checkpoint === undefined) throw new Error("--checkpoint FILE is required");
  await selectEngine(intOpt("threads", v.threads));
  const { model, pre, meta } = loadCheckpointModel(v.checkpoint, "sweep");
  if (model.config.variant === "snn") {
    throw new Error(`${v.checkpoint} is a plain SNN: it has no frame scores to sweep (train with --model razor or ta)`);
  }
  const opened = await openSplits({
    dataset: v.dataset ?? (v.labels === undefined ? pre.dataset : undefined),
    data: v.data,
    labels: v.labels,
  });
  const splits = opened.ds.splits;
  const evalName = v["eval-split"] ?? (splits.test ? "test" : splits.valid ? "valid" : "all");
  const calibName = v["calib-split"] ?? (evalName === "test" && splits.valid ? "valid" : "train");
  const pick = (name: string) => {
    const s = splits[name];
    if (s === undefined)
      throw new Error(`${opened.ds.name} has no split '${name}' (has: ${Object.keys(splits).join(", ")})`);
    return s;
  };
  let evalSamples = pick(evalName);
  const limit = countOpt("limit", v.limit);
  if (limit !== undefined) evalSamples = evalSamples.slice(0, limit);
  const calibSamples = splits[calibName]?.slice(0, countOpt("calib-limit", v["calib-limit"]) ?? 200) ?? null;
  const evalSet = framesData(evalSamples, opened.ds.classes, pre, { training: false, cache: true });
  if (calibSamples === null || calibName === evalName)
    throw new Error(`--calib-split ${calibName}: θ must be chosen on a split other than the evaluated '${evalName}'`);
  const calibSet = framesData(calibSamples, opened.ds.classes, pre, { training: false, cache: true });
  const schedule = (v.schedule ?? "hierarchical") as CalibrationSchedule;
  if (!SCHEDULES.includes(schedule))
    throw new Error(`--schedule ${v.schedule}: expected one of ${SCHEDULES.join(", ")}`);
  const timeSamples = intOpt("time", v.time);
  const timer =
    timeSamples === undefined
      ? undefined
      : policyTimer(
          model,
          (
            await evalSet.batch(
              Int32Array.from({ length: Math.min(timeSamples, evalSet.size) }, (_, i) => i),
              {
                rng: null,
              },
            )
          ).input,
        );
  const lp = model.config.variant === "razor" ? model.config.razor.learnedPruning : null;
  if (lp === null && (v.reference !== undefined || v["learned-only"]))
    throw new Error(
      `${v.checkpoint} was not trained with learned pruning: --reference and --learned-only need such a checkpoint`,
    );
  const targets = v.targets !== undefined ? v.targets.split(",").map((s) => numOpt("targets", s)!) : DEFAULT_TARGETS;
  const batchSize = countOpt("batch", v.batch) ?? 32;
  const seed = intOpt("seed", v.seed) ?? 1;
  console.error(
    `sweep of ${v.checkpoint} (${model.config.variant}): evaluating ${evalSamples.length} samples of '${evalName}', ` +
      `thresholds chosen on ${calibSamples.length} samples of '${calibName}' (${schedule})`,
  );
  const result = v["learned-only"]
    ? null
    : await thresholdSweep(model, evalSet, {
        batchSize,
        targets,
        calibration: calibSet,
        schedule,
        timer,
        gapFloor: countOpt("gap-floor", v["gap-floor"]) ?? null,
        topK: v["top-k"],
        seed,
        tolerance: numOpt("tolerance", v.tolerance) ?? 0.02,
        method: model.config.variant,
        onProgress: (m) => console.error(m),
      });
  const reference = v.reference === undefined ? undefined : referenceModel(v.reference, pre);
  const learned =
    lp === null
      ? undefined
      : await compareLearned(model, evalSet, {
          evalThreshold: lp.evalThreshold,
          keepTarget: lp.rho,
          batchSize,
          calibration: calibSet,
          reference,
          seed,
        });
  reference?.dispose();
  const outDir = v.out ?? join(v.checkpoint, "..");
  const json = {
    checkpoint: v.checkpoint,
    evalSplit: evalName,
    calibSplit: calibName,
    training: meta.training,
    ...result,
    ...(learned !== undefined && { learned, reference: v.reference }),
  };
  writeFileAtomic(join(outDir, "sweep.json"), `${JSON.stringify(json, null, 2)}\n`);
  for (const axis of result === null ? [] : SWEEP_AXES) {
    if (axis.name === "speedup" && timer === undefined) continue;
    const title = `${model.config.name} ${model.config.variant}: accuracy vs ${axis.label}`;
    writeFileAtomic(join(outDir, axis.file), sweepSvg(result!, title, axis.name));
  }
  if (v.json) console.log(JSON.stringify(json));
  else console.log([result && sweepTable(result), learned && learnedTable(learned)].filter(Boolean).join("\n\n"));
  console.error(`wrote ${join(outDir, "sweep.json")} and the plots in ${outDir}`);
  model.dispose();
  return 0;
}

/** The --reference checkpoint: a Razor or TA model that reads the same frames as the swept one. */
function referenceModel(file: string, pre: Preprocessing): SnnModel {
  const ref = loadCheckpointModel(file);
  const frames = (p: Preprocessing): string => JSON.stringify({ ...p, dataset: null });
  if (ref.model.config.variant === "snn" || frames(ref.pre) !== frames(pre)) {
    ref.model.dispose();
    throw new Error(
      `--reference ${file}: expected a Razor or TA checkpoint with the same preprocessing as --checkpoint (it is ` +
        `${ref.model.config.variant === "snn" ? "a plain SNN" : "framed differently"})`,
    );
  }
  return ref.model;
}

/** A markdown table: per target, the pruned model and each control (accuracy at the overall drop share). */
export function sweepTable(r: SweepResult): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}`;
  const speed = (x: number | undefined): string => (x === undefined ? "-" : `${x.toFixed(2)}×`);
  const head =
    `| target | dropped % (per layer) | SOPs dropped % | speed-up event-driven / dense | ${r.method} acc % | ` +
    `${CONTROLS.map((c) => `${CONTROL_LABELS[c]} %`).join(" | ")} |`;
  const rows = r.points.map(
    (p) =>
      `| ${pct(p.target)} | ${pct(p.pruned.dropOverall)} (${p.pruned.dropPerLayer.slice(1).map(pct).join("/")}) | ` +
      `${pct(p.pruned.sopsDropped ?? 0)} | ${speed(p.pruned.timing?.eventDriven.speedup)} / ${speed(p.pruned.timing?.dense.speedup)} | ` +
      `${pct(p.pruned.accuracy)} | ` +
      CONTROLS.map((c) => (p.controls[c] ? pct(p.controls[c].accuracy) : "-")).join(" | ") +
      " |",
  );
  const within = Object.entries(r.withinTolerance)
    .map(([m, d]) => `${m} ${pct(d)} %`)
    .join(", ");
  return [
    `unpruned accuracy ${pct(r.baseline.accuracy)} % (n = ${r.baseline.n}); θ schedule: ${r.schedule}` +
      (r.chosen === null
        ? ""
        : `; operating point chosen on the calibration split: target ${pct(r.points[r.chosen]!.target)}`),
    "",
    head,
    `|${"---|".repeat(5 + CONTROLS.length)}`,
    ...rows,
    "",
    `largest share dropped within ${pct(r.tolerance)} points of unpruned: ${within}`,
  ].join("\n");
}

import { join } from "node:path";
import { parseArgs } from "node:util";
import "../../engine/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { releasingEngine, selectEngine } from "../engine-option.js";
import { loadCheckpointModel } from "../../checkpoint/load-model.js";
import { CONTROL_LABELS, CONTROLS } from "../../experiments/mask-policies.js";
import { DEFAULT_TARGETS, type SweepResult, thresholdSweep } from "../../experiments/sweep.js";
import { sweepSvg } from "../../experiments/sweep-plot.js";
import { framesData, openSplits } from "../../experiments/setup.js";
import type { Command } from "../command.js";
import { countOpt, intOpt, numOpt } from "../options.js";

const HELP = `usage: razor-snn sweep --checkpoint FILE [--dataset NAME | --data DIR --labels FILE] [options]

Threshold sweep of a Razor or TA checkpoint: for each target drop rate one θ per layer is chosen on a calibration
split, then accuracy and the share of frame-layer work dropped (per layer and overall) are measured beside the three
controls at the same per-layer drop rates (random frames, fixed stride, event-count gate). Also SOPs, firing rates
and an energy estimate. Writes OUT/sweep.json and OUT/sweep.svg.
  --checkpoint FILE     a Razor or TA checkpoint
  --dataset/--data/--labels   as for eval (default: the checkpoint's dataset)
  --eval-split NAME     evaluated split (default: test if the dataset has one, else valid)
  --calib-split NAME    split the thresholds are chosen on (default: valid when evaluating test, else train)
  --calib-limit N       calibrate on the first N samples of that split (default 200)
  --limit N             evaluate only the first N samples
  --targets LIST        target drop rates, e.g. 0,0.2,0.4 (default 0,0.1,...,0.9)
  --gap-floor G         causal floor: never more than G consecutive dropped frames per layer
  --top-k               also per-sample top-k (offline only)
  --tolerance X         accuracy loss allowed in the summary (default 0.02)
  --seed S              seed of the random-frames control (default 1)
  --batch N  --threads N
  --out DIR             where sweep.json and sweep.svg go (default: the checkpoint's folder)
  --json                print the result JSON`;

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
      "gap-floor": { type: "string" },
      "top-k": { type: "boolean", default: false },
      tolerance: { type: "string" },
      seed: { type: "string" },
      batch: { type: "string" },
      threads: { type: "string" },
      out: { type: "string" },
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
  const { model, pre, meta } = loadCheckpointModel(v.checkpoint);
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
  const calibSet =
    calibSamples !== null && calibName !== evalName
      ? framesData(calibSamples, opened.ds.classes, pre, { training: false, cache: true })
      : null;
  const targets = v.targets !== undefined ? v.targets.split(",").map((s) => numOpt("targets", s)!) : DEFAULT_TARGETS;
  console.error(
    `sweep of ${v.checkpoint} (${model.config.variant}): evaluating ${evalSamples.length} samples of '${evalName}', ` +
      `thresholds chosen on ${calibSet !== null ? `${calibSamples!.length} samples of '${calibName}'` : "the evaluated samples"}`,
  );
  const result = await thresholdSweep(model, evalSet, {
    batchSize: countOpt("batch", v.batch) ?? 32,
    targets,
    calibration: calibSet,
    gapFloor: countOpt("gap-floor", v["gap-floor"]) ?? null,
    topK: v["top-k"],
    seed: intOpt("seed", v.seed) ?? 1,
    tolerance: numOpt("tolerance", v.tolerance) ?? 0.02,
    method: model.config.variant,
    onProgress: (m) => console.error(m),
  });
  const outDir = v.out ?? join(v.checkpoint, "..");
  const json = {
    checkpoint: v.checkpoint,
    evalSplit: evalName,
    calibSplit: calibSet ? calibName : null,
    training: meta.training,
    ...result,
  };
  writeFileAtomic(join(outDir, "sweep.json"), `${JSON.stringify(json, null, 2)}\n`);
  writeFileAtomic(
    join(outDir, "sweep.svg"),
    sweepSvg(result, `${model.config.name} ${model.config.variant}: accuracy vs frames dropped`),
  );
  if (v.json) console.log(JSON.stringify(json));
  else console.log(sweepTable(result));
  console.error(`wrote ${join(outDir, "sweep.json")} and ${join(outDir, "sweep.svg")}`);
  model.dispose();
  return 0;
}

/** A markdown table: per target, the pruned model and each control (accuracy at the overall drop share). */
export function sweepTable(r: SweepResult): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}`;
  const head = `| target | dropped % (per layer) | ${r.method} acc % | ${CONTROLS.map((c) => `${CONTROL_LABELS[c]} %`).join(" | ")} |`;
  const rows = r.points.map(
    (p) =>
      `| ${pct(p.target)} | ${pct(p.pruned.dropOverall)} (${p.pruned.dropPerLayer.slice(1).map(pct).join("/")}) | ${pct(p.pruned.accuracy)} | ` +
      CONTROLS.map((c) => (p.controls[c] ? pct(p.controls[c].accuracy) : "-")).join(" | ") +
      " |",
  );
  const within = Object.entries(r.withinTolerance)
    .map(([m, d]) => `${m} ${pct(d)} %`)
    .join(", ");
  return [
    `unpruned accuracy ${pct(r.baseline.accuracy)} % (n = ${r.baseline.n})`,
    "",
    head,
    `|${"---|".repeat(3 + CONTROLS.length)}`,
    ...rows,
    "",
    `largest share dropped within ${pct(r.tolerance)} points of unpruned: ${within}`,
  ].join("\n");
}

import { join } from "node:path";
import { parseArgs } from "node:util";
import "../../engine/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { projectRoot } from "../../util/paths.js";
import { NOISE_WINDOW_DEFAULTS } from "../../checkpoint/preprocess.js";
import { releasingEngine, selectEngine } from "../engine-option.js";
import {
  type ExperimentOptions,
  firstExperimentSpecs,
  type LearnedRunResult,
  pruningSpecs,
  type RunResult,
  runExperiments,
  runLearnedExperiment,
} from "../../experiments/experiments.js";
import { learnedKeepRates, learnedRows } from "../../experiments/learned.js";
import { CONTROL_LABELS, CONTROLS } from "../../experiments/mask-policies.js";
import { formatInterval, meanInterval, wilson } from "../../experiments/stats.js";
import type { SweepResult } from "../../experiments/sweep.js";
import { sweepSvg } from "../../experiments/sweep-plot.js";
import type { Command } from "../command.js";
import { countOpt, DEFAULT_KEEP_WEIGHT, intOpt, learnedPruningSet, numOpt } from "../options.js";

const HELP = `usage: razor-snn ablate [first|pruning|learned] [options]

The method's experiments on the N-MNIST 900/100 split (../shared/data/nmnist/small):
  first     (default) Razor vs TA vs plain SNN; Razor with K in {1,2,4,8} and w in {1,2,4}; accuracy against the
            filtering threshold (Razor and TA, one θ per layer) beside the three controls
  pruning   each recording at a random offset in a window twice as long with background noise; Razor and TA over
            3 seeds; the largest share of frame-layer work dropped within 2 points of unpruned, against the controls,
            with θ on the hierarchical schedule and on the first layer only; means over seeds with 95 % t intervals
  learned   per seed, a Razor model trained with learned pruning (--keep, --keep-weight) and one without; the
            learned masks beside post-hoc θ (on both models) and the three controls at the learned per-layer rates
            (noisy windows as in 'pruning'); accuracies with 95 % Wilson intervals, means over seeds with t intervals
options:
  --epochs N          epochs per run (default 5)
  --seeds LIST        seeds (default: first 1; pruning 1,2,3)
  --targets LIST      sweep target drop rates (default 0,0.1,...,0.8)
  --gap-floor G       causal gap floor for the sweeps
  --noise-hz X        background noise rate for 'pruning' (default 5 per pixel per second)
  --keep X            learned: the keep-rate target (default 0.5)
  --keep-weight X     learned: the target's weight λ (default ${DEFAULT_KEEP_WEIGHT})
  --quick             120 training / 50 validation samples, 2 epochs (a smoke run)
  --threads N
  --out FILE          markdown results (default docs/ablation.md, docs/pruning-ablation.md or
                      docs/learned-pruning.md); JSON lines and SVG beside it`;

export const command: Command = {
  summary: "the method's first experiments on N-MNIST (variants, K, w, threshold) and the pruning experiment",
  run: (argv: string[]) => releasingEngine(() => run(argv)),
};

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: "string" },
      seeds: { type: "string" },
      targets: { type: "string" },
      "gap-floor": { type: "string" },
      "noise-hz": { type: "string" },
      keep: { type: "string" },
      "keep-weight": { type: "string" },
      quick: { type: "boolean", default: false },
      threads: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const which = positionals[0] ?? "first";
  if (which !== "first" && which !== "pruning" && which !== "learned")
    throw new Error(`ablate ${which}: expected 'first', 'pruning' or 'learned'`);
  const threads = await selectEngine(intOpt("threads", v.threads));
  const seeds = v.seeds?.split(",").map((s) => intOpt("seeds", s)!) ?? (which === "first" ? [1] : [1, 2, 3]);
  const targets = v.targets?.split(",").map((s) => numOpt("targets", s)!) ?? [
    0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
  ];
  const epochs = countOpt("epochs", v.epochs) ?? (v.quick ? 2 : 5);
  const start = Date.now();
  const options: ExperimentOptions = {
    epochs,
    threads,
    noiseWindow: which !== "first",
    noiseHz: numOpt("noise-hz", v["noise-hz"]),
    limitTrain: v.quick ? 120 : undefined,
    limitVal: v.quick ? 50 : undefined,
    // in the first experiments only the default Razor run and TA are swept (RunSpec.sweep)
    sweepTargets: targets,
    calibSamples: 200,
    gapFloor: countOpt("gap-floor", v["gap-floor"]) ?? null,
    compareSchedules: which === "pruning",
    progress: false,
    log: (s) => console.error(s),
  };
  const setting = (): string =>
    `N-MNIST 900/100 split of ../shared/data/nmnist/small${v.quick ? " (quick: 120/50 samples)" : ""}` +
    `${which !== "first" ? `, each recording at a random offset in a window twice as long with background noise (${options.noiseHz ?? NOISE_WINDOW_DEFAULTS.noiseHz} Hz per pixel)` : ""}; ` +
    `${epochs} epochs per run, seeds ${seeds.join(", ")}, ${threads} thread(s); ${((Date.now() - start) / 60000).toFixed(1)} min in all`;
  if (which === "learned") {
    const keep = numOpt("keep", v.keep) ?? 0.5;
    learnedPruningSet(String(keep), v["keep-weight"]);
    const lambda = numOpt("keep-weight", v["keep-weight"]) ?? DEFAULT_KEEP_WEIGHT;
    const runs = await runLearnedExperiment(seeds, keep, lambda, options);
    const out = v.out ?? join(projectRoot(), "docs", "learned-pruning.md");
    const md = learnedTables(runs, setting());
    writeFileAtomic(out, md);
    const lines = [JSON.stringify({ setting: setting() }), ...runs.map((r) => JSON.stringify(r))];
    writeFileAtomic(out.replace(/\.md$/, ".jsonl"), `${lines.join("\n")}\n`);
    console.log(md);
    console.error(`wrote ${out} (+ .jsonl)`);
    return 0;
  }
  const specs = which === "first" ? seeds.flatMap((s) => firstExperimentSpecs(s)) : pruningSpecs(seeds);
  const results = await runExperiments(specs, options);
  const out = v.out ?? join(projectRoot(), "docs", which === "first" ? "ablation.md" : "pruning-ablation.md");
  const md = which === "first" ? firstTables(results, setting()) : pruningTables(results, setting());
  writeFileAtomic(out, md);
  // JSON lines (one run per line, the setting first): machine-readable, and left alone by the formatter
  const lines = [JSON.stringify({ setting: setting() }), ...results.map((r) => JSON.stringify(r))];
  writeFileAtomic(out.replace(/\.md$/, ".jsonl"), `${lines.join("\n")}\n`);
  for (const r of results) {
    if (r.sweep)
      writeFileAtomic(out.replace(/\.md$/, `-${r.name.replace(/\s+/g, "-")}.svg`), sweepSvg(r.sweep, r.name));
  }
  console.log(md);
  console.error(`wrote ${out} (+ .jsonl, .svg plots)`);
  return 0;
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "-" : (100 * x).toFixed(1));

function accuracyRow(r: RunResult): string {
  return `| ${r.name} | ${pct(r.summary.final.accuracy)} | ${pct(r.summary.best.accuracy)} (epoch ${r.summary.best.epoch}) | ${r.seconds.toFixed(0)} |`;
}

function firstTables(results: RunResult[], setting: string): string {
  const head = "| run | final-epoch val acc % | best-epoch val acc % | train s |\n|---|---|---|---|";
  const byName = (p: string) => results.filter((r) => r.name.startsWith(p));
  const lines = [
    "# First experiments (generated by `razor-snn ablate`)",
    "",
    `Setting: ${setting}. Validation = the last 100 ids of train1K.txt (±3–4 points is noise at n = 100).`,
    "",
    "## Razor vs TA vs plain SNN",
    "",
    head,
    ...["razor K4 w1", "ta", "snn"].flatMap((n) => byName(n).map(accuracyRow)),
    "",
    "## Number of embeddings K (Razor, w = 1)",
    "",
    head,
    ...["razor K1", "razor K2", "razor K4 w1", "razor K8"].flatMap((n) => byName(n).map(accuracyRow)),
    "",
    "## Window w (Razor, K = 4)",
    "",
    head,
    ...["razor K4 w1", "razor w2", "razor w4"].flatMap((n) => byName(n).map(accuracyRow)),
    "",
  ];
  for (const r of results.filter((x) => x.sweep)) lines.push(...sweepSection(r));
  return `${lines.join("\n")}\n`;
}

function sweepSection(r: RunResult, s: SweepResult = r.sweep!): string[] {
  return [
    `## Accuracy against the filtering threshold: ${r.name}, ${s.schedule} θ`,
    "",
    `One θ per layer, chosen on 200 training samples for each target (${s.schedule} schedule); controls at the same per-layer rates. Unpruned: ${pct(s.baseline.accuracy)} % (n = ${s.baseline.n}).`,
    "",
    `| target | θ per layer | dropped % overall (per layer) | SOPs dropped % | ${r.variant} % | ${CONTROLS.map((c) => `${CONTROL_LABELS[c]} %`).join(" | ")} |`,
    `|${"---|".repeat(5 + CONTROLS.length)}`,
    ...s.points.map(
      (p) =>
        `| ${pct(p.target)} | ${p.thetas
          .slice(1)
          .map((t) =>
            t === null
              ? "-"
              : t === Number.NEGATIVE_INFINITY
                ? "keep all"
                : Number.isFinite(t)
                  ? t.toFixed(3)
                  : "drop all",
          )
          .join(
            ", ",
          )} | ${pct(p.pruned.dropOverall)} (${p.pruned.dropPerLayer.slice(1).map(pct).join("/")}) | ${pct(p.pruned.sopsDropped)} | ${pct(p.pruned.accuracy)} | ${CONTROLS.map((c) => pct(p.controls[c]?.accuracy)).join(" | ")} |`,
    ),
    "",
    `Largest share dropped within 2 points of unpruned: ${Object.entries(s.withinTolerance)
      .map(([m, d]) => `${m} ${pct(d)} %`)
      .join(", ")}.`,
    "",
  ];
}

function pruningTables(results: RunResult[], setting: string): string {
  const lines = [
    "# Pruning where it can matter (generated by `razor-snn ablate pruning`)",
    "",
    `Setting: ${setting}.`,
    "",
    "Largest share of frame-layer work dropped (layers after the encoder) at which validation accuracy stays within 2 points of the unpruned model (hierarchical: θ per layer, deeper layers dropping more; first-layer: θ on the first scored layer only). Means over seeds with a 95 % t interval:",
    "",
    `| run | θ schedule | unpruned % | method | ${CONTROLS.map((c) => CONTROL_LABELS[c]).join(" | ")} |`,
    `|${"---|".repeat(4 + CONTROLS.length)}`,
  ];
  const sweepsOf = (r: RunResult): SweepResult[] =>
    [r.sweep, r.sweepFirstLayer].filter((s): s is SweepResult => s !== undefined);
  for (const r of results) {
    for (const s of sweepsOf(r)) {
      const w = s.withinTolerance;
      lines.push(
        `| ${r.name} | ${s.schedule} | ${pct(s.baseline.accuracy)} | ${pct(w[r.variant])} | ${CONTROLS.map((c) => pct(w[c])).join(" | ")} |`,
      );
    }
  }
  for (const variant of ["razor", "ta"]) {
    for (const schedule of ["hierarchical", "first-layer"]) {
      const ss = results
        .filter((r) => r.variant === variant)
        .flatMap(sweepsOf)
        .filter((s) => s.schedule === schedule);
      if (ss.length === 0) continue;
      const cell = (f: (s: SweepResult) => number): string => formatInterval(meanInterval(ss.map(f)));
      lines.push(
        `| **${variant} mean of ${ss.length}** | ${schedule} | ${cell((s) => s.baseline.accuracy)} | ${cell((s) => s.withinTolerance[variant] ?? 0)} | ${CONTROLS.map((c) => cell((s) => s.withinTolerance[c] ?? 0)).join(" | ")} |`,
      );
    }
  }
  lines.push("");
  for (const r of results) for (const s of sweepsOf(r)) lines.push(...sweepSection(r, s));
  return `${lines.join("\n")}\n`;
}

function learnedTables(runs: LearnedRunResult[], setting: string): string {
  const methods = learnedRows(runs[0]!.comparison).map((r) => r.method);
  const lines = [
    "# Learned pruning against post-hoc θ and the controls (generated by `razor-snn ablate learned`)",
    "",
    `Setting: ${setting}.`,
    "",
    "Per seed: a Razor model trained with learned pruning (binary masks sampled from d, straight-through, keep-rate target) evaluated at its learned masks (d ≥ 0.5), and at the same per-layer drop rates: post-hoc θ on its own scores, post-hoc θ on a Razor model of the same seed trained without learned pruning (θ on 200 training samples), and the three controls. Validation accuracy with 95 % Wilson intervals; the last rows are means over seeds with 95 % t intervals.",
    "",
    `| seed | achieved keep per layer % | ${methods.join(" | ")} |`,
    `|${"---|".repeat(2 + methods.length)}`,
  ];
  for (const r of runs) {
    const keep = learnedKeepRates(r.comparison).map(pct).join("/");
    const cells = learnedRows(r.comparison).map(({ run }) => formatInterval(wilson(run.accuracy, run.n)));
    lines.push(`| ${r.seed} | ${keep} | ${cells.join(" | ")} |`);
  }
  const column = (i: number) => runs.map((r) => learnedRows(r.comparison)[i]!.run);
  const mean = methods.map((_, i) => formatInterval(meanInterval(column(i).map((x) => x.accuracy))));
  const drop = methods.map((_, i) => formatInterval(meanInterval(column(i).map((x) => x.dropOverall))));
  lines.push(
    `| **mean accuracy** | | ${mean.join(" | ")} |`,
    `| **mean frame-layers dropped** | | ${drop.join(" | ")} |`,
  );
  return `${lines.join("\n")}\n`;
}

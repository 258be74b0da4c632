import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../util/atomic-write.js";
import {
  PAPER_OPTIMISER,
  PAPER_PROTOCOLS,
  paperProtocol,
  paperRows,
  paperTable,
  protocolOverrides,
} from "../../experiments/paper.js";
import type { Command } from "../command.js";
import { countOpt, variantOpt } from "../options.js";
import { releasingEngine } from "../engine-option.js";
import { RUN_OPTIONS, runTrain } from "./train.js";

const HELP = `usage: razor-snn paper DATASET --data DIR --out DIR [options]

Trains on one of the Razor paper's benchmarks with the papers' protocol (T, dt, training window, test clips, epochs,
batch, Adam, plateau schedule, MSE rate loss, surrogate width; see docs/paper.md for each value's source) and prints
the test accuracy next to the published TA-SNN and Razor SNN numbers. Writes what train writes, plus OUT/paper.json.
datasets:
${PAPER_PROTOCOLS.map((p) => `  ${p.key.padEnd(12)} ${p.title}: T ${p.T}${p.dtMs === null ? " over the recording" : ` × ${p.dtMs} ms`}, ${p.epochs} epochs, batch ${p.batch}, lr ${p.lr}`).join("\n")}
  optimiser: ${PAPER_OPTIMISER.text}
options:
  --data DIR           the dataset's folder (razor-snn data download NAME puts it in place)
  --out DIR            run folder
  --model VARIANT      razor (default) | ta | snn
  --seed S  --threads N  --resume  --quiet  --json
overrides (for smoke runs; a run with any of them is not the paper's protocol and says so):
  --epochs N           epochs instead of the protocol's
  --limit N            only the first N training and N test samples
  --batch N            batch size instead of the protocol's
  --set PATH=VALUE     any other config value (repeatable)`;

export const command: Command = {
  summary: "train on a paper benchmark with the paper's protocol; accuracy beside the published numbers",
  run: (argv: string[]) => releasingEngine(() => run(argv)),
};

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...RUN_OPTIONS, limit: { type: "string" } },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new Error(`say which benchmark: razor-snn paper ${PAPER_PROTOCOLS.map((p) => p.key).join("|")} --data DIR`);
  }
  const p = paperProtocol(positionals[0]!);
  if (v.data === undefined) throw new Error(`--data DIR is required: the ${p.title} folder`);
  if (v.out === undefined) throw new Error("--out DIR is required (where checkpoints and paper.json go)");
  const variant = variantOpt(v.model) ?? "razor";
  const limit = countOpt("limit", v.limit);
  const epochs = countOpt("epochs", v.epochs) ?? p.epochs;
  const overrides = [...protocolOverrides(p), ...(v.set ?? [])];
  const args = ["--dataset", p.dataset, "--data", v.data, "--out", v.out, "--model", variant];
  args.push("--epochs", String(epochs), ...overrides.flatMap((s) => ["--set", s]));
  if (v.batch !== undefined) args.push("--batch", v.batch);
  if (limit !== undefined) args.push("--limit-train", String(limit), "--limit-val", String(limit));
  for (const k of ["seed", "threads"] as const) if (v[k] !== undefined) args.push(`--${k}`, v[k]!);
  for (const k of ["resume", "quiet"] as const) if (v[k]) args.push(`--${k}`);
  const report = (await runTrain(args, false))!;
  if (report.evaluatedOn !== "test") {
    throw new Error(`${p.title}: expected the data's test split for evaluation, found '${report.evaluatedOn}'`);
  }
  const smoke = epochs !== p.epochs || limit !== undefined || v.batch !== undefined || (v.set ?? []).length > 0;
  const rows = paperRows(p, variant, report.final.accuracy, report.best.accuracy, epochs);
  const json = {
    benchmark: p.key,
    dataset: p.dataset,
    variant,
    protocol: { ...p, optimiser: PAPER_OPTIMISER, overrides },
    paperProtocol: !smoke,
    rows,
    epochs: report.epochs,
  };
  writeFileAtomic(join(v.out, "paper.json"), `${JSON.stringify(json, null, 2)}\n`);
  if (v.json) console.log(JSON.stringify(json));
  else {
    console.log(paperTable(p, rows));
    if (smoke) console.log("\nnot the paper's protocol: --epochs, --limit, --batch or --set changed it (a smoke run)");
  }
  return 0;
}

import { parseArgs } from "node:util";
import "../../engine/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { releasingEngine, selectEngine } from "../engine-option.js";
import { evalJson, evaluate } from "../../train/evaluate.js";
import { loadAnyCheckpointModel } from "../../checkpoint/load-model.js";
import { framesData, openSplits } from "../../experiments/setup.js";
import type { Command } from "../command.js";
import { countOpt, intOpt } from "../options.js";

const HELP = `usage: razor-snn eval --checkpoint FILE [--dataset NAME] [--data DIR] [--labels FILE] [options]

Evaluates a checkpoint with the preprocessing stored in it (sensor, framing, T, downsampling).
  --checkpoint FILE    a .safetensors file written by 'razor-snn train' or 'razor-snn nir import'
  --dataset NAME       evaluate on this dataset's validation/test split (default: the checkpoint's dataset)
  --data DIR           the dataset's folder, or a folder of recordings (with --labels)
  --labels FILE        'id<TAB>class' lines for a folder of recordings (then all of them are evaluated)
  --split NAME         which split of a named dataset (default: valid, else test)
  --limit N            only the first N samples
  --batch N            batch size (default 32)
  --threads N          engine threads
  --out FILE           also write the JSON result here
  --json               print one JSON object: accuracy (0..1), n, correct, perClass, confusion`;

export const command: Command = {
  summary: "evaluate a checkpoint: accuracy, per-class counts",
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
      split: { type: "string" },
      limit: { type: "string" },
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
  const batchSize = countOpt("batch", v.batch) ?? 32;
  await selectEngine(intOpt("threads", v.threads));
  const { model, pre } = loadAnyCheckpointModel(v.checkpoint);
  const data = await evalData({ ...v, pre });
  const result = await evaluate(model, data, { batchSize });
  const json = { checkpoint: v.checkpoint, ...evalJson(result) };
  if (v.out !== undefined) writeFileAtomic(v.out, `${JSON.stringify(json, null, 2)}\n`);
  if (v.json) console.log(JSON.stringify(json));
  else {
    console.log(
      `accuracy ${(100 * result.accuracy).toFixed(2)} % (${result.correct}/${result.n}, ${result.clips} clip(s) per sample)`,
    );
    for (const c of result.perClass) {
      if (c.n > 0) console.log(`  class ${c.name ?? c.class}: ${c.correct}/${c.n}`);
    }
  }
  model.dispose();
  return 0;
}

/** The evaluation samples: a labelled folder (all), or a named dataset's validation (else test) split. */
export async function evalData(v: {
  dataset?: string;
  data?: string;
  labels?: string;
  split?: string;
  limit?: string;
  pre: import("../../checkpoint/preprocess.js").Preprocessing;
}) {
  const dataset = v.dataset ?? (v.labels === undefined ? v.pre.dataset : undefined);
  const opened = await openSplits({ dataset, data: v.data, labels: v.labels });
  let samples = opened.ds.splits[v.split ?? ""] ?? opened.ds.splits.all ?? opened.val;
  if (v.split !== undefined && opened.ds.splits[v.split] === undefined) {
    throw new Error(`${opened.ds.name} has no split '${v.split}' (has: ${Object.keys(opened.ds.splits).join(", ")})`);
  }
  if (samples.length === 0) throw new Error(`${opened.ds.name}: no samples to evaluate`);
  const limit = countOpt("limit", v.limit);
  if (limit !== undefined) samples = samples.slice(0, limit);
  return framesData(samples, opened.ds.classes, v.pre, { training: false, cache: true });
}

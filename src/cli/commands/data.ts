/**
 * `razor-snn data`: download a dataset, report what a dataset holds, inspect one recording.
 */
import { parseArgs } from "node:util";
import { EVENT_FORMATS, type EventFormat } from "../../events/decoders/types.js";
import { defaultDatasetRoot, fetchDataset } from "../../data/fetch-dataset.js";
import { datasetInfo, formatInfo } from "../../data/info.js";
import { openData } from "../../data/open.js";
import { DATASET_NAMES, DATASETS, datasetSpec } from "../../data/registry.js";
import type { Command } from "../main.js";

const USAGE = `usage: razor-snn data <sub-command> [options]

  list                                  the datasets razor-snn can download and read
  download NAME [--root DIR]            download, verify (MD5) and extract a dataset
  info NAME [--root DIR]                samples per class and split, events per sample
  info --data DIR --labels FILE         the same for a folder of recordings + labels file
  inspect FILE [--json] [--format F]    what a recording file holds

Run 'razor-snn data <sub-command> --help' for the options of each.`;

const HELP: Record<string, string> = {
  list: "usage: razor-snn data list\n\nLists the known datasets with their download size and default folder.",
  download: `usage: razor-snn data download NAME [--root DIR] [--retries N] [--mirror URL] [--quiet]

Downloads every file of dataset NAME into DIR/download/ (resuming a partial download), checks each file's MD5,
and extracts it into DIR. A second run does nothing. If a download is impossible (no internet access), the
message gives the URL and where to put the file by hand; run the command again afterwards.

  NAME         ${DATASET_NAMES.join(", ")}
  --root DIR   the dataset's folder (default: <cache>/datasets/NAME; RAZOR_SNN_CACHE moves <cache>)
  --retries N  attempts after a cut connection (default 5)
  --mirror URL fetch each file as URL/<file name> (a local copy of the archives; or set RAZOR_SNN_MIRROR)
  --quiet      no progress bar`,
  info: `usage: razor-snn data info NAME [--root DIR] [--events N|all] [--seed S] [--json]
       razor-snn data info --data DIR --labels FILE [--format F] [--events N|all] [--json]

Counts samples per class in every split and measures events per sample (decoding a seeded choice of at most
N samples per split, default 200; 'all' decodes every sample, 0 none).

  NAME           ${DATASET_NAMES.join(", ")}, or nmnist-small (the 1 000 samples in shared/data)
  --root DIR     the dataset's folder (default: <cache>/datasets/NAME)
  --data DIR     a folder of recordings in any supported format ...
  --labels FILE  ... with 'id<TAB>class' lines (ids = file names without extension; '#' lines are comments)
  --seed S       seed of CIFAR10-DVS / N-Caltech101's 9:1 split (default 0) and of the measured subset
  --json         print one JSON object`,
  inspect: `usage: razor-snn data inspect FILE [--json] [--format F] [--first N]

Detects the file's format (from its content) and prints sensor size, event count, ON/OFF counts, time span and
the first events.

  --format F   skip detection: ${EVENT_FORMATS.join(", ")}
  --first N    how many first events to show (default 5)
  --json       print one JSON object`,
};

function wantsHelp(argv: string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

function parseFormat(f: string | undefined): EventFormat | undefined {
  if (f === undefined) return undefined;
  if (!(EVENT_FORMATS as readonly string[]).includes(f)) {
    throw new Error(`--format ${f}: expected one of ${EVENT_FORMATS.join(", ")}`);
  }
  return f as EventFormat;
}

async function list(): Promise<number> {
  for (const name of DATASET_NAMES) {
    const s = DATASETS[name];
    const bytes = s.resources.reduce((a, r) => a + (r.approxBytes ?? 0), 0);
    console.log(
      `${name.padEnd(15)} ${s.title.padEnd(34)} ~${(bytes / 1e9).toFixed(1)} GB  ${defaultDatasetRoot(name)}`,
    );
  }
  console.log(`${"nmnist-small".padEnd(15)} ${"1 000 N-MNIST samples (shared/data)".padEnd(34)} no download`);
  return 0;
}

async function download(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      root: { type: "string" },
      retries: { type: "string" },
      quiet: { type: "boolean" },
      mirror: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    console.error(`razor-snn data download: expected one dataset name\n\n${HELP.download}`);
    return 2;
  }
  const spec = datasetSpec(positionals[0]!);
  const root = values.root ?? defaultDatasetRoot(spec.name);
  const retries = values.retries === undefined ? undefined : Number(values.retries);
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new Error(`--retries ${values.retries}: expected a non-negative integer`);
  }
  const done = await fetchDataset(spec, root, { retries, progress: !values.quiet, mirror: values.mirror });
  for (const d of done) console.log(`${d.file}: ${d.status}${d.extractedFiles ? ` (${d.extractedFiles} files)` : ""}`);
  console.log(`${spec.title} is in ${root}`);
  return 0;
}

async function info(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      root: { type: "string" },
      data: { type: "string" },
      labels: { type: "string" },
      format: { type: "string" },
      events: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (positionals.length > 1 || (positionals.length === 0 && values.data === undefined)) {
    console.error(`razor-snn data info: expected a dataset name, or --data DIR --labels FILE\n\n${HELP.info}`);
    return 2;
  }
  if (values.root !== undefined && values.data !== undefined) throw new Error("give --root or --data, not both");
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${values.seed}: expected an integer`);
  const ev = values.events ?? "200";
  const eventSamples = ev === "all" ? Number.POSITIVE_INFINITY : Number(ev);
  if (!(eventSamples >= 0)) throw new Error(`--events ${ev}: expected a count or 'all'`);
  const ds = await openData({
    dataset: positionals[0],
    data: values.data ?? values.root,
    labels: values.labels,
    format: parseFormat(values.format),
    splitSeed: seed,
  });
  const result = await datasetInfo(ds, { eventSamples, seed });
  console.log(values.json ? JSON.stringify(result) : formatInfo(result));
  return 0;
}

async function inspect(_argv: string[]): Promise<number> {
  console.error("razor-snn data inspect: waiting for the events module's inspectRecording");
  return 2;
}

export const command: Command = {
  summary: "download datasets, show dataset info, inspect a recording",
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    }
    const run = { list, download, info, inspect }[sub];
    if (run === undefined) {
      console.error(`razor-snn data: unknown sub-command '${sub}'\n\n${USAGE}`);
      return 2;
    }
    if (wantsHelp(rest)) {
      console.log(HELP[sub]);
      return 0;
    }
    return run(rest);
  },
};

/**
 * `razor-snn data`: download a dataset, report what a dataset holds, inspect one recording.
 */
import { parseArgs } from "node:util";
import { EVENT_FORMATS, type EventFormat } from "../../events/decoders/types.js";
import { inspectRecording, type RecordingSummary } from "../../events/inspect.js";
import { detectFileFormat, readEventFile } from "../../events/read-file.js";
import { openShd } from "../../events/shd-node.js";
import { defaultDatasetRoot, fetchDataset } from "../../data/fetch-dataset.js";
import { datasetInfo, formatInfo } from "../../data/info.js";
import { openData } from "../../data/open.js";
import { DATASET_NAMES, DATASETS, datasetSpec } from "../../data/registry.js";
import { exportFrames } from "../../experiments/frame-export.js";
import { makePreprocessing, openSplits, resolveConfig } from "../../experiments/setup.js";
import type { Command } from "../command.js";
import { dataArgsOf, variantOpt } from "../options.js";

const USAGE = `usage: razor-snn data <sub-command> [options]

  list                                  the datasets razor-snn can download and read
  download NAME [--root DIR]            download, verify (MD5) and extract a dataset
  info NAME [--root DIR]                samples per class and split, events per sample
  info --data DIR --labels FILE         the same for a folder of recordings + labels file
  inspect FILE [--json] [--format F]    what a recording file holds
  export-frames --dataset NAME --out DIR  the integrated frames as .npy (for the PyTorch twin, python/)

Run 'razor-snn data <sub-command> --help' for the options of each.`;

const HELP: Record<string, string> = {
  list: "usage: razor-snn data list\n\nLists the known datasets with their download size and default folder.",
  download: `usage: razor-snn data download NAME [--root DIR] [--retries N] [--mirror URL] [--quiet]

Downloads every file of dataset NAME into DIR/download/ (resuming a partial download), checks each file's MD5,
and extracts it into DIR. A second run does nothing. If a download is impossible (no internet access), the
message gives the URL and where to put the file by hand; run the command again afterwards.

  NAME         ${DATASET_NAMES.join(", ")}
  --root DIR   the dataset's folder (default: <cache>/datasets/NAME; RAZOR_SNN_CACHE moves <cache>)
  --retries N  give up after N failed attempts in a row that add nothing (default 5)
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
  inspect: `usage: razor-snn data inspect FILE [--json] [--format F] [--first N] [--sample I]

Detects the file's format (from its content) and prints sensor size, event count, ON/OFF counts, time span and
the first events. An SHD/SSC HDF5 file holds many samples: its sample count and classes are shown, and sample I
(default 0) is inspected.

  --format F   skip detection: ${EVENT_FORMATS.join(", ")}
  --first N    how many first events to show (default 5)
  --json       print one JSON object`,
  "export-frames": `usage: razor-snn data export-frames --dataset NAME [--data DIR] [--labels FILE] --out DIR [options]

Integrates every recording of the training and test splits into frames as the network's config says (the same
pipeline as train and eval) and writes them for the PyTorch twin (python/, docs/pytorch.md), readable with numpy
alone: per split, <split>.frames.npy (uint16 [frames, ...input]), <split>.offsets.npy (int64 [samples + 1]),
<split>.labels.npy (int64), and meta.json (classes, resolved config, preprocessing, sample ids), written last.

  --dataset NAME      ${DATASET_NAMES.join(", ")}, or nmnist-small
  --data DIR          the dataset's folder (default <cache>/datasets/NAME), or a folder of recordings with --labels
  --config NAME|FILE  the network config whose framing is used (default: the dataset's)
  --model V           razor, ta or snn (recorded in meta.json's config)
  --set PATH=VALUE    config override, e.g. --set frames.T=30 (repeatable)
  --valid N           for a single-split folder: the last N samples form the test split
  --limit-train N, --limit-val N   only the first N samples
  --no-cache          do not keep integrated frames in the disk cache
  --quiet             no progress bar`,
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

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      format: { type: "string" },
      first: { type: "string" },
      sample: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    console.error(`razor-snn data inspect: expected one file\n\n${HELP.inspect}`);
    return 2;
  }
  const file = positionals[0]!;
  const first = values.first === undefined ? 5 : Number(values.first);
  if (!(Number.isInteger(first) && first >= 0)) throw new Error(`--first ${values.first}: expected a count`);
  const format = parseFormat(values.format);
  const detected = format === undefined ? await detectFileFormat(file) : { format, reason: "given with --format" };
  const sample = values.sample === undefined ? 0 : Number(values.sample);
  let summary: RecordingSummary;
  let extra: Record<string, unknown> = {};
  if (detected.format === "shd") {
    // An HDF5 file holds many samples: summarise the file, then inspect one sample (--sample).
    const h5 = await openShd(file);
    try {
      if (!(Number.isInteger(sample) && sample >= 0 && sample < h5.length)) {
        throw new Error(`--sample ${values.sample}: ${file} holds samples 0..${h5.length - 1}`);
      }
      const perClass = new Array<number>(Math.max(h5.keys.length, 1 + Math.max(0, ...h5.labels))).fill(0);
      for (const l of h5.labels) perClass[l]!++;
      extra = { samples: h5.length, classes: h5.keys, perClass, sample, label: h5.labels[sample] };
      summary = inspectRecording({ format: "shd", stream: h5.sample(sample), sensorGuessed: false, meta: {} }, first);
    } finally {
      h5.close();
    }
  } else {
    summary = inspectRecording(await readEventFile(file, { format: detected.format }), first);
  }
  if (values.json) {
    console.log(JSON.stringify({ file, detectedBy: detected.reason, ...extra, ...summary }));
    return 0;
  }
  const head = Object.keys(extra).length
    ? [
        `HDF5 file with ${extra.samples} samples; per class: ${(extra.perClass as number[]).join(" ")}`,
        `sample ${sample} (label ${extra.label}${h5Key(extra, Number(extra.label))}):`,
      ]
    : [];
  console.log([...head, formatSummary(file, detected.reason, summary)].join("\n"));
  return 0;
}

async function exportFramesCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: "string" },
      data: { type: "string" },
      labels: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      model: { type: "string" },
      set: { type: "string", multiple: true },
      valid: { type: "string" },
      "limit-train": { type: "string" },
      "limit-val": { type: "string" },
      "no-cache": { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  if (positionals.length > 0 || v.out === undefined) {
    console.error(
      `razor-snn data export-frames: expected --out DIR and no positional arguments\n\n${HELP["export-frames"]}`,
    );
    return 2;
  }
  const variant = variantOpt(v.model);
  const opened = await openSplits(dataArgsOf(v));
  const say = (s: string): void => console.error(s);
  const config = resolveConfig(
    { configName: opened.configName, configFile: v.config, variant, set: v.set },
    opened.ds.classes.length,
    opened.sensor,
    say,
  );
  const pre = makePreprocessing(config, opened.sensor, null);
  if (v.dataset !== undefined) pre.dataset = v.dataset;
  const done = await exportFrames({
    out: v.out,
    config,
    classes: opened.ds.classes,
    pre,
    splits: [
      { name: "train", samples: opened.train },
      { name: "test", samples: opened.val },
    ],
    cache: !v["no-cache"],
    progress: !v.quiet,
  });
  for (const [name, s] of Object.entries(done)) console.log(`${name}: ${s.samples} samples, ${s.frames} frames`);
  console.log(`frames of ${config.name} (input [${pre.input}], T ${pre.T}) are in ${v.out}`);
  return 0;
}

function h5Key(extra: Record<string, unknown>, label: number): string {
  const keys = extra.classes as string[];
  return keys[label] !== undefined ? `, ${keys[label]}` : "";
}

function formatSummary(file: string, reason: string, s: RecordingSummary): string {
  const span =
    s.tStart === null || s.tEnd === null
      ? "no events"
      : `${s.tStart} .. ${s.tEnd} µs (${((s.tEnd - s.tStart) / 1e6).toFixed(6)} s)`;
  const pct = (n: number): string => (s.events > 0 ? ` (${((100 * n) / s.events).toFixed(2)} %)` : "");
  const lines = [
    `file        ${file}`,
    `format      ${s.format} (${reason})`,
    `sensor      ${s.sensor.width}x${s.sensor.height}, ${s.sensor.polarities} polarit${s.sensor.polarities === 1 ? "y" : "ies"}` +
      `${s.sensorGuessed ? " (guessed from the largest coordinates)" : ""}`,
    `events      ${s.events}`,
    s.sensor.polarities === 1
      ? "ON / OFF    - (one polarity: audio channels or a merged sensor)"
      : `ON / OFF    ${s.on}${pct(s.on)} / ${s.off}${pct(s.off)}`,
    `time span   ${span}`,
  ];
  if (s.firstEvents.length > 0) {
    lines.push(`first ${s.firstEvents.length} events (t µs, x, y, p):`);
    for (const e of s.firstEvents) lines.push(`  ${e.t}, ${e.x}, ${e.y}, ${e.p}`);
  }
  const meta = Object.entries(s.meta).filter(([, v]) => v !== undefined);
  if (meta.length > 0) {
    lines.push("header:");
    for (const [k, v] of meta) lines.push(`  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return lines.join("\n");
}

export const command: Command = {
  summary: "download datasets, show dataset info, inspect a recording, export frames",
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    }
    const run = { list, download, info, inspect, "export-frames": exportFramesCommand }[sub];
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

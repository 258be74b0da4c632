/**
 * `razor-snn emulate`: frames to events with the event-camera emulator, and the N-MNIST-emu dataset as files.
 *
 *   razor-snn emulate INPUT --out FILE          frames (folder or pattern) -> event file (.bin, .aedat, .npy)
 *   razor-snn emulate nmnist-emu --out DIR      N-MNIST-emu recordings as 40-bit .bin files + labels.txt
 *   razor-snn emulate nmnist-stats              emulated vs real N-MNIST statistics (../shared/data/nmnist/small)
 */
import { readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { parseArgs } from "node:util";
import { parseLabels } from "../../data/labels.js";
import { digitImage } from "../../data/emulated/digits.js";
import { loadNmnistEmu } from "../../data/emulated/load.js";
import { loadMnistPackageDigits } from "../../data/emulated/mnist-package.js";
import {
  DEFAULT_NMNIST_EMU_PARAMS,
  emulateSaccadeRecording,
  NMNIST_TIMING,
  type NmnistEmuParamsInput,
  recordingSeed,
  resolveNmnistEmuParams,
} from "../../data/emulated/nmnist-emu.js";
import { pearson, type RecordingStats, recordingStats } from "../../data/emulated/recording-stats.js";
import { type EmuSplit, realRecordingDigits } from "../../data/emulated/split.js";
import { decodeEvents } from "../../events/decode.js";
import { EventCameraEmulator } from "../../events/emulator/emulator.js";
import { listFrameFiles, readFrameImage, readTimestampsFile } from "../../events/emulator/image-files.js";
import { DEFAULT_EMULATOR_PARAMS, EMULATOR_PARAM_HELP, type EmulatorParams } from "../../events/emulator/params.js";
import { concatEventStreams, type EventStream } from "../../events/stream.js";
import { writeAedat31 } from "../../events/writers/aedat3.js";
import { writeAtis40 } from "../../events/writers/atis40.js";
import { writeNpyEvents } from "../../events/writers/npy.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { sharedDataDir } from "../../util/paths.js";
import type { Command } from "../command.js";

type OutputFormat = "bin" | "aedat" | "npy";

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Emulator parameters that are flags (the seed has its own flag). */
const EMULATOR_KEYS = (Object.keys(DEFAULT_EMULATOR_PARAMS) as (keyof EmulatorParams)[]).filter((k) => k !== "seed");

const SCENE_HELP: Record<string, string> = {
  saccadeMs: "motion time of one saccade (ms)",
  speedExponent: "speed profile within a saccade, sin(pi u)^q",
  pauseMs: "still time after each saccade (ms)",
  saccadeJitter: "relative std dev of saccade durations",
  triangle: "saccade triangle corners x0,y0,x1,y1,x2,y2 (px)",
  axisWindows: "12 fractions: x/y start,end per saccade",
  triangleJitter: "relative std dev of the triangle size",
  positionJitterPx: "std dev of the path offset (px)",
  idleMs: "total idle time shared among the 4 gaps (ms)",
  frameUs: "(nmnist-*) rendering step during saccades (µs)",
  backgroundLevel: "monitor background intensity (0..1)",
  digitLevel: "ink intensity (0..1)",
  blurPx: "optical blur, Gaussian sigma (px)",
};
const SCENE_KEYS = Object.keys(SCENE_HELP);

const options = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  out: { type: "string", short: "o" },
  format: { type: "string" },
  fps: { type: "string" },
  "frame-us": { type: "string" },
  timestamps: { type: "string" },
  seed: { type: "string" },
  split: { type: "string" },
  count: { type: "string" },
  "exclude-real-overlap": { type: "boolean" },
  real: { type: "string" },
  ...Object.fromEntries([...EMULATOR_KEYS, ...SCENE_KEYS].map((k) => [kebab(k), { type: "string" }])),
} as const;

type Values = Record<string, string | boolean | undefined>;

function help(): string {
  const emu = EMULATOR_KEYS.map(
    (k) => `  --${kebab(k).padEnd(24)} ${EMULATOR_PARAM_HELP[k]} (default ${DEFAULT_EMULATOR_PARAMS[k]})`,
  );
  const d = DEFAULT_NMNIST_EMU_PARAMS as unknown as Record<string, unknown>;
  const scene = SCENE_KEYS.map((k) => `  --${kebab(k).padEnd(24)} ${SCENE_HELP[k]} (default ${String(d[k])})`);
  return [
    "usage: razor-snn emulate INPUT --out FILE [options]      frames -> events",
    "       razor-snn emulate nmnist-emu --out DIR [options]  N-MNIST-emu recordings -> DIR/*.bin + labels.txt",
    "       razor-snn emulate nmnist-stats [options]          emulated vs real N-MNIST statistics",
    "",
    "INPUT is a folder of PNG/JPEG frames or a pattern such as 'video/frame_*.png' (natural order).",
    "Frames are read as grayscale intensities; output format from --format or the extension of --out:",
    "  .bin (N-MNIST 40-bit), .aedat (AEDAT 3.1), .npy (structured t,x,y,p).",
    "",
    "frames:",
    "  --fps N                   frame rate (default 30) ...",
    "  --frame-us N              ... or frame interval in µs ...",
    "  --timestamps FILE         ... or one time in µs per line, one line per frame",
    "  --format bin|aedat|npy    output format (default: from the extension)",
    "",
    "nmnist-emu / nmnist-stats:",
    "  --split train|test        (nmnist-emu; default test)",
    "  --count N                 recordings (nmnist-emu: first N of the split; nmnist-stats: default 1000)",
    "  --exclude-real-overlap    leave the digits of the real N-MNIST samples out of train",
    "  --real DIR                real recordings with train1K.txt (default ../shared/data/nmnist/small)",
    "",
    "both:",
    "  --seed N                  random seed (default 0)",
    "  --json                    print the summary as JSON",
    "",
    "camera (emulator) parameters (nmnist-* defaults are N-MNIST-tuned: see docs/emulator.md):",
    ...emu,
    "",
    "N-MNIST-emu scene parameters:",
    ...scene,
  ].join("\n");
}

function num(v: Values, flag: string): number | undefined {
  const s = v[flag];
  if (s === undefined || typeof s === "boolean") return undefined;
  const x = Number(s);
  if (s.trim() === "" || !Number.isFinite(x)) throw new Error(`--${flag}: expected a number, got '${s}'`);
  return x;
}

function intFlag(v: Values, flag: string): number | undefined {
  const x = num(v, flag);
  if (x !== undefined && (!Number.isInteger(x) || x < 0))
    throw new Error(`--${flag}: expected an integer >= 0, got ${x}`);
  return x;
}

function emulatorFlags(v: Values): Partial<EmulatorParams> {
  const out: Partial<EmulatorParams> = {};
  for (const k of EMULATOR_KEYS) {
    const x = num(v, kebab(k));
    if (x !== undefined) out[k] = x;
  }
  return out;
}

function sceneFlags(v: Values): NmnistEmuParamsInput {
  const out: Record<string, unknown> = { emulator: emulatorFlags(v) };
  for (const k of SCENE_KEYS) {
    const flag = kebab(k);
    const s = v[flag];
    if (typeof s !== "string") continue;
    if (k === "triangle" || k === "axisWindows") {
      const list = s.split(",").map((p) => Number(p));
      if (list.some((x) => !Number.isFinite(x))) throw new Error(`--${flag}: expected comma-separated numbers`);
      out[k] = list;
    } else {
      out[k] = num(v, flag);
    }
  }
  return out as NmnistEmuParamsInput;
}

function outputFormat(v: Values, out: string): OutputFormat {
  const f = (v.format as string | undefined) ?? extname(out).slice(1).toLowerCase();
  if (f === "bin" || f === "bs2") return "bin";
  if (f === "aedat" || f === "aedat3") return "aedat";
  if (f === "npy") return "npy";
  throw new Error(`cannot tell the output format of '${out}': use --format bin|aedat|npy or one of those extensions`);
}

function encode(ev: EventStream, format: OutputFormat): Uint8Array {
  if (format === "bin") {
    if (ev.sensor.width > 256 || ev.sensor.height > 240) {
      throw new Error(
        `the 40-bit .bin format holds x < 256, y < 240; this sensor is ${ev.sensor.width}x${ev.sensor.height} (use .aedat or .npy)`,
      );
    }
    return writeAtis40(ev);
  }
  return format === "aedat" ? writeAedat31(ev, { source: "razor-snn emulator" }) : writeNpyEvents(ev);
}

function countOn(ev: EventStream): number {
  let n = 0;
  for (let k = 0; k < ev.p.length; k++) n += ev.p[k]!;
  return n;
}

async function emulateFrames(input: string, v: Values): Promise<number> {
  const out = v.out as string | undefined;
  if (out === undefined) throw new Error("emulate: --out FILE is required (see --help)");
  const format = outputFormat(v, out);
  const files = listFrameFiles(input);
  if (files.length < 2) throw new Error(`${input}: ${files.length} frame found, need at least 2`);
  let times: number[];
  if (v.timestamps !== undefined) {
    times = readTimestampsFile(v.timestamps as string);
    if (times.length !== files.length) {
      throw new Error(`${v.timestamps}: ${times.length} timestamps for ${files.length} frames`);
    }
  } else {
    const frameUs = num(v, "frame-us") ?? 1e6 / (num(v, "fps") ?? 30);
    if (!(frameUs > 0)) throw new Error("--fps / --frame-us must be > 0");
    times = files.map((_, i) => i * frameUs);
  }
  const first = readFrameImage(files[0]!);
  const emu = new EventCameraEmulator(first.width, first.height, {
    ...emulatorFlags(v),
    seed: intFlag(v, "seed") ?? 0,
  });
  const parts: EventStream[] = [];
  for (let i = 0; i < files.length; i++) {
    const img = i === 0 ? first : readFrameImage(files[i]!);
    if (img.width !== first.width || img.height !== first.height) {
      throw new Error(`${files[i]}: ${img.width}x${img.height}, but the first frame is ${first.width}x${first.height}`);
    }
    emu.pushFrame(img.gray, times[i]!);
    parts.push(emu.takeEvents());
  }
  const ev = concatEventStreams(parts, emu.sensor);
  writeFileAtomic(out, encode(ev, format));
  const on = countOn(ev);
  const durationS = (times[times.length - 1]! - times[0]!) / 1e6;
  const summary = {
    input,
    output: out,
    format,
    frames: files.length,
    sensor: emu.sensor,
    durationS,
    events: ev.t.length,
    on,
    off: ev.t.length - on,
    eventsPerSecond: durationS > 0 ? ev.t.length / durationS : 0,
    params: emu.params,
  };
  if (v.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      `${files.length} frames ${first.width}x${first.height} over ${durationS.toFixed(3)} s -> ${ev.t.length} events ` +
        `(${on} ON, ${ev.t.length - on} OFF, ${summary.eventsPerSecond.toFixed(0)} ev/s) written to ${out} (${format})`,
    );
  }
  return 0;
}

async function writeNmnistEmu(v: Values): Promise<number> {
  const out = v.out as string | undefined;
  if (out === undefined) throw new Error("emulate nmnist-emu: --out DIR is required (see --help)");
  const split = (v.split as string | undefined) ?? "test";
  if (split !== "train" && split !== "test") throw new Error(`--split: expected train or test, got '${split}'`);
  const recs = await loadNmnistEmu({
    split: split as EmuSplit,
    count: intFlag(v, "count"),
    seed: intFlag(v, "seed") ?? 0,
    excludeRealOverlap: v["exclude-real-overlap"] === true,
    params: sceneFlags(v),
    progress: !v.json,
  });
  const lines = ["# id\tclass (N-MNIST-emu, razor-snn emulate nmnist-emu)"];
  let events = 0;
  for (const r of recs) {
    writeFileAtomic(join(out, `${r.id}.bin`), writeAtis40(r.stream));
    lines.push(`${r.id}\t${r.label}`);
    events += r.stream.t.length;
  }
  writeFileAtomic(join(out, "labels.txt"), `${lines.join("\n")}\n`);
  const summary = { output: out, split, recordings: recs.length, events, labels: join(out, "labels.txt") };
  if (v.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(`${recs.length} recordings (${events} events) written to ${out}, labels in ${summary.labels}`);
  return 0;
}

/** Real recordings (in id order) and the matching emulated ones, with their statistics. */
async function nmnistStats(v: Values): Promise<number> {
  const dir = (v.real as string | undefined) ?? join(sharedDataDir(), "nmnist", "small");
  const labelsFile = join(dir, "train1K.txt");
  const lines = parseLabels(readFileSync(labelsFile, "utf8"), labelsFile);
  const count = Math.min(lines.length, intFlag(v, "count") ?? 1000);
  const labels = lines.map((l) => Number(l.cls));
  const refs = realRecordingDigits(labels);
  const seed = intFlag(v, "seed") ?? 0;
  const input = sceneFlags(v);
  const params = resolveNmnistEmuParams({ ...NMNIST_TIMING, ...input });
  const digits = loadMnistPackageDigits();
  const real: EventStream[] = [];
  const emu: EventStream[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(readFileSync(join(dir, `${lines[i]!.id}.bs2`)));
    real.push(decodeEvents(bytes, { format: "atis40", sensor: { width: 34, height: 34, polarities: 2 } }).stream);
    const { label, index } = refs[i]!;
    emu.push(
      emulateSaccadeRecording(digitImage(digits, label, index), params, recordingSeed(seed, label, index)).events,
    );
  }
  const countCorrelation = pearson(
    real.map((s) => s.t.length),
    emu.map((s) => s.t.length),
  );
  const result = {
    recordings: count,
    real: recordingStats(real),
    emulated: recordingStats(emu),
    countCorrelation,
    params,
  };
  if (v.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(formatStats(result.real, result.emulated));
    console.log(`per-recording event counts, correlation real vs emulated: ${countCorrelation.toFixed(3)}`);
  }
  return 0;
}

function formatStats(r: RecordingStats, e: RecordingStats): string {
  const d = (s: RecordingStats["events"], f = 0) =>
    `${s.mean.toFixed(f)} (p5 ${s.p5.toFixed(f)}, median ${s.median.toFixed(f)}, p95 ${s.p95.toFixed(f)})`;
  const rows = [
    `${r.recordings} recordings, real vs emulated (N-MNIST timing: no idle gaps)`,
    `events/recording   real ${d(r.events)}   emulated ${d(e.events)}`,
    `ON share           real ${r.onShare.mean.toFixed(3)}   emulated ${e.onShare.mean.toFixed(3)}`,
    `active pixels      real ${d(r.activePixels)}   emulated ${d(e.activePixels)}`,
    `duration (ms)      real ${d(r.durationMs)}   emulated ${d(e.durationMs)}`,
    `border rate (Hz/px) real ${r.borderRateHz.toFixed(3)} (ON ${r.borderOnShare.toFixed(2)})   emulated ${e.borderRateHz.toFixed(3)} (ON ${e.borderOnShare.toFixed(2)})`,
    `events per ${r.rate.binMs} ms bin:`,
    `  real     ${r.rate.meanEvents.map((x) => x.toFixed(0).padStart(4)).join("")}`,
    `  emulated ${e.rate.meanEvents.map((x) => x.toFixed(0).padStart(4)).join("")}`,
  ];
  return rows.join("\n");
}

export const command: Command = {
  summary: "turn frame sequences into events with the event-camera emulator; write or compare N-MNIST-emu",
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const v = values as Values;
    if (v.help) {
      console.log(help());
      return 0;
    }
    const [what, ...rest] = positionals;
    if (what === undefined || rest.length > 0) {
      console.error(`${help()}\n\nrazor-snn emulate: expected one INPUT (or nmnist-emu / nmnist-stats)`);
      return 2;
    }
    if (what === "nmnist-emu") return writeNmnistEmu(v);
    if (what === "nmnist-stats") return nmnistStats(v);
    return emulateFrames(what, v);
  },
};

/** What `razor-snn data info` reports: samples per class and split, events per sample. */
import { Rng } from "../util/rng.js";
import type { SplitDataset } from "./sample.js";

export interface EventStats {
  /** samples decoded for these numbers (all of them, or a seeded subset) */
  measured: number;
  min: number;
  median: number;
  mean: number;
  max: number;
}

export interface DatasetInfo {
  name: string;
  classes: string[];
  sensor: SplitDataset["sensor"];
  /** "dataset": the dataset's fixed size; "first recording": what the first decoded file says (maybe guessed) */
  sensorFrom: "dataset" | "first recording" | "unknown";
  splitFiles: string[];
  notes: string[];
  splits: Record<string, { samples: number; perClass: number[]; events: EventStats | null }>;
}

export interface InfoOptions {
  /** decode at most this many samples per split for the event statistics (seeded choice); 0 = none */
  eventSamples?: number;
  seed?: number;
}

export async function datasetInfo(ds: SplitDataset, opts: InfoOptions = {}): Promise<DatasetInfo> {
  const limit = opts.eventSamples ?? 200;
  const splits: DatasetInfo["splits"] = {};
  let sensor = ds.sensor;
  for (const [name, samples] of Object.entries(ds.splits)) {
    const perClass = new Array<number>(ds.classes.length).fill(0);
    for (const s of samples) perClass[s.label] = (perClass[s.label] ?? 0) + 1;
    let events: EventStats | null = null;
    if (limit > 0 && samples.length > 0) {
      let chosen = samples;
      if (samples.length > limit) {
        const idx = Array.from({ length: samples.length }, (_, i) => i);
        new Rng(opts.seed ?? 0).shuffle(idx);
        chosen = idx
          .slice(0, limit)
          .sort((a, b) => a - b)
          .map((i) => samples[i]!);
      }
      const counts: number[] = [];
      for (const s of chosen) {
        const ev = await s.load();
        counts.push(ev.t.length);
        // a folder of recordings has no sensor of its own: report the first recording's
        if (sensor.width === 0) sensor = ev.sensor;
      }
      counts.sort((a, b) => a - b);
      const mid = counts.length >> 1;
      events = {
        measured: counts.length,
        min: counts[0]!,
        median: counts.length % 2 ? counts[mid]! : (counts[mid - 1]! + counts[mid]!) / 2,
        mean: counts.reduce((a, b) => a + b, 0) / counts.length,
        max: counts[counts.length - 1]!,
      };
    }
    splits[name] = { samples: samples.length, perClass, events };
  }
  const sensorFrom = ds.sensor.width > 0 ? "dataset" : sensor.width > 0 ? "first recording" : "unknown";
  return { name: ds.name, classes: ds.classes, sensor, sensorFrom, splitFiles: ds.splitFiles, notes: ds.notes, splits };
}

/** A plain-text table of `datasetInfo`. */
export function formatInfo(info: DatasetInfo): string {
  const names = Object.keys(info.splits);
  const s = info.sensor;
  const lines = [
    `${info.name}: ${info.classes.length} classes, sensor ${s.width > 0 ? `${s.width}x${s.height}` : "given by each recording"}` +
      `, ${s.polarities} polarit${s.polarities === 1 ? "y" : "ies"}` +
      `${info.sensorFrom === "first recording" ? " (as the first recording says; each file has its own)" : ""}`,
  ];
  for (const f of info.splitFiles) lines.push(`split defined by ${f}`);
  const w = Math.max(5, ...info.classes.map((c) => c.length));
  lines.push("", `${"class".padEnd(w)}  ${names.map((n) => n.padStart(8)).join("")}`);
  info.classes.forEach((c, i) => {
    lines.push(`${c.padEnd(w)}  ${names.map((n) => String(info.splits[n]!.perClass[i] ?? 0).padStart(8)).join("")}`);
  });
  lines.push(`${"total".padEnd(w)}  ${names.map((n) => String(info.splits[n]!.samples).padStart(8)).join("")}`, "");
  for (const n of names) {
    const e = info.splits[n]!.events;
    if (e === null) continue;
    const of = e.measured === info.splits[n]!.samples ? "all" : `a seeded sample of ${e.measured}`;
    lines.push(
      `events per sample, ${n} (${of}): min ${e.min}, median ${e.median}, mean ${e.mean.toFixed(1)}, max ${e.max}`,
    );
  }
  for (const note of info.notes) lines.push(`note: ${note}`);
  return lines.join("\n");
}

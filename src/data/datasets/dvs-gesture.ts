/**
 * DVS128 Gesture: <root>/DvsGesture/userNN_<lighting>.aedat (AEDAT 3.1) with userNN_<lighting>_labels.csv. The
 * official split comes from the dataset's trials_to_train.txt / trials_to_test.txt (users 01-23 / 24-29); each
 * recording is cut into its labelled gestures (t_start <= t < t_end, label = class - 1). Node only.
 *
 * A recording (up to 70 MB) holds about 11 gestures: decoded recordings are kept in a small LRU so that the
 * gestures of one recording, visited together (FramesData.warm does), decode it once.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseGestureLabels } from "../../events/gestures.js";
import { readEventFile } from "../../events/read-file.js";
import { type EventStream, sliceByTime } from "../../events/stream.js";
import { requireFetched } from "../fetch-dataset.js";
import { fileIdentity } from "../recording-sample.js";
import { DATASETS } from "../registry.js";
import type { Sample, SplitDataset } from "../sample.js";

/** Keeps the last few decoded recordings (promises, so concurrent loads of one file decode it once). */
export class RecordingLru {
  private readonly entries = new Map<string, Promise<EventStream>>();
  decodes = 0;
  constructor(
    private readonly capacity: number,
    private readonly decode: (path: string) => Promise<EventStream>,
  ) {}

  get(path: string): Promise<EventStream> {
    let p = this.entries.get(path);
    if (p !== undefined) {
      this.entries.delete(path);
      this.entries.set(path, p);
      return p;
    }
    this.decodes++;
    p = this.decode(path);
    p.catch(() => this.entries.delete(path));
    this.entries.set(path, p);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return p;
  }
}

/** One gesture of a recording, decoded through `lru` (used when a worker rebuilds a sample from its ref). */
export async function loadGesture(
  lru: RecordingLru,
  recording: string,
  csv: string,
  row: number,
): Promise<EventStream> {
  const rows = parseGestureLabels(readFileSync(csv, "utf8"), csv);
  const r = rows[row];
  if (r === undefined) throw new Error(`${csv} has ${rows.length} rows; row ${row} was asked for`);
  return sliceByTime(await lru.get(recording), r.tStart, r.tEnd);
}

export function readTrialList(file: string): string[] {
  return readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

export function openDvsGesture(root: string, opts: { cachedRecordings?: number } = {}): SplitDataset {
  const spec = DATASETS["dvs128-gesture"];
  const dir = join(root, "DvsGesture");
  requireFetched(spec, root, "the DvsGesture/ folder", dir);
  const lru = new RecordingLru(
    opts.cachedRecordings ?? 2,
    async (path) => (await readEventFile(path, { format: "aedat3", sensor: spec.sensor })).stream,
  );
  const splits: SplitDataset["splits"] = {};
  const splitFiles: string[] = [];
  for (const split of ["train", "test"] as const) {
    const list = join(dir, `trials_to_${split}.txt`);
    requireFetched(spec, root, `the trial list trials_to_${split}.txt`, list);
    splitFiles.push(list);
    const samples: Sample[] = [];
    for (const name of readTrialList(list)) {
      const stem = name.replace(/\.aedat$/i, "");
      const recording = join(dir, `${stem}.aedat`);
      const csv = join(dir, `${stem}_labels.csv`);
      if (!existsSync(recording)) throw new Error(`${list} lists ${name}, but ${recording} does not exist`);
      if (!existsSync(csv)) throw new Error(`${list} lists ${name}, but its labels ${csv} do not exist`);
      parseGestureLabels(readFileSync(csv, "utf8"), csv).forEach((row, k) => {
        samples.push({
          id: `${stem}#${k}`,
          label: row.label,
          identity: () => `${fileIdentity(recording)}|${fileIdentity(csv)}|${k}`,
          load: async () => sliceByTime(await lru.get(recording), row.tStart, row.tEnd),
          ref: { kind: "gesture", recording, csv, row: k, sensor: spec.sensor },
        });
      });
    }
    splits[split] = samples;
  }
  return { name: spec.name, classes: spec.classes, sensor: spec.sensor, splits, splitFiles, notes: [] };
}

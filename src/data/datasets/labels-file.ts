/**
 * "A folder of recordings + a labels file" (the file's format and parser: ../labels.ts), recordings in any format
 * the decoders read. This is how users bring their own data (`--data DIR --labels FILE`), and how the 1 000
 * N-MNIST samples in shared/data are labelled. Node only.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { labelId, labelIndex, parseLabels } from "../labels.js";
import { type FileSampleOptions, fileSample } from "../recording-sample.js";
import type { Sample, SplitDataset } from "../sample.js";

export interface LabelledFolderOptions extends FileSampleOptions {
  /** name shown in messages (default: the folder's name) */
  name?: string;
}

/** Opens a folder + labels file; every labelled id must have exactly one file. One split, "all", in file order. */
export function openLabelledFolder(
  dataDir: string,
  labelsFile: string,
  opts: LabelledFolderOptions = {},
): SplitDataset {
  let text: string;
  try {
    text = readFileSync(labelsFile, "utf8");
  } catch (err) {
    throw new Error(
      `labels file ${labelsFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? err}): ` +
        "expected a text file of 'id<TAB>class' lines",
    );
  }
  const lines = parseLabels(text, labelsFile);
  const { classes, labels } = labelIndex(lines, { file: labelsFile });
  let names: string[];
  try {
    names = readdirSync(dataDir).filter((f) => statSync(join(dataDir, f)).isFile());
  } catch (err) {
    throw new Error(`data folder ${dataDir} cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const labelsName = basename(labelsFile);
  const byId = new Map<string, string[]>();
  for (const f of names) {
    if (f === labelsName || f.startsWith(".")) continue;
    const id = labelId(f);
    byId.set(id, [...(byId.get(id) ?? []), f]);
  }
  const missing = lines.filter((l) => !byId.has(l.id));
  if (missing.length > 0) {
    const shown = missing
      .slice(0, 5)
      .map((l) => `'${l.id}' (line ${l.line})`)
      .join(", ");
    throw new Error(
      `${missing.length} of ${lines.length} ids in ${labelsFile} have no recording in ${dataDir}: ${shown}` +
        `${missing.length > 5 ? ", ..." : ""}. Expected files named <id>.<ext>, e.g. ${missing[0]!.id}.bin`,
    );
  }
  const ambiguous = lines.find((l) => byId.get(l.id)!.length > 1);
  if (ambiguous) {
    throw new Error(
      `id '${ambiguous.id}' (${labelsFile} line ${ambiguous.line}) matches several files in ${dataDir}: ` +
        `${byId.get(ambiguous.id)!.join(", ")}`,
    );
  }
  const samples: Sample[] = lines.map((l, i) => fileSample(join(dataDir, byId.get(l.id)![0]!), l.id, labels[i]!, opts));
  const labelled = new Set(lines.map((l) => l.id));
  const unlabelled = [...byId.keys()].filter((id) => !labelled.has(id)).length;
  return {
    name: opts.name ?? basename(dataDir),
    classes,
    // The sensor is what the recordings say; a labels folder has no fixed one.
    sensor: opts.sensor ?? { width: 0, height: 0, polarities: 2 },
    splits: { all: samples },
    splitFiles: [labelsFile],
    notes: unlabelled > 0 ? [`${unlabelled} file(s) in ${dataDir} have no label and are left out`] : [],
  };
}

/** The first `nTrain` samples train, the next `nValid` validate (file order of the labels file). */
export function headTailSplit(samples: Sample[], nTrain: number, nValid: number): { train: Sample[]; valid: Sample[] } {
  if (samples.length < nTrain + nValid) {
    throw new Error(
      `need ${nTrain + nValid} labelled samples for a ${nTrain}/${nValid} split, found ${samples.length}`,
    );
  }
  return { train: samples.slice(0, nTrain), valid: samples.slice(samples.length - nValid) };
}

/**
 * Holds out the tail: the first round((1 - validFraction)·n) samples train, the rest validate (file order). On the
 * 1 000 ids of nmnist/small/train1K.txt with the default 0.1 this is the standard 900/100 split.
 */
export function tailSplit(samples: Sample[], validFraction = 0.1): { train: Sample[]; valid: Sample[] } {
  if (!(validFraction > 0 && validFraction < 1))
    throw new RangeError(`validFraction must be in (0, 1), got ${validFraction}`);
  const nTrain = Math.round(samples.length * (1 - validFraction));
  return headTailSplit(samples, nTrain, samples.length - nTrain);
}

/**
 * CIFAR10-DVS: <root>/<class>/cifar10_<class>_<i>.aedat (AEDAT 2.0, DVS128; the original figshare archives) or
 * .aedat4 (tonic's converted copy). No official split: seeded 9:1 per class, written to <root>/splits/. Node only.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { requireFetched } from "../fetch-dataset.js";
import { CIFAR10_CLASSES, DATASETS } from "../registry.js";
import type { SplitDataset } from "../sample.js";
import { classFolderSamples } from "./class-folders.js";
import { seededClassSplit } from "./seeded-split.js";

export function openCifar10Dvs(root: string, seed = 0): SplitDataset {
  const spec = DATASETS["cifar10-dvs"];
  const first = CIFAR10_CLASSES.find((c) => !existsSync(join(root, c)));
  if (first !== undefined) requireFetched(spec, root, `the ${first}/ folder`, join(root, first));
  const byClass = classFolderSamples(root, CIFAR10_CLASSES, [".aedat", ".aedat4"], "", { sensor: spec.sensor });
  const file = join(root, "splits", `cifar10-dvs-9to1-seed${seed}.json`);
  const { train, test } = seededClassSplit(spec.name, byClass, seed, 0.9, file);
  return {
    name: spec.name,
    classes: CIFAR10_CLASSES,
    sensor: spec.sensor,
    splits: { train, test },
    splitFiles: [file],
    notes: [],
  };
}

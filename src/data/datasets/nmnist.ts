/** N-MNIST: <root>/Train/<digit>/*.bin and <root>/Test/<digit>/*.bin (the official split). Node only. */
import { join } from "node:path";
import { sharedDataDir } from "../../util/paths.js";
import { requireFetched } from "../fetch-dataset.js";
import { DATASETS } from "../registry.js";
import type { SplitDataset } from "../sample.js";
import { classFolderSamples } from "./class-folders.js";
import { headTailSplit, openLabelledFolder } from "./labels-file.js";

export function openNmnist(root: string): SplitDataset {
  const spec = DATASETS.nmnist;
  const splits: SplitDataset["splits"] = {};
  for (const [split, folder] of [
    ["train", "Train"],
    ["test", "Test"],
  ] as const) {
    requireFetched(spec, root, `the ${folder}/ folder`, join(root, folder));
    splits[split] = classFolderSamples(join(root, folder), spec.classes, [".bin"], `${folder}/`, {
      format: "atis40",
      sensor: spec.sensor,
    }).flat();
  }
  return { name: spec.name, classes: spec.classes, sensor: spec.sensor, splits, splitFiles: [], notes: [] };
}

/**
 * The 1 000 real N-MNIST training samples in shared/data/nmnist/small, split as the training issue asks: the first
 * 900 ids of train1K.txt train, the last 100 validate.
 */
export function openNmnistSmall(dir = join(sharedDataDir(), "nmnist", "small")): SplitDataset {
  const spec = DATASETS.nmnist;
  const labels = join(dir, "train1K.txt");
  const ds = openLabelledFolder(dir, labels, { name: "nmnist-small", format: "atis40", sensor: spec.sensor });
  const { train, valid } = headTailSplit(ds.splits.all!, 900, 100);
  return { ...ds, classes: spec.classes, sensor: spec.sensor, splits: { train, valid } };
}

/**
 * N-Caltech101: <root>/Caltech101/<class>/image_NNNN.bin. No official split: a seeded 9:1 per class, written to
 * <root>/splits/. BACKGROUND_Google is left out (101 classes, as the papers count them). Recordings differ in
 * size (at most 240×180): the decoder is given 240×180 so every sample has the same frame size. Node only.
 */
import { join } from "node:path";
import { requireFetched } from "../fetch-dataset.js";
import { DATASETS } from "../registry.js";
import type { SplitDataset } from "../sample.js";
import { classFolderSamples, subfolders } from "./class-folders.js";
import { seededClassSplit } from "./seeded-split.js";

export function openNcaltech101(root: string, seed = 0): SplitDataset {
  const spec = DATASETS.ncaltech101;
  const dir = join(root, "Caltech101");
  requireFetched(spec, root, "the Caltech101/ folder", dir);
  const classes = subfolders(dir).filter((c) => c !== "BACKGROUND_Google");
  const byClass = classFolderSamples(dir, classes, [".bin"], "", { format: "atis40", sensor: spec.sensor });
  const file = join(root, "splits", `ncaltech101-9to1-seed${seed}.json`);
  const { train, test } = seededClassSplit(spec.name, byClass, seed, 0.9, file);
  return { name: spec.name, classes, sensor: spec.sensor, splits: { train, test }, splitFiles: [file], notes: [] };
}

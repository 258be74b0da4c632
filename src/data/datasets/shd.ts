/**
 * SHD and SSC: the splits are the files, <root>/shd_{train,test}.h5 and <root>/ssc_{train,valid,test}.h5, read
 * through the events module's HDF5 reader. Class names come from the file's extra/keys. Node only.
 */
import { join } from "node:path";
import { openShd } from "../../events/shd-node.js";
import type { ShdFile } from "../../events/shd.js";
import { requireFetched } from "../fetch-dataset.js";
import { fileIdentity } from "../recording-sample.js";
import { DATASETS } from "../registry.js";
import type { Sample, SplitDataset } from "../sample.js";

/** The samples of one SHD/SSC file. */
export function shdSamples(file: ShdFile, path: string, idPrefix: string): Sample[] {
  return Array.from({ length: file.length }, (_, i) => ({
    id: `${idPrefix}#${i}`,
    label: file.labels[i]!,
    identity: () => `${fileIdentity(path)}|${i}`,
    load: async () => file.sample(i),
    ref: { kind: "shd" as const, path, index: i },
  }));
}

export async function openSpikingAudio(name: "shd" | "ssc", root: string): Promise<SplitDataset> {
  const spec = DATASETS[name];
  const splits: SplitDataset["splits"] = {};
  const splitFiles: string[] = [];
  let classes: string[] = spec.classes;
  for (const split of Object.keys(spec.splits)) {
    const path = join(root, `${name}_${split}.h5`);
    requireFetched(spec, root, `${name}_${split}.h5`, path);
    const file = await openShd(path);
    if (file.keys.length > 0) classes = file.keys;
    splits[split] = shdSamples(file, path, `${name}_${split}`);
    splitFiles.push(path);
  }
  return { name, classes, sensor: spec.sensor, splits, splitFiles, notes: [] };
}

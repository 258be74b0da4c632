/**
 * One entry point for the trainer and the CLI: a named dataset in its folder, a folder of recordings with a
 * labels file, or the shared N-MNIST sample split. Node only.
 */
import { existsSync } from "node:fs";
import type { EventFormat } from "../events/decoders/types.js";
import { openCifar10Dvs } from "./datasets/cifar10-dvs.js";
import { openDvsGesture } from "./datasets/dvs-gesture.js";
import { openLabelledFolder } from "./datasets/labels-file.js";
import { openNcaltech101 } from "./datasets/ncaltech101.js";
import { openNmnist, openNmnistSmall } from "./datasets/nmnist.js";
import { openSpikingAudio } from "./datasets/shd.js";
import { defaultDatasetRoot } from "./fetch-dataset.js";
import { datasetSpec } from "./registry.js";
import type { SplitDataset } from "./sample.js";

export interface OpenDataOptions {
  /** a registry name (nmnist, dvs128-gesture, ...) or "nmnist-small" */
  dataset?: string;
  /** the dataset's folder (default <cacheDir>/datasets/<name>), or the folder of recordings with `labels` */
  data?: string;
  /** labels file for a folder of recordings (`id<TAB>class` lines) */
  labels?: string;
  format?: EventFormat;
  /** seed of the random split for datasets without an official one */
  splitSeed?: number;
}

export async function openData(opts: OpenDataOptions): Promise<SplitDataset> {
  if (opts.labels !== undefined) {
    if (opts.data === undefined) throw new Error("--labels FILE needs --data DIR (the folder of recordings)");
    const spec = opts.dataset !== undefined && opts.dataset !== "nmnist-small" ? datasetSpec(opts.dataset) : null;
    const ds = openLabelledFolder(opts.data, opts.labels, { format: opts.format, sensor: spec?.sensor });
    return spec ? { ...ds, sensor: spec.sensor } : ds;
  }
  if (opts.dataset === undefined) {
    throw new Error("say which data: --dataset NAME [--data DIR], or --data DIR --labels FILE");
  }
  if (opts.dataset === "nmnist-small") return openNmnistSmall(opts.data);
  const spec = datasetSpec(opts.dataset);
  const root = opts.data ?? defaultDatasetRoot(spec.name);
  if (!existsSync(root)) {
    throw new Error(
      `${spec.title}: folder ${root} does not exist. Get it with: razor-snn data download ${spec.name}` +
        `${opts.data ? ` --root ${root}` : ""}\n  (or pass --data DIR with the layout: ${spec.layout.join("; ")})`,
    );
  }
  switch (spec.name) {
    case "nmnist":
      return openNmnist(root);
    case "dvs128-gesture":
      return openDvsGesture(root);
    case "ncaltech101":
      return openNcaltech101(root, opts.splitSeed ?? 0);
    case "cifar10-dvs":
      return openCifar10Dvs(root, opts.splitSeed ?? 0);
    case "shd":
    case "ssc":
      return openSpikingAudio(spec.name, root);
  }
}

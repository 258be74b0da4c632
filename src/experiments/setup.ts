/**
 * Node-side assembly for the commands: opens the data (a named dataset, the shared N-MNIST sample split, or a
 * folder + labels file), picks and adapts the network config, builds the frame pipeline, and wraps the splits as
 * LabelledData. Errors say what was expected where and how to get it.
 */
import { FrameCache, directFrames } from "../data/cache/frame-cache.js";
import { openData } from "../data/open.js";
import { datasetSpec } from "../data/registry.js";
import type { Sample, SplitDataset } from "../data/sample.js";
import type { SensorSize } from "../events/stream.js";
import { type ModelConfig, parseOverrides, type Variant } from "../models/config.js";
import { loadModelConfig } from "../models/config-file.js";
import { FramesData } from "../data/frames-data.js";
import type { Json } from "../util/json.js";
import { type NoiseWindow, type Preprocessing, pipelineFor, preprocessingFor } from "../checkpoint/preprocess.js";

export interface DataArgs {
  dataset?: string;
  data?: string;
  labels?: string;
  /** for a single-split folder: the last N samples validate */
  valid?: number;
  limitTrain?: number;
  limitVal?: number;
  /** keep integrated frames in the disk cache (default true) */
  cache?: boolean;
}

export interface OpenedData {
  ds: SplitDataset;
  train: Sample[];
  val: Sample[];
  /** the name of the bundled network config that fits this data */
  configName: string | null;
  /** the recordings' sensor */
  sensor: SensorSize;
}

/** Bundled config for a dataset name (nmnist-small uses nmnist's network). */
export function configNameFor(dataset: string): string {
  if (dataset === "nmnist-small") return "nmnist";
  return datasetSpec(dataset).name;
}

/** Picks the network from the sensor when the user brings a folder without --dataset. */
function configFromSensor(s: SensorSize): string | null {
  if (s.width === 34 && s.height === 34) return "nmnist";
  if (s.width === 128 && s.height === 128) return "dvs128-gesture";
  if (s.height === 1 && s.width === 700) return "shd";
  return null;
}

export async function openSplits(args: DataArgs): Promise<OpenedData> {
  if (args.dataset === undefined && args.data === undefined) {
    throw new Error(
      "say which data: --dataset NAME [--data DIR], or --data DIR --labels FILE (a folder of recordings and " +
        "'id<TAB>class' lines); e.g. --dataset nmnist-small uses the 1 000 N-MNIST samples in ../shared/data",
    );
  }
  if (args.data !== undefined && args.labels === undefined && args.dataset === undefined) {
    throw new Error(`--data ${args.data} needs --labels FILE (id<TAB>class lines) or --dataset NAME (its layout)`);
  }
  const ds = await openData({ dataset: args.dataset, data: args.data, labels: args.labels });
  let train = ds.splits.train ?? ds.splits.all ?? [];
  let val = ds.splits.valid ?? ds.splits.test ?? [];
  if (ds.splits.all !== undefined && ds.splits.train === undefined && args.valid !== undefined) {
    if (args.valid >= train.length) throw new Error(`--valid ${args.valid}: only ${train.length} samples in total`);
    val = train.slice(train.length - args.valid);
    train = train.slice(0, train.length - args.valid);
  }
  if (args.limitTrain !== undefined) train = train.slice(0, args.limitTrain);
  if (args.limitVal !== undefined) val = val.slice(0, args.limitVal);
  if (train.length === 0) throw new Error(`${ds.name}: no training samples found`);
  let sensor = ds.sensor;
  if (sensor.width === 0 || sensor.height === 0) {
    // a folder of recordings says its sensor size in the files: read the first one
    sensor = (await train[0]!.load()).sensor;
  }
  const configName = args.dataset !== undefined ? configNameFor(args.dataset) : configFromSensor(sensor);
  return { ds, train, val, configName, sensor };
}

export interface ConfigArgs {
  configName: string | null;
  /** --config FILE */
  configFile?: string;
  variant?: Variant;
  /** "a.b=v" overrides */
  set?: string[];
  extra?: Record<string, unknown>;
}

/** Loads the network config; adapts classes and input to the data when they differ (and says so). */
export function resolveConfig(
  a: ConfigArgs,
  classes: number,
  sensor: SensorSize,
  say: (s: string) => void,
): ModelConfig {
  const name = a.configFile ?? a.configName;
  if (name === null || name === undefined) {
    throw new Error(
      `no network fits a ${sensor.width}×${sensor.height} sensor by default: pass --dataset NAME (its network) or --config FILE`,
    );
  }
  const overrides: Record<string, unknown> = { ...(a.extra ?? {}), ...parseOverrides(a.set ?? []) };
  if (a.variant !== undefined) overrides.variant = a.variant;
  let config = loadModelConfig(name, overrides);
  const f = config.frames.downsample;
  const input =
    config.input.length === 1
      ? [sensor.width * sensor.height * (sensor.polarities >= 2 ? 2 : 1)]
      : [sensor.polarities >= 2 ? 2 : 1, Math.ceil(sensor.height / f), Math.ceil(sensor.width / f)];
  const adapt: Record<string, unknown> = {};
  if (input.join(",") !== config.input.join(",")) {
    say(`network input [${config.input}] adapted to the data's [${input}] (sensor ${sensor.width}×${sensor.height})`);
    adapt.input = input;
  }
  if (classes !== config.classes) {
    say(`network output adapted from ${config.classes} to the data's ${classes} classes`);
    adapt.classes = classes;
    adapt.layers = { [config.layers.length - 1]: { out: classes } };
  }
  if (Object.keys(adapt).length > 0) config = loadModelConfig(name, deepAssign(overrides, adapt));
  return config;
}

function deepAssign(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      cur !== null &&
      typeof cur === "object" &&
      !Array.isArray(cur) &&
      v !== null &&
      typeof v === "object" &&
      !Array.isArray(v)
        ? deepAssign(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function framesData(
  samples: Sample[],
  classes: string[],
  pre: Preprocessing,
  opts: { training: boolean; cache: boolean },
): FramesData {
  return new FramesData({
    samples,
    classes,
    pipeline: pipelineFor(pre),
    source: opts.cache ? new FrameCache() : directFrames,
    T: pre.T,
    frameShape: pre.input,
    preprocessing: pre as unknown as Json,
    randomSlice: opts.training && pre.trainSlice === "random-consecutive",
    clips: opts.training ? 1 : pre.clips,
  });
}

export function makePreprocessing(config: ModelConfig, sensor: SensorSize, window: NoiseWindow | null): Preprocessing {
  return preprocessingFor(config, sensor, { window });
}

/**
 * What the batch loader and the trainer see of any dataset: a list of labelled samples, each able to load its
 * events, plus the frames a pipeline makes of them. Browser-safe (no Node imports).
 */
import type { EventFormat } from "../events/decoders/types.js";
import type { EventStream, SensorSize } from "../events/stream.js";
import type { Frames } from "../events/transforms/frames.js";

/** Dense frames of one recording, time-major [T, C, H, W] (the events module's type). */
export type { Frames };

/**
 * How to rebuild a sample in another thread (plain data, passed to worker threads): a recording file, a gesture
 * cut from a DVS128 Gesture recording, or one sample of an SHD/SSC file.
 */
export type SampleRef =
  | { kind: "file"; path: string; format?: EventFormat; sensor?: SensorSize }
  | { kind: "gesture"; recording: string; csv: string; row: number; sensor: SensorSize }
  | { kind: "shd"; path: string; index: number };

/** A recipe for a value that any thread can follow: `(await import(module))[name](...args)`. */
export interface Recipe {
  module: string;
  name: string;
  args: unknown[];
}

export interface Sample {
  /** unique within its dataset, e.g. "Train/3/00001", "user01_fluorescent#2", "shd_train#17", "42" */
  id: string;
  label: number;
  /**
   * Identity of the bytes behind this sample (path, size, modification time, index inside the file), used as part
   * of the frame-cache key so that a changed file is re-integrated.
   */
  identity(): string;
  load(): Promise<EventStream>;
  /** set when the sample can be loaded in a worker thread */
  ref?: SampleRef;
}

/** A dataset opened from disk: its classes, sensor size and named splits of samples. */
export interface SplitDataset {
  name: string;
  classes: string[];
  sensor: SensorSize;
  splits: Record<string, Sample[]>;
  /** files that define the splits (trial lists, the seeded split written to disk, the labels file) */
  splitFiles: string[];
  /** notes for the user (e.g. files in the folder without a label) */
  notes: string[];
}

/**
 * Turns events into frames. `key` holds every parameter that changes the result, as plain JSON data: the frame
 * cache hashes it, so two pipelines with the same key must give the same frames.
 */
export interface FramePipeline {
  readonly key: unknown;
  /** set when worker threads can build the same pipeline (see Recipe) */
  readonly recipe?: Recipe;
  /** `sample` seeds the pipeline's random transforms (same sample, same result) */
  toFrames(ev: EventStream, sample?: { id: string }): Frames;
}

/**
 * What the batch loader and the trainer see of any dataset: a list of labelled samples, each able to load its
 * events, plus the frames a pipeline makes of them. Browser-safe (no Node imports).
 */
import type { EventStream, SensorSize } from "../events/stream.js";
import type { Frames } from "../events/transforms/frames.js";

/** Dense frames of one recording, time-major [T, C, H, W] (the events module's type). */
export type { Frames };

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
  toFrames(ev: EventStream): Frames;
}

/**
 * Building a FramePipeline from the events module's pieces: event transforms (each a value with its parameters),
 * then frame integration (camera frames, or channel/time binning for spiking audio). The pipeline's key and recipe
 * are its plan, plain data: the frame cache hashes it and worker threads rebuild the pipeline from it.
 *
 * Random transforms (noise window, jitter, drop, random slice) get a generator seeded from (plan seed, sample id):
 * each sample is transformed the same way every time, so their result can be cached; per-epoch randomness
 * comes from FramesData's batch generator (the random training window). Browser-safe.
 */
import type { EventStream, SensorSize } from "../events/stream.js";
import { type AudioBinning, audioFrames } from "../events/transforms/audio.js";
import { type FrameSpec, toFrames } from "../events/transforms/frames.js";
import type { EventTransform } from "../events/transforms/types.js";
import { Rng } from "../util/rng.js";
import type { FramePipeline } from "./sample.js";
import { sampleTransformSeed } from "./seeds.js";
import { canRebuild, planOf, rebuildTransform, type TransformPlan } from "./transform-plan.js";

/** How events become frames: a frame-integration spec, or audio binning ([T, 1, 1, channels]). */
export type Integration = FrameSpec | ({ mode: "audio" } & AudioBinning);

export interface PipelinePlan {
  frames: Integration;
  /** integrate on this sensor instead of the stream's own (e.g. pad N-Caltech101 recordings to 240×180) */
  sensor?: SensorSize;
  transforms: TransformPlan[];
  /** seed of the random transforms (mixed with each sample's id) */
  seed: number;
}

/**
 * A deterministic event-to-event step of the caller's own, with its parameters as plain JSON data (`key`). Steps
 * run before `transforms`; a pipeline with steps works in this thread only (functions cannot cross to a worker).
 */
export interface EventStep {
  readonly key: unknown;
  apply(ev: EventStream): EventStream;
}

export interface FramePipelineOptions {
  sensor?: SensorSize;
  /** the events module's transforms, applied in order before integration (downsample, crop, denoise, ...) */
  transforms?: EventTransform[];
  seed?: number;
  /** the caller's own deterministic steps, applied before `transforms` */
  steps?: EventStep[];
}

export function framePipeline(frames: Integration, opts: FramePipelineOptions = {}): FramePipeline {
  const transforms = opts.transforms ?? [];
  const steps = opts.steps ?? [];
  const plan: PipelinePlan = {
    frames,
    sensor: opts.sensor,
    transforms: transforms.map(planOf),
    seed: opts.seed ?? 0,
  };
  const rebuildable = steps.length === 0 && plan.transforms.every(canRebuild);
  return {
    key: steps.length === 0 ? plan : { ...plan, steps: steps.map((s) => s.key) },
    recipe: rebuildable ? { module: import.meta.url, name: "pipelineFromPlan", args: [plan] } : undefined,
    toFrames(ev: EventStream, sample?: { id: string }) {
      for (const s of steps) ev = s.apply(ev);
      const rng = new Rng(sampleTransformSeed(plan.seed, sample?.id ?? ""));
      for (const t of transforms) ev = t.apply(ev, rng);
      if (frames.mode === "audio") return audioFrames(ev, frames);
      return toFrames(ev, frames, opts.sensor ?? ev.sensor);
    },
  };
}

/** The pipeline a plan describes (how worker threads and checkpoints rebuild it). */
export function pipelineFromPlan(plan: PipelinePlan): FramePipeline {
  return framePipeline(plan.frames, {
    sensor: plan.sensor,
    transforms: plan.transforms.map(rebuildTransform),
    seed: plan.seed,
  });
}

/**
 * Building a FramePipeline from the events module's pieces: event transforms (each a value with its parameters),
 * then frame integration. The pipeline's key lists all of them, so the frame cache sees every parameter.
 * Browser-safe.
 */
import type { EventStream, SensorSize } from "../events/stream.js";
import { type FrameSpec, toFrames } from "../events/transforms/frames.js";
import type { FramePipeline } from "./sample.js";

/** A deterministic event-to-event step with its parameters (`key`, plain JSON data) and its function. */
export interface EventStep {
  readonly key: unknown;
  apply(ev: EventStream): EventStream;
}

export interface FramePipelineOptions {
  /** integrate on this sensor size instead of the stream's own (e.g. pad N-Caltech101 to 240×180) */
  sensor?: SensorSize;
  /** deterministic transforms applied before integration (downsampling, crop, denoise, ...) */
  steps?: EventStep[];
}

export function framePipeline(spec: FrameSpec, opts: FramePipelineOptions = {}): FramePipeline {
  const steps = opts.steps ?? [];
  return {
    key: { frames: spec, sensor: opts.sensor ?? "stream", steps: steps.map((s) => s.key) },
    // Steps are functions, which cannot cross to a worker; without steps the pipeline is plain data.
    recipe:
      steps.length === 0
        ? { module: import.meta.url, name: "framePipeline", args: [spec, { sensor: opts.sensor }] }
        : undefined,
    toFrames(ev: EventStream) {
      for (const s of steps) ev = s.apply(ev);
      return toFrames(ev, spec, opts.sensor ?? ev.sensor);
    },
  };
}

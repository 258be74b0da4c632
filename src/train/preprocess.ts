/**
 * The preprocessing a network was trained with, as one JSON value stored in every checkpoint, and the frame
 * pipeline built from it, so eval, infer, streaming and the viewer reproduce training's frames exactly.
 *
 *   sensor         the sensor the network was built for (W, H, P)
 *   framing        "time-window" (frames of dt µs; can stream) or "spread" (T bins over the whole recording)
 *   T              frames the network takes
 *   downsample     sum of f×f pixel blocks (event coordinates divided by f)
 *   window         optional: each recording placed at a seeded random offset inside a window `factor` times as
 *                  long as `spanUs`, filled with background-activity noise of `noiseHz` events per pixel and second
 *   trainSlice     "random-consecutive": training takes a random window of T frames (DVS128 Gesture)
 *   clips          evaluation windows per sample (the 10-clip protocol)
 *
 * Sensor mismatch: a recording from a LARGER sensor than the checkpoint's is an error naming both sizes; one from
 * a smaller sensor is placed in the top-left corner of the expected one (zero padding) — documented in
 * docs/training.md. Browser-safe.
 */
import { type EventStep, framePipeline } from "../data/pipeline.js";
import type { FramePipeline } from "../data/sample.js";
import type { FrameSpec } from "../events/transforms/frames.js";
import type { EventStream, SensorSize } from "../events/stream.js";
import type { ModelConfig } from "../models/config.js";
import { Rng } from "../util/rng.js";

export interface NoiseWindow {
  /** the recordings' nominal span in µs (N-MNIST: 300 000) */
  spanUs: number;
  /** output window = factor × spanUs */
  factor: number;
  /** background-activity events per pixel per second */
  noiseHz: number;
  seed: number;
}

export interface Preprocessing {
  dataset: string;
  sensor: SensorSize;
  framing: "time-window" | "spread";
  dtUs: number | null;
  T: number;
  downsample: number;
  /** frame shape the network takes [C, H, W] or [F] */
  input: number[];
  window: NoiseWindow | null;
  trainSlice: "first" | "random-consecutive";
  clips: number;
}

/** The config's frames.T must already cover the whole window (factor × the recording's frames). */
export function preprocessingFor(
  config: ModelConfig,
  sensor: SensorSize,
  extra: { window?: NoiseWindow | null } = {},
): Preprocessing {
  const f = config.frames;
  const window = extra.window ?? null;
  const T = f.T;
  return {
    dataset: config.dataset,
    sensor,
    framing: f.mode,
    dtUs: f.mode === "time-window" ? Math.round((f.dtMs ?? 0) * 1000) : null,
    T,
    downsample: f.downsample,
    input: config.input,
    window,
    trainSlice: f.trainSlice === "random-consecutive" ? "random-consecutive" : "first",
    clips: typeof f.testClips === "number" ? f.testClips : 1,
  };
}

/** Reads preprocessing back from a checkpoint's metadata, checking the fields it needs. */
export function parsePreprocessing(v: unknown, source: string): Preprocessing {
  const p = v as Partial<Preprocessing> | null;
  const bad = (what: string): never => {
    throw new Error(`${source}: checkpoint preprocessing lacks ${what}`);
  };
  if (p === null || typeof p !== "object") return bad("everything (no razor_snn.preprocessing object)");
  if (p.sensor === undefined) bad("the sensor size");
  if (p.framing !== "time-window" && p.framing !== "spread") bad("the framing mode");
  if (typeof p.T !== "number") bad("T");
  if (p.input === undefined) bad("the input frame shape");
  return {
    dataset: p.dataset ?? "unknown",
    sensor: p.sensor!,
    framing: p.framing!,
    dtUs: p.dtUs ?? null,
    T: p.T!,
    downsample: p.downsample ?? 1,
    input: p.input!,
    window: p.window ?? null,
    trainSlice: p.trainSlice ?? "first",
    clips: p.clips ?? 1,
  };
}

/** The frame pipeline of a preprocessing (deterministic: its key lists every parameter for the frame cache). */
export function pipelineFor(p: Preprocessing): FramePipeline {
  const f = p.downsample;
  const out: SensorSize = {
    width: Math.ceil(p.sensor.width / f),
    height: Math.ceil(p.sensor.height / f),
    polarities: p.sensor.polarities,
  };
  const steps: EventStep[] = [sensorCheck(p.sensor)];
  if (p.window !== null) steps.push(noiseWindowStep(p.window, p.sensor));
  if (f > 1) steps.push(downsampleStep(f, out));
  let spec: FrameSpec;
  if (p.framing === "spread") spec = { mode: "timeBins", bins: p.T };
  else if (p.window !== null) spec = { mode: "timeWindow", dt: p.dtUs!, frames: p.T, tStart: 0 };
  else if (p.trainSlice === "random-consecutive") spec = { mode: "timeWindow", dt: p.dtUs! };
  else spec = { mode: "timeWindow", dt: p.dtUs!, frames: p.T };
  return framePipeline(spec, { sensor: out, steps });
}

/** Rejects recordings from a larger sensor; smaller ones are padded (their events keep their coordinates). */
export function sensorCheck(expected: SensorSize): EventStep {
  return {
    key: { step: "sensor-check", expected },
    apply(ev: EventStream): EventStream {
      const s = ev.sensor;
      if (s.width > expected.width || s.height > expected.height) {
        throw new Error(
          `recording from a ${s.width}×${s.height} sensor, but the network was trained on ` +
            `${expected.width}×${expected.height} (crop or downsample the recording to that size first)`,
        );
      }
      return s.width === expected.width && s.height === expected.height ? ev : { ...ev, sensor: expected };
    },
  };
}

/** Sums f×f pixel blocks: x' = floor(x/f), y' = floor(y/f). */
export function downsampleStep(f: number, out: SensorSize): EventStep {
  return {
    key: { step: "downsample", factor: f },
    apply(ev: EventStream): EventStream {
      const x = Uint16Array.from(ev.x, (v) => Math.floor(v / f));
      const y = Uint16Array.from(ev.y, (v) => Math.floor(v / f));
      return { t: ev.t, x, y, p: ev.p, sensor: out };
    },
  };
}

/**
 * Places the recording at a random offset in [0, (factor − 1)·spanUs] inside a window of factor·spanUs starting
 * at t = 0, and adds uniform background-activity noise (random pixel, polarity and time). The generator is seeded
 * from `seed` and the recording's own content, so a recording always gets the same offset and noise.
 */
export function noiseWindowStep(w: NoiseWindow, sensor: SensorSize): EventStep {
  return {
    key: { step: "noise-window", ...w },
    apply(ev: EventStream): EventStream {
      const n = ev.t.length;
      const t0 = n > 0 ? ev.t[0]! : 0;
      const rng = new Rng(contentSeed(w.seed, ev));
      const total = w.factor * w.spanUs;
      const offset = rng.uniform() * (total - w.spanUs);
      const pixels = sensor.width * sensor.height;
      const noise = Math.round((w.noiseHz * pixels * total) / 1e6);
      const t = new Float64Array(n + noise);
      const x = new Uint16Array(n + noise);
      const y = new Uint16Array(n + noise);
      const p = new Uint8Array(n + noise);
      for (let i = 0; i < n; i++) {
        t[i] = Math.min(total - 1, ev.t[i]! - t0 + offset);
        x[i] = ev.x[i]!;
        y[i] = ev.y[i]!;
        p[i] = ev.p[i]!;
      }
      for (let i = n; i < n + noise; i++) {
        t[i] = Math.floor(rng.uniform() * total);
        x[i] = rng.int(sensor.width);
        y[i] = rng.int(sensor.height);
        p[i] = sensor.polarities >= 2 ? rng.int(2) : 0;
      }
      // time order (stable: ties keep recording events first)
      const order = Array.from({ length: n + noise }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
      return {
        t: Float64Array.from(order, (i) => t[i]!),
        x: Uint16Array.from(order, (i) => x[i]!),
        y: Uint16Array.from(order, (i) => y[i]!),
        p: Uint8Array.from(order, (i) => p[i]!),
        sensor,
      };
    },
  };
}

function contentSeed(seed: number, ev: EventStream): number {
  let h = (seed ^ 0x2545f491) >>> 0;
  const n = ev.t.length;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  };
  mix(n);
  for (let i = 0; i < Math.min(n, 16); i++) {
    mix(ev.t[i]!);
    mix(ev.x[i]! * 65536 + ev.y[i]!);
  }
  if (n > 0) mix(ev.t[n - 1]!);
  return h;
}

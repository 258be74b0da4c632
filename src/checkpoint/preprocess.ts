/**
 * The preprocessing a network was trained with, as one JSON value stored in every checkpoint, and the frame
 * pipeline built from it, so eval, infer, streaming and the viewer reproduce training's frames exactly.
 *
 *   sensor         the sensor the network was built for (W, H, P)
 *   framing        "time-window" (frames of dt µs; can stream) or "spread" (T bins over the whole recording)
 *   T              frames the network takes
 *   downsample     sum of f×f pixel blocks (event coordinates divided by f)
 *   window         optional: each recording placed at a random offset inside a window `factor` times as long as
 *                  `spanUs`, filled with background-activity noise of `noiseHz` events per pixel and second;
 *                  seeded per sample from (seed, sample id), so a recording always gets the same placement
 *   trainSlice     "random-consecutive": training takes a random window of T frames (DVS128 Gesture)
 *   clips          evaluation windows per sample (the 10-clip protocol)
 *
 * Sensor mismatch: a recording from a LARGER sensor than the checkpoint's is an error naming both sizes; one from
 * a smaller sensor is placed in the top-left corner of the expected one (zero padding) — documented in
 * docs/training.md. Browser-safe.
 */
import { framePipeline } from "../data/pipeline.js";
import type { FramePipeline } from "../data/sample.js";
import type { FrameSpec } from "../events/transforms/frames.js";
import { downsample } from "../events/transforms/geometry.js";
import { backgroundNoiseWindow } from "../events/transforms/noise.js";
import type { EventTransform } from "../events/transforms/types.js";
import type { EventStream, SensorSize } from "../events/stream.js";
import { LIMITS, type ModelConfig } from "../models/config.js";

export interface NoiseWindow {
  /** the recordings' nominal span in µs (N-MNIST: 300 000) */
  spanUs: number;
  /** output window = factor × spanUs */
  factor: number;
  /** background-activity events per pixel per second */
  noiseHz: number;
  seed: number;
}

/** The noisy window's defaults (`--noise-window`): twice the recording, 5 background events per pixel and second. */
export const NOISE_WINDOW_DEFAULTS = { factor: 2, noiseHz: 5 } as const;

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

/**
 * Reads preprocessing back from a checkpoint's metadata, checking every field before anything is allocated from it
 * (a corrupt T or sensor size fails here, naming the field, not deep inside a typed-array constructor).
 */
export function parsePreprocessing(v: unknown, source: string): Preprocessing {
  const p = v as Partial<Preprocessing> | null;
  const bad = (what: string): never => {
    throw new Error(`${source}: checkpoint preprocessing lacks ${what}`);
  };
  const wrong = (field: string, expected: string, got: unknown): never => {
    throw new Error(`${source}: checkpoint preprocessing.${field} must be ${expected} (got ${JSON.stringify(got)})`);
  };
  const intIn = (field: string, x: unknown, lo: number, hi: number): number => {
    if (!(typeof x === "number" && Number.isInteger(x) && x >= lo && x <= hi))
      wrong(field, `a whole number in [${lo}, ${hi}]`, x);
    return x as number;
  };
  if (p === null || typeof p !== "object") return bad("everything (no razor_snn.preprocessing object)");
  if (p.sensor === undefined) bad("the sensor size");
  if (p.framing !== "time-window" && p.framing !== "spread") bad("the framing mode");
  if (typeof p.T !== "number") bad("T");
  if (p.input === undefined) bad("the input frame shape");
  const sensor = p.sensor as Partial<SensorSize> | null;
  if (sensor === null || typeof sensor !== "object") return wrong("sensor", "{width, height, polarities}", sensor);
  // event coordinates are 16-bit
  intIn("sensor.width", sensor.width, 1, 65535);
  intIn("sensor.height", sensor.height, 1, 65535);
  intIn("sensor.polarities", sensor.polarities, 1, 2);
  intIn("T", p.T, 1, LIMITS.T);
  if (!Array.isArray(p.input) || (p.input.length !== 1 && p.input.length !== 3))
    wrong("input", "[C, H, W] or [F]", p.input);
  for (const [i, x] of p.input!.entries()) intIn(`input[${i}]`, x, 1, LIMITS.side);
  if (p.input!.reduce((a, b) => a * b, 1) > LIMITS.frameSize)
    wrong("input", `at most ${LIMITS.frameSize} values`, p.input);
  const dtUs = p.dtUs ?? null;
  if (p.framing === "time-window" && !(typeof dtUs === "number" && Number.isFinite(dtUs) && dtUs > 0)) {
    wrong("dtUs", "a duration > 0 in µs for time-window framing", dtUs);
  }
  const downsample = intIn("downsample", p.downsample ?? 1, 1, 65535);
  const clips = intIn("clips", p.clips ?? 1, 1, 1000);
  const w = p.window ?? null;
  if (w !== null) {
    const finite = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x) && x >= 0;
    if (typeof w !== "object" || ![w.spanUs, w.factor, w.noiseHz, w.seed].every(finite) || !(w.factor >= 1)) {
      wrong("window", "null or {spanUs, factor >= 1, noiseHz, seed} of finite numbers", w);
    }
  }
  const trainSlice = p.trainSlice ?? "first";
  if (trainSlice !== "first" && trainSlice !== "random-consecutive")
    wrong("trainSlice", '"first" or "random-consecutive"', trainSlice);
  return {
    dataset: typeof p.dataset === "string" ? p.dataset : "unknown",
    sensor: sensor as SensorSize,
    framing: p.framing!,
    dtUs,
    T: p.T!,
    downsample,
    input: p.input!,
    window: w,
    trainSlice,
    clips,
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
  const transforms: EventTransform[] = [sensorCheck(p.sensor)];
  if (p.window !== null) transforms.push(backgroundNoiseWindow(p.window.factor * p.window.spanUs, p.window.noiseHz));
  if (f > 1) transforms.push(downsample(f));
  let spec: FrameSpec;
  if (p.framing === "spread") spec = { mode: "timeBins", bins: p.T };
  else if (p.window !== null) spec = { mode: "timeWindow", dt: p.dtUs!, frames: p.T, tStart: 0 };
  else if (p.trainSlice === "random-consecutive") spec = { mode: "timeWindow", dt: p.dtUs! };
  // spiking audio (SHD/SSC) counts time from the stimulus start, cameras from the first event
  else spec = { mode: "timeWindow", dt: p.dtUs!, frames: p.T, ...(p.sensor.height === 1 ? { tStart: 0 } : {}) };
  // the noise window's offset and noise are seeded per sample from (window seed, sample id)
  return framePipeline(spec, { sensor: out, transforms, seed: p.window?.seed ?? 0 });
}

/**
 * Rejects recordings from a larger sensor than the network's; a smaller one is placed in the top-left corner of
 * the expected sensor (its events keep their coordinates: zero padding).
 */
export function sensorCheck(expected: SensorSize): EventTransform {
  return {
    name: "sensorCheck",
    params: { width: expected.width, height: expected.height, polarities: expected.polarities },
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

/**
 * N-MNIST-emu: one recording = a still MNIST digit seen by a 34×34 emulated event camera making three saccades
 * (≈ 100 ms each, along a triangle, as the ATIS recordings of N-MNIST), with idle intervals of random length before,
 * between and after the saccades in which only the sensor's background activity fires. Browser-safe.
 */
import { EventCameraEmulator } from "../../events/emulator/emulator.js";
import { type EmulatorParams, resolveEmulatorParams } from "../../events/emulator/params.js";
import type { EventStream } from "../../events/stream.js";
import { Rng } from "../../util/rng.js";
import { DIGIT_SIZE } from "./digits.js";
import { blurDigit, renderDigitFrame, saccadeProfile } from "./saccades.js";

/** Sensor side in pixels (N-MNIST's 34×34). */
export const NMNIST_SENSOR = 34;

export interface NmnistEmuParams {
  /** mean duration of the motion of one saccade (ms) */
  saccadeMs: number;
  /** speed within a saccade goes as sin(πu)^speedExponent (u = phase 0..1) */
  speedExponent: number;
  /** still time after each saccade's motion (ms), part of the N-MNIST timing (the sensor settling) */
  pauseMs: number;
  /** relative standard deviation of each saccade's duration */
  saccadeJitter: number;
  /** the three corners of the saccade triangle, pixels, relative to the digit's centred position: x0,y0,x1,y1,x2,y2 */
  triangle: [number, number, number, number, number, number];
  /**
   * when each axis moves within each saccade, as fractions of the saccade: [x start, x end, y start, y end] for
   * saccades 1, 2, 3 (12 numbers). The pan and tilt axes of the real recordings do not move in step: in the
   * first saccade the digit moves down first and right later, which shows in the ON/OFF layout of the events.
   */
  axisWindows: number[];
  /** relative standard deviation of the triangle's size per recording */
  triangleJitter: number;
  /** standard deviation (pixels) of the whole path's offset per recording */
  positionJitterPx: number;
  /** total idle time (ms) shared at random among the four gaps before, between and after the saccades */
  idleMs: number;
  /** time step (µs) of the rendered frames during saccades (the emulator interpolates between them) */
  frameUs: number;
  /** monitor background intensity (0..1) */
  backgroundLevel: number;
  /** intensity of full ink (0..1); below the background means a dark digit on a bright screen */
  digitLevel: number;
  /** optical blur (Gaussian sigma, pixels) */
  blurPx: number;
  /** the camera */
  emulator: EmulatorParams;
}

/**
 * Defaults tuned against the 1 000 real N-MNIST recordings in ../shared/data/nmnist/small (see docs/emulator.md):
 * events per recording, ON share, event rate over time, background activity.
 */
export const DEFAULT_NMNIST_EMU_PARAMS: Readonly<NmnistEmuParams> = Object.freeze({
  saccadeMs: 88,
  speedExponent: 1.2,
  pauseMs: 15,
  saccadeJitter: 0.03,
  triangle: [-2.3, -1.6, 0, 3, 3.3, -1.7] as [number, number, number, number, number, number],
  axisWindows: [0.25, 1, 0, 0.85, 0, 1, 0.1, 0.9, 0, 1, 0, 1],
  triangleJitter: 0.1,
  positionJitterPx: 0.5,
  idleMs: 200,
  frameUs: 1000,
  backgroundLevel: 0.8,
  digitLevel: 0.1,
  blurPx: 0.7,
  emulator: resolveEmulatorParams({
    thresholdOn: 0.21,
    thresholdOff: 0.19,
    thresholdSigma: 0.03,
    refractoryUs: 0,
    cutoffHz: 40,
    leakRateHz: 0.3,
    leakRateSigma: 0.5,
    hotPixelFraction: 0.003,
    hotPixelRateHz: 30,
    shotNoiseRateHz: 0.1,
    shotNoiseOnFraction: 0.5,
    darkLevel: 0.01,
  }),
});

/** Timing of N-MNIST itself: the three saccades back to back, no idle gaps (for comparing with real recordings). */
export const NMNIST_TIMING: Partial<NmnistEmuParams> = Object.freeze({ idleMs: 0 });

/**
 * Nominal length of a recording (ms): three saccades with their pauses plus the idle time. Individual recordings
 * vary by the saccade jitter (a few ms); frame the data over at least this long.
 */
export function nominalDurationMs(params: Pick<NmnistEmuParams, "saccadeMs" | "pauseMs" | "idleMs">): number {
  return 3 * (params.saccadeMs + params.pauseMs) + params.idleMs;
}

/** Parameters with the emulator part given partially. */
export type NmnistEmuParamsInput = Partial<Omit<NmnistEmuParams, "emulator">> & { emulator?: Partial<EmulatorParams> };

/** Fills defaults and checks the values; errors name the field. */
export function resolveNmnistEmuParams(input: NmnistEmuParamsInput = {}): NmnistEmuParams {
  const d = DEFAULT_NMNIST_EMU_PARAMS;
  const { emulator, ...rest } = input;
  for (const key of Object.keys(rest)) {
    if (!(key in d)) throw new RangeError(`nmnist-emu: unknown parameter '${key}'`);
  }
  const p: NmnistEmuParams = {
    ...d,
    ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<NmnistEmuParams>),
    triangle: [...(rest.triangle ?? d.triangle)] as NmnistEmuParams["triangle"],
    axisWindows: [...(rest.axisWindows ?? d.axisWindows)],
    emulator: resolveEmulatorParams({ ...d.emulator, ...emulator, seed: 0 }),
  };
  const check = (key: keyof NmnistEmuParams, ok: boolean, expected: string) => {
    if (!ok) throw new RangeError(`nmnist-emu: parameter '${key}' must be ${expected}, got ${String(p[key])}`);
  };
  const finite = (v: number) => typeof v === "number" && Number.isFinite(v);
  check("saccadeMs", finite(p.saccadeMs) && p.saccadeMs > 0, "> 0");
  check("speedExponent", finite(p.speedExponent) && p.speedExponent >= 0 && p.speedExponent <= 8, "in [0, 8]");
  check("pauseMs", finite(p.pauseMs) && p.pauseMs >= 0, ">= 0");
  check("saccadeJitter", finite(p.saccadeJitter) && p.saccadeJitter >= 0 && p.saccadeJitter < 0.3, "in [0, 0.3)");
  check("triangle", p.triangle.length === 6 && p.triangle.every(finite), "6 finite numbers");
  check(
    "axisWindows",
    p.axisWindows.length === 12 &&
      p.axisWindows.every((v, i) => finite(v) && v >= 0 && v <= 1 && (i % 2 === 0 || v > p.axisWindows[i - 1]!)),
    "12 fractions in [0, 1], each end after its start",
  );
  check("triangleJitter", finite(p.triangleJitter) && p.triangleJitter >= 0 && p.triangleJitter < 0.5, "in [0, 0.5)");
  check("positionJitterPx", finite(p.positionJitterPx) && p.positionJitterPx >= 0, ">= 0");
  check("idleMs", finite(p.idleMs) && p.idleMs >= 0, ">= 0");
  check("frameUs", finite(p.frameUs) && p.frameUs >= 10, ">= 10");
  check("backgroundLevel", finite(p.backgroundLevel) && p.backgroundLevel >= 0 && p.backgroundLevel <= 1, "in [0, 1]");
  check("digitLevel", finite(p.digitLevel) && p.digitLevel >= 0 && p.digitLevel <= 1, "in [0, 1]");
  check("blurPx", finite(p.blurPx) && p.blurPx >= 0 && p.blurPx <= 5, "in [0, 5]");
  return p;
}

/** A seed for one recording, from the dataset seed and the digit's identity (class, index). */
export function recordingSeed(seed: number, label: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [label, index]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** The timeline of one recording (µs): when each saccade starts and ends, and the total length. */
export interface SaccadeTimeline {
  saccades: { start: number; end: number }[];
  duration: number;
}

/**
 * Emulates one recording of `image` (28×28 bytes). `seed` drives everything random in it: path jitter, timing,
 * idle gaps, the camera's mismatch and noise.
 */
export function emulateSaccadeRecording(
  image: Uint8Array,
  params: NmnistEmuParams,
  seed: number,
): { events: EventStream; timeline: SaccadeTimeline } {
  const rng = new Rng(seed);
  const sceneRng = rng.fork();
  const cameraSeed = rng.nextU32() & 0x7fffffff;
  const s = NMNIST_SENSOR;

  // Path: the triangle, scaled and shifted a little per recording, around the centred digit.
  const scale = 1 + params.triangleJitter * sceneRng.normal();
  const cx = (s - DIGIT_SIZE) / 2 + params.positionJitterPx * sceneRng.normal();
  const cy = (s - DIGIT_SIZE) / 2 + params.positionJitterPx * sceneRng.normal();
  const tri = params.triangle;
  const corner = (k: number): [number, number] => [cx + scale * tri[(k % 3) * 2]!, cy + scale * tri[(k % 3) * 2 + 1]!];

  // Idle time shared among 4 gaps by 3 uniform cut points (a flat Dirichlet).
  const cuts = [sceneRng.uniform(), sceneRng.uniform(), sceneRng.uniform()].sort((a, b) => a - b);
  const idleUs = params.idleMs * 1000;
  const gaps = [cuts[0]!, cuts[1]! - cuts[0]!, cuts[2]! - cuts[1]!, 1 - cuts[2]!].map((g) => g * idleUs);
  const durations = [0, 1, 2].map(
    () => params.saccadeMs * 1000 * Math.max(0.5, 1 + params.saccadeJitter * sceneRng.normal()),
  );

  const emu = new EventCameraEmulator(s, s, { ...params.emulator, seed: cameraSeed });
  const digit = blurDigit(image, params.blurPx);
  const frame = new Float32Array(s * s);
  const render = (x: number, y: number) =>
    renderDigitFrame(digit, s, x, y, params.backgroundLevel, params.digitLevel, frame);

  let t = 0;
  let [px, py] = corner(0);
  render(px, py);
  emu.pushFrame(frame, 0);
  const saccades: { start: number; end: number }[] = [];
  for (let k = 0; k < 3; k++) {
    if (gaps[k]! > 0) emu.holdUntil((t += gaps[k]!));
    const [ax, ay] = corner(k);
    const [bx, by] = corner(k + 1);
    const start = t;
    const steps = Math.max(1, Math.round(durations[k]! / params.frameUs));
    const [x0, x1, y0, y1] = params.axisWindows.slice(4 * k, 4 * k + 4) as [number, number, number, number];
    for (let j = 1; j <= steps; j++) {
      const u = j / steps;
      px = ax + (bx - ax) * saccadeProfile((u - x0) / (x1 - x0), params.speedExponent);
      py = ay + (by - ay) * saccadeProfile((u - y0) / (y1 - y0), params.speedExponent);
      render(px, py);
      emu.pushFrame(frame, start + (durations[k]! * j) / steps);
    }
    t = start + durations[k]!;
    saccades.push({ start, end: t });
    if (params.pauseMs > 0) emu.holdUntil((t += params.pauseMs * 1000));
  }
  if (gaps[3]! > 0) emu.holdUntil((t += gaps[3]!));
  return { events: emu.takeEvents(), timeline: { saccades, duration: t } };
}

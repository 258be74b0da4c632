/**
 * Parameters of the event-camera emulator, their defaults and their validation.
 * Units: thresholds in natural-log intensity, times in microseconds, rates in events per pixel per second.
 */
export interface EmulatorParams {
  /** log-intensity rise that makes an ON event */
  thresholdOn: number;
  /** log-intensity fall that makes an OFF event */
  thresholdOff: number;
  /** per-pixel threshold mismatch: standard deviation (log units) of each pixel's thresholds around the nominal */
  thresholdSigma: number;
  /** smallest threshold a pixel may draw (keeps mismatch from producing near-zero thresholds) */
  thresholdMin: number;
  /** after an event a pixel stays silent this long; crossings inside it are consumed without an event */
  refractoryUs: number;
  /** mean leak rate: the reference level drifts down so a still pixel emits this many ON events per second */
  leakRateHz: number;
  /** log-normal spread of the leak rate across pixels (0 = every pixel leaks at the same rate) */
  leakRateSigma: number;
  /** share of pixels that are "hot": they leak at hotPixelRateHz instead */
  hotPixelFraction: number;
  /** leak rate of hot pixels */
  hotPixelRateHz: number;
  /** shot noise: random events per pixel per second, independent of the scene and of the pixel state */
  shotNoiseRateHz: number;
  /** share of shot-noise events that are ON */
  shotNoiseOnFraction: number;
  /** photoreceptor bandwidth (Hz): the pixel sees log intensity through a first-order low-pass; 0 = no filter */
  cutoffHz: number;
  /** dark offset inside the log: log(I + darkLevel) for intensity I in [0, 1]; keeps black pixels finite */
  darkLevel: number;
  /** input values are raised to this power before the log (2.2 undoes sRGB-like encoding; 1 = linear input) */
  inputGamma: number;
  /** seed for mismatch, leak phases and noise */
  seed: number;
}

export const DEFAULT_EMULATOR_PARAMS: Readonly<EmulatorParams> = Object.freeze({
  thresholdOn: 0.2,
  thresholdOff: 0.2,
  thresholdSigma: 0.03,
  thresholdMin: 0.01,
  refractoryUs: 0,
  leakRateHz: 0.1,
  leakRateSigma: 0,
  hotPixelFraction: 0,
  hotPixelRateHz: 0,
  shotNoiseRateHz: 0.01,
  shotNoiseOnFraction: 0.5,
  cutoffHz: 0,
  darkLevel: 0.01,
  inputGamma: 1,
  seed: 0,
});

/** One line per parameter, for `--help` and the docs. */
export const EMULATOR_PARAM_HELP: Readonly<Record<keyof EmulatorParams, string>> = Object.freeze({
  thresholdOn: "ON contrast threshold (log intensity)",
  thresholdOff: "OFF contrast threshold (log intensity)",
  thresholdSigma: "per-pixel threshold mismatch, std dev (log units)",
  thresholdMin: "smallest per-pixel threshold",
  refractoryUs: "refractory period after an event (µs)",
  leakRateHz: "leak (background ON) events per pixel per second",
  leakRateSigma: "log-normal spread of the leak rate across pixels",
  hotPixelFraction: "share of hot pixels (0..1)",
  hotPixelRateHz: "leak rate of hot pixels (events/s)",
  shotNoiseRateHz: "shot-noise events per pixel per second",
  shotNoiseOnFraction: "share of shot-noise events that are ON (0..1)",
  cutoffHz: "photoreceptor low-pass cutoff (Hz, 0 = none)",
  darkLevel: "dark offset inside the log, log(I + darkLevel)",
  inputGamma: "input values are raised to this power first (2.2 for sRGB video)",
  seed: "random seed",
});

/** Fills defaults and checks every field; the error names the field and what was expected. */
export function resolveEmulatorParams(partial: Partial<EmulatorParams> = {}): EmulatorParams {
  const p: EmulatorParams = { ...DEFAULT_EMULATOR_PARAMS };
  for (const [key, value] of Object.entries(partial) as [keyof EmulatorParams, number | undefined][]) {
    if (!(key in DEFAULT_EMULATOR_PARAMS)) throw new RangeError(`emulator: unknown parameter '${key}'`);
    if (value !== undefined) p[key] = value;
  }
  const positive: (keyof EmulatorParams)[] = ["thresholdOn", "thresholdOff", "thresholdMin", "darkLevel", "inputGamma"];
  const nonNegative: (keyof EmulatorParams)[] = [
    "thresholdSigma",
    "refractoryUs",
    "leakRateHz",
    "leakRateSigma",
    "hotPixelRateHz",
    "shotNoiseRateHz",
    "cutoffHz",
  ];
  const fractions: (keyof EmulatorParams)[] = ["hotPixelFraction", "shotNoiseOnFraction"];
  for (const key of Object.keys(p) as (keyof EmulatorParams)[]) {
    if (typeof p[key] !== "number" || !Number.isFinite(p[key])) {
      throw new RangeError(`emulator: parameter '${key}' must be a finite number, got ${String(p[key])}`);
    }
  }
  for (const key of positive) {
    if (!(p[key] > 0)) throw new RangeError(`emulator: parameter '${key}' must be > 0, got ${p[key]}`);
  }
  for (const key of nonNegative) {
    if (p[key] < 0) throw new RangeError(`emulator: parameter '${key}' must be >= 0, got ${p[key]}`);
  }
  for (const key of fractions) {
    if (p[key] < 0 || p[key] > 1) throw new RangeError(`emulator: parameter '${key}' must be in [0, 1], got ${p[key]}`);
  }
  if (!Number.isInteger(p.seed)) throw new RangeError(`emulator: parameter 'seed' must be an integer, got ${p.seed}`);
  return p;
}

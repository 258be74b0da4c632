/**
 * Event-camera emulator: grayscale frames with timestamps in, DVS events out.
 *
 * Each pixel keeps a reference log intensity (the level at its last event). Between two frames the log intensity
 * is taken to change linearly, so a change that spans k thresholds gives k events, spread over the interval at the
 * times the line crosses each level (sub-frame timestamps). On top of that: per-pixel threshold mismatch, a
 * refractory period, leak (the reference drifts down, giving ON events in a still scene, as real DVS pixels do) and
 * shot noise (random events independent of the scene). Everything random comes from the seed.
 *
 * Runs in browsers: no Node built-ins here.
 */
import { Rng } from "../../util/rng.js";
import { EventBuilder } from "../builder.js";
import type { EventStream, SensorSize } from "../stream.js";
import { type EmulatorParams, resolveEmulatorParams } from "./params.js";

/** A frame: one intensity per pixel, row-major. Floats are read as linear intensity (1 = white); bytes as 0..255. */
export type Frame = Float32Array | Float64Array | Uint8Array | Uint8ClampedArray | Uint16Array | number[];

export class EventCameraEmulator {
  readonly params: EmulatorParams;
  readonly sensor: SensorSize;
  private readonly n: number;
  private readonly thOn: Float64Array;
  private readonly thOff: Float64Array;
  /** reference drift per µs (log units), = leak rate × ON threshold */
  private readonly leakPerUs: Float64Array;
  /** starting offset of each pixel inside its leak cycle, as a fraction of its ON threshold */
  private readonly leakPhase: Float64Array;
  private readonly ref: Float64Array;
  /** the previous frame's scaled input values (NaN before the first frame) */
  private readonly rawPrev: Float64Array;
  /** log intensity of the input at the previous and the current frame */
  private readonly inputPrev: Float64Array;
  private readonly inputCur: Float64Array;
  /** what the pixel sees (input after the photoreceptor low-pass) at the start and end of the current step */
  private readonly prevLog: Float64Array;
  private readonly curLog: Float64Array;
  /** photoreceptor time constant (µs); 0 = infinitely fast */
  private readonly tauUs: number;
  private readonly lastEvent: Float64Array;
  private readonly noiseRng: Rng;
  private nextNoiseT = Number.POSITIVE_INFINITY;
  private prevT = Number.NaN;
  private frames = 0;
  private keys = new Float64Array(4096);
  private readonly out: EventBuilder;

  constructor(width: number, height: number, params: Partial<EmulatorParams> = {}) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`emulator: sensor size must be positive integers, got ${width}x${height}`);
    }
    if (width > 65536 || height > 65536) {
      throw new RangeError(`emulator: sensor ${width}x${height} exceeds the 65536-pixel coordinate range`);
    }
    this.params = resolveEmulatorParams(params);
    this.sensor = { width, height, polarities: 2 };
    const n = width * height;
    this.n = n;
    this.thOn = new Float64Array(n);
    this.thOff = new Float64Array(n);
    this.leakPerUs = new Float64Array(n);
    this.leakPhase = new Float64Array(n);
    this.ref = new Float64Array(n);
    this.rawPrev = new Float64Array(n).fill(Number.NaN);
    this.inputPrev = new Float64Array(n);
    this.inputCur = new Float64Array(n);
    this.prevLog = new Float64Array(n);
    this.curLog = new Float64Array(n);
    this.tauUs = this.params.cutoffHz > 0 ? 1e6 / (2 * Math.PI * this.params.cutoffHz) : 0;
    this.lastEvent = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.out = new EventBuilder();

    const master = new Rng(this.params.seed);
    const pixelRng = master.fork();
    this.noiseRng = master.fork();
    this.drawPixels(pixelRng);
  }

  /** Number of frames pushed so far. */
  get frameCount(): number {
    return this.frames;
  }

  /** Time of the last frame pushed (NaN before the first). */
  get lastFrameTime(): number {
    return this.prevT;
  }

  /**
   * Adds the frame taken at time `tUs` (µs, strictly after the previous frame) and generates the events of the
   * interval since the previous frame. The first frame only sets the pixels' starting levels. Returns the number
   * of new events; collect them with `takeEvents()`.
   */
  pushFrame(frame: Frame, tUs: number): number {
    if (frame.length !== this.n) {
      throw new RangeError(
        `emulator: frame ${this.frames} has ${frame.length} values, expected ${this.n} ` +
          `(${this.sensor.width}x${this.sensor.height})`,
      );
    }
    if (!Number.isFinite(tUs)) throw new RangeError(`emulator: frame ${this.frames} has timestamp ${tUs}`);
    if (this.frames > 0 && !(tUs > this.prevT)) {
      throw new RangeError(
        `emulator: frame ${this.frames} at t=${tUs} µs is not after the previous frame (t=${this.prevT} µs)`,
      );
    }
    this.toLog(frame, this.inputCur);
    const before = this.out.length;
    if (this.frames === 0) this.start(tUs);
    else this.advance(tUs);
    this.inputPrev.set(this.inputCur);
    this.prevT = tUs;
    this.frames++;
    return this.out.length - before;
  }

  /** Advances time with the scene unchanged (only leak, noise and the photoreceptor settling), as repeating the frame. */
  holdUntil(tUs: number): number {
    if (this.frames === 0) throw new RangeError("emulator: holdUntil before the first frame");
    if (!(tUs > this.prevT)) {
      throw new RangeError(`emulator: holdUntil(${tUs}) is not after the last frame (t=${this.prevT} µs)`);
    }
    const before = this.out.length;
    this.advance(tUs);
    this.prevT = tUs;
    return this.out.length - before;
  }

  /** The events generated since the last call, time-ordered; timestamps are whole microseconds. */
  takeEvents(): EventStream {
    return this.out.take(this.sensor);
  }

  private drawPixels(rng: Rng): void {
    const p = this.params;
    const sLeak = p.leakRateSigma;
    for (let i = 0; i < this.n; i++) {
      // Always draw the same numbers per pixel, so changing one parameter does not reshuffle the others.
      const zOn = rng.normal();
      const zOff = rng.normal();
      const uHot = rng.uniform();
      const zLeak = rng.normal();
      const uPhase = rng.uniform();
      this.thOn[i] = Math.max(p.thresholdMin, p.thresholdOn + p.thresholdSigma * zOn);
      this.thOff[i] = Math.max(p.thresholdMin, p.thresholdOff + p.thresholdSigma * zOff);
      const rate =
        uHot < p.hotPixelFraction ? p.hotPixelRateHz : p.leakRateHz * Math.exp(sLeak * zLeak - (sLeak * sLeak) / 2);
      this.leakPerUs[i] = (rate * this.thOn[i]!) / 1e6;
      this.leakPhase[i] = rate > 0 ? uPhase : 0;
    }
  }

  private toLog(frame: Frame, out: Float64Array): void {
    const scale =
      frame instanceof Uint8Array || frame instanceof Uint8ClampedArray
        ? 1 / 255
        : frame instanceof Uint16Array
          ? 1 / 65535
          : 1;
    const { darkLevel, inputGamma } = this.params;
    const { rawPrev, inputPrev } = this;
    for (let i = 0; i < this.n; i++) {
      const v = frame[i]! * scale;
      if (v === rawPrev[i]) {
        out[i] = inputPrev[i]!; // unchanged pixel (still background, say): skip the log
        continue;
      }
      if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
        rawPrev.fill(Number.NaN); // the frame is refused: forget the values already taken from it
        throw new RangeError(`emulator: frame ${this.frames} pixel ${i} has intensity ${frame[i]}, expected >= 0`);
      }
      out[i] = Math.log((inputGamma === 1 ? v : v ** inputGamma) + darkLevel);
      rawPrev[i] = v;
    }
  }

  private start(tUs: number): void {
    this.prevLog.set(this.inputCur);
    for (let i = 0; i < this.n; i++) this.ref[i] = this.inputCur[i]! - this.leakPhase[i]! * this.thOn[i]!;
    const rate = (this.params.shotNoiseRateHz * this.n) / 1e6;
    this.nextNoiseT = rate > 0 ? tUs + this.expGap(rate) : Number.POSITIVE_INFINITY;
  }

  /**
   * From the previous frame time to t1, the input ramping linearly from inputPrev to inputCur. Without the low-pass
   * that is one step; with it, steps of one time constant while the photoreceptor settles (at most 20, fewer when
   * every pixel has caught up), then the rest in one step, each step filtered exactly for an input held at its end value.
   */
  private advance(t1: number): void {
    const t0 = this.prevT;
    const { inputPrev, inputCur, prevLog, curLog, tauUs } = this;
    if (tauUs === 0) {
      curLog.set(inputCur);
      this.interval(t0, t1);
      prevLog.set(curLog);
      return;
    }
    let t = t0;
    let settled = false;
    for (let step = 0; t < t1; step++) {
      const h = !settled && step < 20 && t1 - t > tauUs ? tauUs : t1 - t;
      const tn = t + h;
      const f = (tn - t0) / (t1 - t0);
      const a = 1 - Math.exp(-h / tauUs);
      let lag = 0;
      for (let i = 0; i < this.n; i++) {
        const target = inputPrev[i]! + f * (inputCur[i]! - inputPrev[i]!);
        const v = prevLog[i]! + a * (target - prevLog[i]!);
        curLog[i] = v;
        lag = Math.max(lag, Math.abs(inputCur[i]! - v));
      }
      // once every pixel is within 1e-4 (log units) of a still input, the rest of the interval is one step
      settled = lag < 1e-4;
      this.interval(t, tn);
      prevLog.set(curLog);
      t = tn;
    }
  }

  /** Events in (t0, t1]: threshold crossings along the straight line between the two frames, plus shot noise. */
  private interval(t0: number, t1: number): void {
    const dt = t1 - t0;
    const base = Math.floor(t0);
    // Sort key = (rounded time - base) * 2n + 2 * pixel + polarity: one numeric sort orders the interval.
    const m = 2 * this.n;
    if ((Math.ceil(t1) - base + 1) * m >= 2 ** 53) {
      throw new RangeError(`emulator: interval of ${dt} µs is too long for a ${this.n}-pixel sensor; add frames`);
    }
    let nk = 0;
    const refractory = this.params.refractoryUs;
    const { ref, prevLog, curLog, lastEvent, thOn, thOff, leakPerUs } = this;
    for (let i = 0; i < this.n; i++) {
      const r = ref[i]!;
      const drift = leakPerUs[i]! * dt;
      const d0 = prevLog[i]! - r;
      const d1 = curLog[i]! - r + drift;
      const on = thOn[i]!;
      const off = thOff[i]!;
      if (d1 >= on) {
        const count = Math.floor(d1 / on);
        for (let k = 1; k <= count; k++) {
          const te = t0 + clamp01((k * on - d0) / (d1 - d0)) * dt;
          if (te - lastEvent[i]! >= refractory) {
            lastEvent[i] = te;
            nk = this.addKey(nk, (Math.round(te) - base) * m + 2 * i + 1);
          }
        }
        ref[i] = r - drift + count * on;
      } else if (d1 <= -off) {
        const count = Math.floor(-d1 / off);
        for (let k = 1; k <= count; k++) {
          const te = t0 + clamp01((d0 + k * off) / (d0 - d1)) * dt;
          if (te - lastEvent[i]! >= refractory) {
            lastEvent[i] = te;
            nk = this.addKey(nk, (Math.round(te) - base) * m + 2 * i);
          }
        }
        ref[i] = r - drift - count * off;
      } else {
        ref[i] = r - drift;
      }
    }
    nk = this.addNoise(nk, t1, base, m);
    const keys = this.keys.subarray(0, nk).sort();
    const w = this.sensor.width;
    for (let j = 0; j < nk; j++) {
      const key = keys[j]!;
      const rel = Math.floor(key / m);
      const rest = key - rel * m;
      const pix = rest >>> 1;
      const y = Math.floor(pix / w);
      this.out.push(base + rel, pix - y * w, y, rest & 1);
    }
  }

  /** Shot noise: a Poisson process over the whole sensor, each event at a uniformly chosen pixel. */
  private addNoise(nk: number, t1: number, base: number, m: number): number {
    const rate = (this.params.shotNoiseRateHz * this.n) / 1e6;
    const onFraction = this.params.shotNoiseOnFraction;
    while (this.nextNoiseT <= t1) {
      const pix = this.noiseRng.int(this.n);
      const p = this.noiseRng.uniform() < onFraction ? 1 : 0;
      nk = this.addKey(nk, (Math.round(this.nextNoiseT) - base) * m + 2 * pix + p);
      this.nextNoiseT += this.expGap(rate);
    }
    return nk;
  }

  private expGap(ratePerUs: number): number {
    return -Math.log(1 - this.noiseRng.uniform()) / ratePerUs;
  }

  private addKey(nk: number, key: number): number {
    if (nk === this.keys.length) {
      const bigger = new Float64Array(this.keys.length * 2);
      bigger.set(this.keys);
      this.keys = bigger;
    }
    this.keys[nk] = key;
    return nk + 1;
  }
}

function clamp01(s: number): number {
  return Math.max(0, Math.min(1, s));
}

/** A whole recording: frames with their timestamps (µs, increasing). */
export interface FrameSequence {
  width: number;
  height: number;
  frames: readonly Frame[];
  timestamps: ArrayLike<number>;
}

/** Runs the emulator over a whole frame sequence and returns every event. */
export function emulateFrames(seq: FrameSequence, params: Partial<EmulatorParams> = {}): EventStream {
  if (seq.frames.length !== seq.timestamps.length) {
    throw new RangeError(`emulator: ${seq.frames.length} frames but ${seq.timestamps.length} timestamps`);
  }
  const emu = new EventCameraEmulator(seq.width, seq.height, params);
  for (let f = 0; f < seq.frames.length; f++) emu.pushFrame(seq.frames[f]!, seq.timestamps[f]!);
  return emu.takeEvents();
}

/**
 * The scene of an N-MNIST-style recording: a still digit on a monitor, seen by a 34×34 sensor that makes three
 * saccades along a triangle. Renders the digit at sub-pixel offsets (Gaussian optical blur, bilinear sampling).
 * Browser-safe.
 */
import { DIGIT_SIZE } from "./digits.js";

/** A digit blurred once and padded, ready to be sampled at any sub-pixel position. */
export interface BlurredDigit {
  readonly data: Float32Array;
  /** side of the padded square canvas */
  readonly size: number;
  /** padding on each side */
  readonly pad: number;
}

/** Blurs a 28×28 byte image with a Gaussian of `sigma` pixels (0 = none), into a padded float canvas in [0, 1]. */
export function blurDigit(image: Uint8Array, sigma: number): BlurredDigit {
  const radius = sigma > 0 ? Math.ceil(3 * sigma) : 0;
  const pad = radius + 2;
  const size = DIGIT_SIZE + 2 * pad;
  const src = new Float32Array(size * size);
  for (let r = 0; r < DIGIT_SIZE; r++) {
    for (let c = 0; c < DIGIT_SIZE; c++) src[(r + pad) * size + c + pad] = image[r * DIGIT_SIZE + c]! / 255;
  }
  if (radius === 0) return { data: src, size, pad };
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;
  const tmp = new Float32Array(size * size);
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const cc = c + k;
        if (cc >= 0 && cc < size) acc += kernel[k + radius]! * src[r * size + cc]!;
      }
      tmp[r * size + c] = acc;
    }
  }
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const rr = r + k;
        if (rr >= 0 && rr < size) acc += kernel[k + radius]! * tmp[rr * size + c]!;
      }
      out[r * size + c] = acc;
    }
  }
  return { data: out, size, pad };
}

/**
 * Renders the digit with its top-left corner at (ox, oy) on a `sensor`×`sensor` frame:
 * intensity = background + (digitLevel − background) × ink, ink bilinearly sampled from the blurred digit.
 */
export function renderDigitFrame(
  digit: BlurredDigit,
  sensor: number,
  ox: number,
  oy: number,
  background: number,
  digitLevel: number,
  out: Float32Array,
): void {
  const { data, size, pad } = digit;
  const span = digitLevel - background;
  for (let y = 0; y < sensor; y++) {
    const v = y - oy + pad;
    const v0 = Math.floor(v);
    const fv = v - v0;
    for (let x = 0; x < sensor; x++) {
      const u = x - ox + pad;
      const u0 = Math.floor(u);
      const fu = u - u0;
      let ink = 0;
      if (u0 >= 0 && v0 >= 0 && u0 + 1 < size && v0 + 1 < size) {
        const o = v0 * size + u0;
        ink =
          (1 - fv) * ((1 - fu) * data[o]! + fu * data[o + 1]!) +
          fv * ((1 - fu) * data[o + size]! + fu * data[o + size + 1]!);
      }
      out[y * sensor + x] = background + span * ink;
    }
  }
}

const profileTables = new Map<number, Float64Array>();
const PROFILE_STEPS = 512;

/**
 * Position along one saccade at phase u in [0, 1] (0 = start, 1 = end) when the speed goes as sin(πu)^q: the
 * motion starts and ends at rest, as a pan-tilt unit's; q = 2 is the cycloid, larger q a sharper peak. Real N-MNIST
 * event rates rise and fall this way within each saccade.
 */
export function saccadeProfile(u: number, q: number): number {
  if (u <= 0) return 0;
  if (u >= 1) return 1;
  let table = profileTables.get(q);
  if (table === undefined) {
    // cumulative integral of sin(πu)^q by the midpoint rule, normalised to end at 1
    table = new Float64Array(PROFILE_STEPS + 1);
    for (let k = 0; k < PROFILE_STEPS; k++) {
      table[k + 1] = table[k]! + Math.sin((Math.PI * (k + 0.5)) / PROFILE_STEPS) ** q;
    }
    const total = table[PROFILE_STEPS]!;
    for (let k = 0; k <= PROFILE_STEPS; k++) table[k]! /= total;
    profileTables.set(q, table);
  }
  const x = u * PROFILE_STEPS;
  const k = Math.floor(x);
  return table[k]! + (x - k) * (table[k + 1]! - table[k]!);
}

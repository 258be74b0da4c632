import type { SensorSize } from "../stream.js";
import { ChunkDecoderBase } from "./base.js";

/** Bytes per record of the N-MNIST / N-Caltech101 "ATIS 40-bit" format (also SLAYER .bs2). */
export const ATIS40_RECORD_BYTES = 5;
/** A record with this y is a timestamp-overflow marker: it adds ATIS40_OVERFLOW_US to every later timestamp. */
export const ATIS40_OVERFLOW_Y = 240;
export const ATIS40_OVERFLOW_US = 8192;

/**
 * Decoder for headerless 5-byte records: x (8 bits), y (8 bits), p (1 bit) + t (23 bits, µs), big-endian bit order.
 * A record with y == 240 is dropped and shifts all later timestamps by 8192 µs (Orchard's reader, tonic).
 * Sensor: N-MNIST files (all coordinates < 34) are 34×34, DVS128 files (< 128) 128×128, otherwise the largest
 * coordinate + 1 (N-Caltech101 sizes vary per recording) — all flagged as guesses.
 */
export class Atis40Decoder extends ChunkDecoderBase {
  readonly format = "atis40" as const;
  private tOffset = 0;

  protected override guessSensor(): SensorSize {
    if (this.maxX < 34 && this.maxY < 34) return { width: 34, height: 34, polarities: 2 };
    if (this.maxX < 128 && this.maxY < 128) return { width: 128, height: 128, polarities: 2 };
    return { width: this.maxX + 1, height: this.maxY + 1, polarities: 2 };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    const n = (buf.length / ATIS40_RECORD_BYTES) | 0;
    const whole = n * ATIS40_RECORD_BYTES;
    if (final && whole !== buf.length) {
      this.fail(
        base + whole,
        `file ends inside a 5-byte record (${buf.length - whole} stray byte(s)); expected a size that is a multiple of 5`,
      );
    }
    const out = this.out;
    out.reserve(n);
    const T = out.t;
    const X = out.x;
    const Y = out.y;
    const P = out.p;
    let k = out.length;
    const [W, H] = this.sensorLimits();
    let off = this.tOffset;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    for (let j = 0; j < whole; j += 5) {
      const y = buf[j + 1]!;
      if (y === ATIS40_OVERFLOW_Y) {
        off += ATIS40_OVERFLOW_US;
        continue;
      }
      const x = buf[j]!;
      const b2 = buf[j + 2]!;
      const t = (((b2 & 0x7f) << 16) | (buf[j + 3]! << 8) | buf[j + 4]!) + off;
      if (t < last) {
        this.lastT = last;
        this.timeWentBack(base + j, t);
      }
      if (x >= W || y >= H) this.outOfSensor(base + j, x, y);
      last = t;
      if (x > mx) mx = x;
      if (y > my) my = y;
      T[k] = t;
      X[k] = x;
      Y[k] = y;
      P[k] = b2 >> 7;
      k++;
    }
    out.length = k;
    this.tOffset = off;
    this.lastT = last;
    this.maxX = mx;
    this.maxY = my;
    return whole;
  }
}

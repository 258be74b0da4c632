import { ATIS40_OVERFLOW_US, ATIS40_OVERFLOW_Y, ATIS40_RECORD_BYTES } from "../decoders/atis40.js";
import type { EventStream } from "../stream.js";

/**
 * Encodes a stream as 40-bit ATIS records. Timestamps beyond 23 bits are written with overflow markers
 * (y = 240 records, each adding 8192 µs to all later timestamps), so t must be non-decreasing integers >= 0.
 */
export function writeAtis40(ev: EventStream): Uint8Array {
  const n = ev.t.length;
  // count markers first so the output is allocated once
  let markers = 0;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const t = ev.t[i]!;
    if (!Number.isInteger(t) || t < off) {
      throw new RangeError(`event ${i}: t ${t} must be an integer >= ${off} (non-decreasing) for the 40-bit format`);
    }
    while (t - off > 0x7fffff) {
      off += ATIS40_OVERFLOW_US;
      markers++;
    }
  }
  const out = new Uint8Array((n + markers) * ATIS40_RECORD_BYTES);
  off = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const t = ev.t[i]!;
    while (t - off > 0x7fffff) {
      out[j + 1] = ATIS40_OVERFLOW_Y;
      j += 5;
      off += ATIS40_OVERFLOW_US;
    }
    const x = ev.x[i]!;
    const y = ev.y[i]!;
    if (x > 255 || y > 255 || y === ATIS40_OVERFLOW_Y) {
      throw new RangeError(`event ${i}: (x ${x}, y ${y}) cannot be stored (x, y < 256 and y != 240)`);
    }
    const r = t - off;
    out[j] = x;
    out[j + 1] = y;
    out[j + 2] = ((ev.p[i]! !== 0 ? 1 : 0) << 7) | (r >> 16);
    out[j + 3] = (r >> 8) & 0xff;
    out[j + 4] = r & 0xff;
    j += 5;
  }
  return out;
}

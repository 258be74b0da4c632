import type { EventStream } from "../stream.js";

/** Event type byte of CD (change detection) events in a DAT file, as Prophesee's tools write it. */
const DAT_CD_TYPE = 0x0c;
const DAT_RECORD_BYTES = 8;
const WRAP = 4294967296;

/**
 * Encodes a stream as a Prophesee DAT v2 file (the layout DatDecoder reads): a `%` header with the sensor size,
 * the event type and size bytes, then 8-byte records of uint32 t and uint32 x | y << 14 | p << 28. Timestamps past
 * 2^32 µs are written modulo 2^32 (readers take a drop of more than 2^31 as a wrap), so t must be non-decreasing
 * integers >= 0, the first below 2^32 µs and each step below 2^31 µs, and x, y below 16384.
 */
export function writeDat(ev: EventStream): Uint8Array {
  const n = ev.t.length;
  const header = new TextEncoder().encode(
    `% Data file written by razor-snn\n% Version 2\n% Width ${ev.sensor.width}\n% Height ${ev.sensor.height}\n`,
  );
  const out = new Uint8Array(header.length + 2 + n * DAT_RECORD_BYTES);
  out.set(header);
  out[header.length] = DAT_CD_TYPE;
  out[header.length + 1] = DAT_RECORD_BYTES;
  const dv = new DataView(out.buffer, header.length + 2);
  let last = 0;
  // the first timestamp is read as it is (below 2^32); each later one may add less than 2^31
  let step = WRAP;
  for (let i = 0; i < n; i++) {
    const t = ev.t[i]!;
    if (!Number.isInteger(t) || t < last || t - last >= step) {
      throw new RangeError(`event ${i}: t ${t} must be an integer >= ${last} and < ${last + step} for DAT`);
    }
    step = WRAP / 2;
    last = t;
    const x = ev.x[i]!;
    const y = ev.y[i]!;
    if (x > 0x3fff || y > 0x3fff) throw new RangeError(`event ${i}: (x ${x}, y ${y}) cannot be stored (x, y < 16384)`);
    dv.setUint32(i * DAT_RECORD_BYTES, t % WRAP, true);
    dv.setUint32(i * DAT_RECORD_BYTES + 4, (x | (y << 14) | ((ev.p[i]! ? 1 : 0) << 28)) >>> 0, true);
  }
  return out;
}

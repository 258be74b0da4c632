import { AEDAT3_PACKET_HEADER_BYTES, AEDAT3_POLARITY_EVENT } from "../decoders/aedat3.js";
import { asciiBytes } from "../decoders/bytes.js";
import type { EventStream } from "../stream.js";

export interface Aedat3WriteOptions {
  /** name for the `#Source 1:` header line (default "DVS128") */
  source?: string;
  /** events per polarity packet (default 4096) */
  eventsPerPacket?: number;
}

/**
 * Writes an AEDAT 3.1 file with one polarity packet per `eventsPerPacket` events (all valid). A packet never
 * spans two 2^31 µs overflow periods: t must be non-negative integers, non-decreasing.
 */
export function writeAedat31(ev: EventStream, opts: Aedat3WriteOptions = {}): Uint8Array {
  const header = asciiBytes(
    `#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: ${opts.source ?? "DVS128"}\r\n#!END-HEADER\r\n`,
  );
  const per = Math.max(1, opts.eventsPerPacket ?? 4096);
  const n = ev.t.length;
  // packet boundaries: every `per` events and at each change of the overflow period
  const starts: number[] = [];
  for (let i = 0; i < n; ) {
    const period = Math.floor(ev.t[i]! / 2147483648);
    let j = i;
    while (j < n && j - i < per && Math.floor(ev.t[j]! / 2147483648) === period) j++;
    starts.push(i);
    i = j;
  }
  starts.push(n);
  const packets = starts.length - 1;
  const out = new Uint8Array(header.length + packets * AEDAT3_PACKET_HEADER_BYTES + n * 8);
  const dv = new DataView(out.buffer);
  out.set(header);
  let pos = header.length;
  for (let q = 0; q < packets; q++) {
    const a = starts[q]!;
    const b = starts[q + 1]!;
    const count = b - a;
    dv.setInt16(pos, AEDAT3_POLARITY_EVENT, true);
    dv.setInt16(pos + 2, 1, true);
    dv.setInt32(pos + 4, 8, true);
    dv.setInt32(pos + 8, 4, true);
    dv.setInt32(pos + 12, Math.floor(ev.t[a]! / 2147483648), true);
    dv.setInt32(pos + 16, count, true);
    dv.setInt32(pos + 20, count, true);
    dv.setInt32(pos + 24, count, true);
    pos += AEDAT3_PACKET_HEADER_BYTES;
    for (let i = a; i < b; i++) {
      const t = ev.t[i]!;
      if (!Number.isInteger(t) || t < 0 || (i > 0 && t < ev.t[i - 1]!)) {
        throw new RangeError(`event ${i}: t ${t} must be a non-negative integer, non-decreasing`);
      }
      const x = ev.x[i]!;
      const y = ev.y[i]!;
      if (x > 0x7fff || y > 0x7fff) throw new RangeError(`event ${i}: (x ${x}, y ${y}) exceeds 15 bits`);
      const data = ((x << 17) | (y << 2) | ((ev.p[i]! !== 0 ? 1 : 0) << 1) | 1) >>> 0;
      dv.setUint32(pos, data, true);
      dv.setInt32(pos + 4, t % 2147483648, true);
      pos += 8;
    }
  }
  return out;
}

import type { EventStream } from "../stream.js";

/**
 * Writes events as a NumPy .npy (format 1.0) structured array: t <i8 at 0, x <i2 at 8, y <i2 at 10, p u1 at 12,
 * itemsize 16 (the layout event-formats.md §6 describes). t must be integers (µs).
 */
export function writeNpyEvents(ev: EventStream): Uint8Array {
  const n = ev.t.length;
  const dict =
    "{'descr': {'names': ['t', 'x', 'y', 'p'], 'formats': ['<i8', '<i2', '<i2', '|u1'], 'offsets': [0, 8, 10, 12], 'itemsize': 16}, " +
    `'fortran_order': False, 'shape': (${n},), }`;
  // pad so that the data starts at a multiple of 64 bytes, header ends with '\n'
  const pre = 10;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict + " ".repeat(total - pre - dict.length - 1) + "\n";
  const out = new Uint8Array(total + n * 16);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const r = total + 16 * i;
    const t = ev.t[i]!;
    if (!Number.isInteger(t)) throw new RangeError(`event ${i}: t ${t} is not an integer`);
    dv.setBigInt64(r, BigInt(t), true);
    dv.setInt16(r + 8, ev.x[i]!, true);
    dv.setInt16(r + 10, ev.y[i]!, true);
    dv.setUint8(r + 12, ev.p[i]! !== 0 ? 1 : 0);
  }
  return out;
}

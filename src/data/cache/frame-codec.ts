/**
 * A compact byte form of Frames for the disk and memory caches: event-count frames are small integers, so they
 * are stored as uint8 or uint16 when every value fits exactly, else float32; the body is deflated (frames are
 * sparse). Header (little-endian): "RZFR", u32 version, u32 T, C, H, W, u32 dtype (0 f32, 1 u16, 2 u8).
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Frames } from "../sample.js";

const MAGIC = 0x52465a52; // "RZFR" read as little-endian u32
const VERSION = 1;
const HEADER = 28;

export function encodeFrames(f: Frames): Uint8Array {
  const n = f.data.length;
  let dtype = 2;
  for (let i = 0; i < n; i++) {
    const v = f.data[i]!;
    if (!(v >= 0 && v <= 65535 && Math.floor(v) === v)) {
      dtype = 0;
      break;
    }
    if (v > 255) dtype = 1;
  }
  const body =
    dtype === 2
      ? new Uint8Array(f.data)
      : dtype === 1
        ? new Uint8Array(new Uint16Array(f.data).buffer)
        : new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  const packed = deflateRawSync(body, { level: 1 });
  const out = new Uint8Array(HEADER + packed.length);
  const dv = new DataView(out.buffer);
  [MAGIC, VERSION, ...f.shape, dtype].forEach((v, i) => {
    dv.setUint32(i * 4, v, true);
  });
  out.set(packed, HEADER);
  return out;
}

/** Decodes; throws a message naming `source` when the bytes are not a frame record of this version. */
export function decodeFrames(bytes: Uint8Array, source: string): Frames {
  if (bytes.length < HEADER) throw new Error(`${source}: frame cache record is truncated (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, T, C, H, W, dtype] = Array.from({ length: 7 }, (_, i) => dv.getUint32(i * 4, true)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (magic !== MAGIC || version !== VERSION) {
    throw new Error(`${source}: not a frame cache record of version ${VERSION}`);
  }
  const n = T * C * H * W;
  const raw = inflateRawSync(bytes.subarray(HEADER));
  const width = dtype === 2 ? 1 : dtype === 1 ? 2 : 4;
  if (raw.length !== n * width) {
    throw new Error(`${source}: frame cache record holds ${raw.length} bytes, expected ${n * width}`);
  }
  const data = new Float32Array(n);
  if (dtype === 2) data.set(raw);
  else {
    const aligned = new Uint8Array(raw).buffer; // copy: raw may be unaligned
    data.set(dtype === 1 ? new Uint16Array(aligned) : new Float32Array(aligned));
  }
  return { data, shape: [T, C, H, W] };
}

/**
 * safetensors encoding (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, a UTF-8
 * JSON header of N bytes ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}),
 * then the raw little-endian tensor bytes. Browser-safe: no node:* imports (file access is in checkpoint-file.ts).
 */
export type DType = "F32" | "I64" | "I32" | "U8";

export interface Tensor {
  dtype: DType;
  shape: number[];
  /** F32 -> Float32Array, I32 -> Int32Array, U8 -> Uint8Array; I64 values as a BigInt64Array */
  data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
}

export interface SafeTensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<DType, number> = { F32: 4, I64: 8, I32: 4, U8: 1 };

export class SafeTensorsError extends Error {
  constructor(source: string, what: string) {
    super(`${source}: not a valid safetensors file: ${what}`);
    this.name = "SafeTensorsError";
  }
}

export function encodeSafeTensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  // names sorted so the same content always gives the same bytes
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(`tensor ${name}: shape [${t.shape}] holds ${count} values but data has ${t.data.length}`);
    }
    const nbytes = count * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // pad the header with spaces so tensor data starts 8-byte aligned (allowed by the format)
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    pos = writeLE(view, pos, t);
  }
  return out;
}

function writeLE(view: DataView, pos: number, t: Tensor): number {
  const d = t.data;
  switch (t.dtype) {
    case "F32":
      for (let i = 0; i < d.length; i++, pos += 4) view.setFloat32(pos, (d as Float32Array)[i], true);
      return pos;
    case "I32":
      for (let i = 0; i < d.length; i++, pos += 4) view.setInt32(pos, (d as Int32Array)[i], true);
      return pos;
    case "I64":
      for (let i = 0; i < d.length; i++, pos += 8) view.setBigInt64(pos, (d as BigInt64Array)[i], true);
      return pos;
    case "U8":
      for (let i = 0; i < d.length; i++, pos += 1) view.setUint8(pos, (d as Uint8Array)[i]);
      return pos;
  }
}

/** Parses a safetensors buffer; `source` (a file name) is used in error messages. */
export function decodeSafeTensors(bytes: Uint8Array, source = "safetensors"): SafeTensors {
  if (bytes.length < 8)
    throw new SafeTensorsError(source, `${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) {
    throw new SafeTensorsError(
      source,
      `header length ${n} at offset 0 exceeds the ${bytes.length - 8} bytes that follow`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new SafeTensorsError(source, `header at offsets 8..${8 + n} is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafeTensorsError(source, "header is not a JSON object");
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(entry, source);
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e.dtype as DType;
    if (!(typeof dtype === "string" && dtype in BYTES)) {
      throw new SafeTensorsError(
        source,
        `tensor ${name}: dtype ${String(e.dtype)} (expected one of ${Object.keys(BYTES)})`,
      );
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new SafeTensorsError(source, `tensor ${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o))) {
      throw new SafeTensorsError(source, `tensor ${name}: data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (begin < 0 || end > dataLen || end - begin !== count * BYTES[dtype]) {
      throw new SafeTensorsError(
        source,
        `tensor ${name}: data_offsets [${begin}, ${end}] do not hold ${count} ${dtype} values within the ${dataLen} data bytes`,
      );
    }
    spans.push({ name, begin, end });
    tensors.set(name, { dtype, shape: shape as number[], data: readLE(view, dataStart + begin, count, dtype) });
  }
  checkSpans(spans, dataLen, dataStart, source);
  return { tensors, metadata };
}

/**
 * The format's own rule: tensor byte ranges, in order, tile the data from 0 to its end — no gap, no overlap (two
 * names aliasing the same bytes) and no trailing bytes after the last tensor.
 */
function checkSpans(
  spans: { name: string; begin: number; end: number }[],
  dataLen: number,
  dataStart: number,
  source: string,
): void {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const s of spans) {
    if (s.begin !== pos) {
      const what = s.begin < pos ? "overlaps the tensor before it" : `leaves bytes ${pos}..${s.begin} unused`;
      throw new SafeTensorsError(source, `tensor ${s.name}: data_offsets [${s.begin}, ${s.end}] ${what}`);
    }
    pos = s.end;
  }
  if (pos !== dataLen) {
    throw new SafeTensorsError(
      source,
      `${dataLen - pos} trailing bytes at offset ${dataStart + pos} after the last tensor (the data must end there)`,
    );
  }
}

function parseMetadata(entry: unknown, source: string): Record<string, string> {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    throw new SafeTensorsError(source, "__metadata__ is not an object");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== "string") throw new SafeTensorsError(source, `__metadata__.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function readLE(view: DataView, pos: number, count: number, dtype: DType): Tensor["data"] {
  switch (dtype) {
    case "F32": {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++, pos += 4) a[i] = view.getFloat32(pos, true);
      return a;
    }
    case "I32": {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++, pos += 4) a[i] = view.getInt32(pos, true);
      return a;
    }
    case "I64": {
      const a = new BigInt64Array(count);
      for (let i = 0; i < count; i++, pos += 8) a[i] = view.getBigInt64(pos, true);
      return a;
    }
    case "U8":
      return new Uint8Array(view.buffer.slice(view.byteOffset + pos, view.byteOffset + pos + count));
  }
}

/** A float32 tensor. */
export function f32(shape: number[], data: Float32Array): Tensor {
  return { dtype: "F32", shape, data };
}

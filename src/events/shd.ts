import type * as H5 from "h5wasm";
import { EventFormatError } from "./errors.js";
import type { EventStream, SensorSize } from "./stream.js";

/** SHD/SSC: 700 cochlea channels; the channel index goes in x, y = 0, one polarity. */
export const SHD_SENSOR: SensorSize = { width: 700, height: 1, polarities: 1 };

/** An opened SHD/SSC HDF5 file. */
export interface ShdFile {
  /** number of samples */
  length: number;
  /** class per sample (SHD 0..19, SSC 0..34) */
  labels: Int32Array;
  /** class names (`extra/keys`; use keys[label]) */
  keys: string[];
  /** speaker id per sample when the file has `extra/speaker` */
  speakers: Int32Array | null;
  /** sample i as events: t in µs (converted from float16/32 seconds in double precision), channel in x */
  sample(i: number): EventStream;
  close(): void;
}

type H5Lib = typeof H5.default;

/** IEEE 754 half precision to double (exact). */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Number.POSITIVE_INFINITY : Number.NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

interface VlenInfo {
  /** element size in bytes */
  size: number;
  /** HDF5 class: 0 integer, 1 float */
  type: number;
  signed: boolean;
}

/**
 * Reads SHD/SSC through an h5wasm module (the Node or the browser build). Row reads use h5wasm's low-level
 * `get_dataset_data` into an hvl_t (u32 length, u32 pointer), because its high-level API rejects float16.
 */
export function openShdWith(h5: H5Lib, Module: Awaited<typeof H5.ready>, fsPath: string, displayName: string): ShdFile {
  // HDF5 errors as exceptions carrying the diagnostics, instead of the library printing them to stderr
  Module.activate_throwing_error_handler();
  const fail = (detail: string): never => {
    throw new EventFormatError(displayName, -1, detail);
  };
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof EventFormatError) throw e;
      return fail(`${what}: ${summarizeHdf5Error((e as Error).message ?? String(e))}`);
    }
  };
  const file = guard("cannot open as HDF5", () => new h5.File(fsPath, "r"));
  if (!file.file_id || file.file_id < 0n) fail("cannot open as HDF5 (not an HDF5 file, or truncated)");
  const dataset = (path: string): H5.Dataset => {
    const d = guard(`cannot read ${path}`, () => file.get(path));
    if (!(d instanceof h5.Dataset))
      fail(`expected a dataset at /${path} (SHD/SSC layout: spikes/times, spikes/units, labels)`);
    return d as H5.Dataset;
  };
  const times = dataset("spikes/times");
  const units = dataset("spikes/units");
  const labelsDs = dataset("labels");
  const n = guard("reading shapes", () => {
    const a = times.shape;
    const b = units.shape;
    const c = labelsDs.shape;
    if (!a || !b || !c || a.length !== 1 || b.length !== 1 || c.length !== 1)
      fail("spikes/times, spikes/units and labels must be 1-D");
    if (a![0] !== b![0] || a![0] !== c![0])
      fail(`sample counts differ: times ${a![0]}, units ${b![0]}, labels ${c![0]}`);
    return a![0]!;
  });
  const vlenInfo = (d: H5.Dataset, path: string): VlenInfo => {
    const m = guard(`reading ${path} type`, () => d.metadata);
    const vt = m.vlen_type;
    if (m.type !== 9 || !vt) fail(`/${path} must be a variable-length array dataset`);
    const info = { size: vt!.size, type: vt!.type, signed: vt!.signed };
    if (!((info.type === 0 && [1, 2, 4].includes(info.size)) || (info.type === 1 && [2, 4, 8].includes(info.size)))) {
      fail(`/${path} element type (class ${info.type}, ${info.size} bytes) is not an integer or float`);
    }
    return info;
  };
  const timesType = vlenInfo(times, "spikes/times");
  const unitsType = vlenInfo(units, "spikes/units");
  const labels = guard("reading labels", () => Int32Array.from(labelsDs.value as ArrayLike<number>, Number));
  const keysDs = guard("reading extra/keys", () => file.get("extra/keys"));
  const keys =
    keysDs instanceof h5.Dataset
      ? guard("reading extra/keys", () =>
          Array.from(keysDs.value as ArrayLike<unknown>, (k) =>
            k instanceof Uint8Array ? new TextDecoder().decode(k) : String(k),
          ),
        )
      : [];
  const spkDs = guard("reading extra/speaker", () => file.get("extra/speaker"));
  const speakers =
    spkDs instanceof h5.Dataset
      ? guard("reading extra/speaker", () => Int32Array.from(spkDs.value as ArrayLike<number>, Number))
      : null;

  /** Copies row i of a vlen dataset out of the wasm heap as raw bytes. */
  const readRow = (path: string, i: number, elem: number): { bytes: Uint8Array; length: number } => {
    const ptr = Module._malloc(8);
    if (ptr === 0) fail("out of wasm memory");
    let filled = false;
    try {
      const status = Module.get_dataset_data(file.file_id, path, [1n], [BigInt(i)], [1n], BigInt(ptr));
      if (status < 0) fail(`reading row ${i} of ${path} failed`);
      filled = true;
      const heap = Module.HEAPU8;
      const len = (heap[ptr]! | (heap[ptr + 1]! << 8) | (heap[ptr + 2]! << 16) | (heap[ptr + 3]! << 24)) >>> 0;
      const data = (heap[ptr + 4]! | (heap[ptr + 5]! << 8) | (heap[ptr + 6]! << 16) | (heap[ptr + 7]! << 24)) >>> 0;
      if (len > 0 && (data === 0 || data + len * elem > heap.length)) fail(`row ${i} of ${path} points outside memory`);
      return { bytes: heap.slice(data, data + len * elem), length: len };
    } finally {
      if (filled) Module.reclaim_vlen_memory_count(file.file_id, path, "", BigInt(ptr), [1n]);
      Module._free(ptr);
    }
  };
  const decode = (b: Uint8Array, n: number, t: VlenInfo): Float64Array => {
    const out = new Float64Array(n);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let k = 0; k < n; k++) {
      const o = k * t.size;
      if (t.type === 1)
        out[k] =
          t.size === 2
            ? halfToNumber(dv.getUint16(o, true))
            : t.size === 4
              ? dv.getFloat32(o, true)
              : dv.getFloat64(o, true);
      else if (t.size === 1) out[k] = t.signed ? dv.getInt8(o) : dv.getUint8(o);
      else if (t.size === 2) out[k] = t.signed ? dv.getInt16(o, true) : dv.getUint16(o, true);
      else out[k] = t.signed ? dv.getInt32(o, true) : dv.getUint32(o, true);
    }
    return out;
  };

  return {
    length: n,
    labels,
    keys,
    speakers,
    sample(i: number): EventStream {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`sample ${i} is outside 0..${n - 1}`);
      const tr = guard(`reading spikes/times[${i}]`, () => readRow("/spikes/times", i, timesType.size));
      const ur = guard(`reading spikes/units[${i}]`, () => readRow("/spikes/units", i, unitsType.size));
      if (tr.length !== ur.length) fail(`sample ${i}: ${tr.length} spike times but ${ur.length} units`);
      const sec = decode(tr.bytes, tr.length, timesType);
      const ch = decode(ur.bytes, ur.length, unitsType);
      const m = tr.length;
      const order = new Int32Array(m);
      let sorted = true;
      for (let k = 0; k < m; k++) {
        order[k] = k;
        const s = sec[k]!;
        if (!(s >= 0) || !Number.isFinite(s))
          fail(`sample ${i}: spike time ${s} s is not a finite non-negative number`);
        const c = ch[k]!;
        if (!(c >= 0 && c < SHD_SENSOR.width) || !Number.isInteger(c))
          fail(`sample ${i}: unit ${c} is outside the 700 channels`);
        if (k > 0 && s < sec[k - 1]!) sorted = false;
      }
      // spike times are meant to be sorted; sort (stably) when a file is not
      if (!sorted) order.sort((a, b) => sec[a]! - sec[b]! || a - b);
      const t = new Float64Array(m);
      const x = new Uint16Array(m);
      for (let k = 0; k < m; k++) {
        const o = order[k]!;
        t[k] = sec[o]! * 1e6;
        x[k] = ch[o]!;
      }
      return { t, x, y: new Uint16Array(m), p: new Uint8Array(m), sensor: SHD_SENSOR };
    },
    close(): void {
      guard("closing", () => file.close());
    },
  };
}

/**
 * One line from an HDF5 diagnostic stack ("HDF5-DIAG: Error detected … #000: … in H5Fopen(): unable to open file
 * … minor: Unable to open file …"): the outermost failure and the innermost reason. Other messages pass through.
 */
export function summarizeHdf5Error(message: string): string {
  if (!message.includes("HDF5-DIAG")) return message;
  const outer = /#000:[^\n]*?\(\): ([^\n]+)/.exec(message)?.[1]?.trim();
  const minors = [...message.matchAll(/minor: ([^\n]+)/g)].map((m) => m[1]!.trim());
  const inner = minors[minors.length - 1];
  if (outer === undefined) return inner ?? "HDF5 error";
  return inner === undefined || inner.toLowerCase() === outer.toLowerCase() ? outer : `${outer} (${inner})`;
}

let fileCounter = 0;

/** Browser entry: opens SHD/SSC bytes by writing them into h5wasm's in-memory file system. */
export async function openShdBytes(bytes: Uint8Array, name = "<shd bytes>"): Promise<ShdFile> {
  const h5 = (await import("h5wasm")).default;
  const Module = await h5.ready;
  const fsPath = `/razor-shd-${++fileCounter}.h5`;
  Module.FS.writeFile(fsPath, bytes);
  const f = openShdWith(h5, Module, fsPath, name);
  return {
    ...f,
    close(): void {
      f.close();
      Module.FS.unlink(fsPath);
    },
  };
}

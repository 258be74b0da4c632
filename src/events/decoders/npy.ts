import { ChunkDecoderBase } from "./base.js";
import { latin1 } from "./bytes.js";
import { type PyValue, parsePyLiteral } from "./pyliteral.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Which structured-array field names map to t, x, y, p (Tonic uses t, x, y, p). */
const FIELD_NAMES: Record<"t" | "x" | "y" | "p", string[]> = {
  t: ["t", "ts", "timestamp", "time"],
  x: ["x"],
  y: ["y"],
  p: ["p", "polarity", "pol"],
};

interface Field {
  offset: number;
  /** "i" signed, "u" unsigned (also bool), "f" float */
  kind: "i" | "u" | "f";
  size: number;
  le: boolean;
  type: string;
}

function fieldOf(type: string, offset: number): Field {
  const m = /^([<>|=]?)([iufb?])(\d*)$/.exec(type);
  if (!m) throw new Error(`field type "${type}" is not a plain number`);
  const size = m[3] === "" ? 1 : Number(m[3]);
  const kind = m[2] === "f" ? "f" : m[2] === "i" ? "i" : "u";
  const ok = kind === "f" ? size === 4 || size === 8 : [1, 2, 4, 8].includes(size);
  if (!ok) throw new Error(`field type "${type}" is not supported`);
  return { offset, kind, size, le: m[1] !== ">", type };
}

/** Reads one field of n records (record stride `stride`, first record at `start`) into `out`, column-wise. */
function readColumn(dv: DataView, start: number, n: number, stride: number, f: Field, out: Float64Array): void {
  const le = f.le;
  let o = start + f.offset;
  switch (`${f.kind}${f.size}`) {
    case "u1":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getUint8(o);
      break;
    case "i1":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getInt8(o);
      break;
    case "u2":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getUint16(o, le);
      break;
    case "i2":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getInt16(o, le);
      break;
    case "u4":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getUint32(o, le);
      break;
    case "i4":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getInt32(o, le);
      break;
    case "u8":
    case "i8": {
      // high word × 2^32 + low word: exact up to 2^53 without BigInt
      const hiAt = le ? 4 : 0;
      const loAt = le ? 0 : 4;
      const signed = f.kind === "i";
      for (let i = 0; i < n; i++, o += stride) {
        const hi = signed ? dv.getInt32(o + hiAt, le) : dv.getUint32(o + hiAt, le);
        out[i] = hi * 4294967296 + dv.getUint32(o + loAt, le);
      }
      break;
    }
    case "f4":
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getFloat32(o, le);
      break;
    default:
      for (let i = 0; i < n; i++, o += stride) out[i] = dv.getFloat64(o, le);
  }
}

function typeSize(type: string): number {
  const m = /^[<>|=]?[iufb?](\d*)$/.exec(type);
  if (m) return m[1] === "" ? 1 : Number(m[1]);
  const v = /^[<>|=]?V(\d+)$/.exec(type);
  if (v) return Number(v[1]);
  throw new Error(`field type "${type}" is not supported`);
}

/**
 * NumPy .npy (format 1.x, 2.x, 3.x) holding a 1-D structured array of events (Tonic's layout: fields t, x, y, p;
 * any order, offsets, integer or float types, either byte order). Missing y or p fields read as 0 (audio data).
 * Timestamps are taken as µs, as Tonic stores them.
 */
export class NpyDecoder extends ChunkDecoderBase {
  readonly format = "npy" as const;
  private fields: Partial<Record<"t" | "x" | "y" | "p", Field>> | null = null;
  private itemsize = 0;
  private count = 0;
  private seen = 0;
  /** scratch columns for x, y, p */
  private cols = new Float64Array(0);

  private parseHeader(buf: Uint8Array, base: number, final: boolean): number {
    if (buf.length < 12) {
      if (final) this.truncated(base + buf.length, "the .npy preamble");
      return 0;
    }
    for (let i = 0; i < 6; i++) if (buf[i] !== MAGIC[i]) this.fail(base + i, "expected the NumPy magic \\x93NUMPY");
    const major = buf[6]!;
    if (major < 1 || major > 3)
      this.fail(base + 6, `.npy format version ${major}.${buf[7]} is not supported (expected 1, 2 or 3)`);
    const hlenBytes = major === 1 ? 2 : 4;
    const hlen =
      major === 1 ? buf[8]! | (buf[9]! << 8) : (buf[8]! | (buf[9]! << 8) | (buf[10]! << 16) | (buf[11]! << 24)) >>> 0;
    const start = 8 + hlenBytes;
    if (hlen > 1 << 20) this.fail(base + 8, `header length ${hlen} is impossibly large`);
    if (buf.length < start + hlen) {
      if (final) this.truncated(base + buf.length, `the .npy header (expected ${hlen} bytes)`);
      return 0;
    }
    const text = latin1(buf, start, start + hlen).trim();
    let h: PyValue;
    try {
      h = parsePyLiteral(text);
    } catch (e) {
      return this.fail(base + start, `cannot parse the .npy header: ${(e as Error).message}`);
    }
    if (h === null || typeof h !== "object" || Array.isArray(h))
      this.fail(base + start, "the .npy header is not a dict");
    const hd = h as { [k: string]: PyValue };
    const shape = hd.shape;
    if (!Array.isArray(shape) || shape.length !== 1 || typeof shape[0] !== "number") {
      this.fail(base + start, `expected a 1-D structured array, shape is ${JSON.stringify(shape)}`);
    }
    this.count = (shape as number[])[0]!;
    try {
      this.setLayout(hd.descr ?? null);
    } catch (e) {
      this.fail(base + start, (e as Error).message);
    }
    this.info.npyVersion = `${major}.${buf[7]}`;
    this.info.descr = hd.descr;
    this.info.shape = shape;
    return start + hlen;
  }

  private setLayout(descr: PyValue): void {
    const names: string[] = [];
    const types: string[] = [];
    const offsets: number[] = [];
    let itemsize = 0;
    if (Array.isArray(descr)) {
      let off = 0;
      for (const f of descr) {
        if (!Array.isArray(f) || typeof f[0] !== "string" || typeof f[1] !== "string" || f.length !== 2) {
          throw new Error(`unsupported field description ${JSON.stringify(f)} (expected (name, type) pairs)`);
        }
        names.push(f[0]);
        types.push(f[1]);
        offsets.push(off);
        off += typeSize(f[1]);
      }
      itemsize = off;
    } else if (
      descr !== null &&
      typeof descr === "object" &&
      Array.isArray(descr.names) &&
      Array.isArray(descr.formats)
    ) {
      const n = descr.names.length;
      for (let i = 0; i < n; i++) {
        const ty = descr.formats[i];
        if (typeof ty !== "string") throw new Error(`unsupported field format ${JSON.stringify(ty)}`);
        names.push(String(descr.names[i]));
        types.push(ty);
      }
      if (Array.isArray(descr.offsets)) for (const o of descr.offsets) offsets.push(Number(o));
      else {
        let off = 0;
        for (const ty of types) {
          offsets.push(off);
          off += typeSize(ty);
        }
      }
      itemsize =
        typeof descr.itemsize === "number"
          ? descr.itemsize
          : Math.max(...offsets.map((o, i) => o + typeSize(types[i]!)));
    } else {
      throw new Error(`expected a structured dtype with fields t, x, y, p; descr is ${JSON.stringify(descr)}`);
    }
    if (!(itemsize > 0)) throw new Error(`record size ${itemsize} is impossible`);
    const fields: Partial<Record<"t" | "x" | "y" | "p", Field>> = {};
    for (const key of ["t", "x", "y", "p"] as const) {
      const i = names.findIndex((nm) => FIELD_NAMES[key].includes(nm.toLowerCase()));
      if (i < 0) continue;
      const off = offsets[i]!;
      if (off < 0 || off + typeSize(types[i]!) > itemsize) throw new Error(`field ${names[i]} lies outside the record`);
      fields[key] = fieldOf(types[i]!, off);
    }
    if (!fields.t || !fields.x) throw new Error(`the dtype needs at least fields t and x; it has ${names.join(", ")}`);
    this.fields = fields;
    this.itemsize = itemsize;
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (this.fields === null) {
      pos = this.parseHeader(buf, base, final);
      if (this.fields === null) return 0;
    }
    const f = this.fields;
    const size = this.itemsize;
    const n = Math.min(((buf.length - pos) / size) | 0, this.count - this.seen);
    const end = pos + n * size;
    if (final) {
      if (this.seen + n < this.count) {
        this.truncated(base + end, `record ${this.seen + n} of ${this.count} (${size} bytes each)`);
      }
      if (end !== buf.length) this.fail(base + end, `${buf.length - end} bytes after the ${this.count} records`);
    }
    const out = this.out;
    out.reserve(n);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const [W, H] = this.sensorLimits();
    if (this.cols.length < 3 * n) this.cols = new Float64Array(Math.max(3 * n, 1024));
    const xs = this.cols.subarray(0, n);
    const ys = this.cols.subarray(n, 2 * n);
    const ps = this.cols.subarray(2 * n, 3 * n);
    const k0 = out.length;
    const ts = out.t.subarray(k0, k0 + n);
    readColumn(dv, pos, n, size, f.t!, ts);
    readColumn(dv, pos, n, size, f.x!, xs);
    if (f.y) readColumn(dv, pos, n, size, f.y, ys);
    else ys.fill(0);
    if (f.p) readColumn(dv, pos, n, size, f.p, ps);
    else ps.fill(0);
    const X = out.x;
    const Y = out.y;
    const P = out.p;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    for (let i = 0; i < n; i++) {
      const t = ts[i]!;
      const x = xs[i]!;
      const y = ys[i]!;
      const r = pos + i * size;
      if (!Number.isFinite(t)) this.fail(base + r + f.t!.offset, `timestamp ${t} is not a finite number`);
      if (!(x >= 0 && y >= 0 && x < 65536 && y < 65536) || x !== Math.floor(x) || y !== Math.floor(y)) {
        this.fail(base + r, `coordinates (x ${x}, y ${y}) are not integers in 0..65535`);
      }
      if (t < last) {
        this.lastT = last;
        this.timeWentBack(base + r, t);
      }
      if (x >= W || y >= H) this.outOfSensor(base + r, x, y);
      last = t;
      if (x > mx) mx = x;
      if (y > my) my = y;
      X[k0 + i] = x;
      Y[k0 + i] = y;
      P[k0 + i] = ps[i]! > 0 ? 1 : 0;
    }
    const k = k0 + n;
    this.lastT = last;
    this.maxX = mx;
    this.maxY = my;
    out.length = k;
    this.seen += n;
    return end;
  }
}

import type { EventBuilder } from "../builder.js";
import { ChunkDecoderBase } from "./base.js";
import { latin1, WordReader } from "./bytes.js";
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

/** An integer field of at most 32 bits inside one little-endian 32-bit word of the record: see WordLayout. */
interface WordField {
  word: number;
  l: number;
  r: number;
  m: number;
}

/** How to read `f` from 32-bit words of a record, or null when it does not fit (float, big-endian, straddles). */
function wordField(f: Field | undefined): WordField | null {
  if (f === undefined || f.kind === "f" || (!f.le && f.size > 1) || f.size > 4) return null;
  const sh = (f.offset & 3) * 8;
  const bits = f.size * 8;
  if (sh + bits > 32) return null;
  return {
    word: f.offset >> 2,
    l: 32 - sh - bits,
    r: 32 - bits,
    m: f.kind === "i" || bits === 32 ? -1 : 2 ** bits - 1,
  };
}

/**
 * Where decodeRecordWords finds each field in a record of 32-bit words: an integer field is
 * v = ((w[o + word] << l) >> r) & m (m = -1 for signed, 2^bits - 1 for unsigned, 0 for a missing field); t adds
 * (w[o + tHi], made unsigned with tHiFix) × tHiScale for 64-bit integers and reads its low part unsigned with tLoU.
 */
interface WordLayout {
  stride: number;
  t: WordField;
  tHi: number;
  tHiScale: number;
  tHiFix: number;
  tLoU: boolean;
  x: WordField;
  y: WordField;
  p: WordField;
}

const ABSENT: WordField = { word: 0, l: 0, r: 0, m: 0 };

function wordLayout(f: Partial<Record<"t" | "x" | "y" | "p", Field>>, itemsize: number): WordLayout | null {
  const ft = f.t!;
  const t64 = ft.kind !== "f" && ft.le && ft.size === 8 && ft.offset % 4 === 0;
  const t = t64 ? { word: ft.offset >> 2, l: 0, r: 0, m: -1 } : wordField(ft);
  const x = wordField(f.x);
  const y = f.y ? wordField(f.y) : ABSENT;
  const p = f.p ? wordField(f.p) : ABSENT;
  if (itemsize % 4 !== 0 || t === null || x === null || y === null || p === null) return null;
  return {
    stride: itemsize >> 2,
    t,
    tHi: t64 ? t.word + 1 : t.word,
    tHiScale: t64 ? 4294967296 : 0,
    tHiFix: t64 && ft.kind === "u" ? 4294967296 : 0,
    tLoU: t64 || (ft.kind === "u" && ft.size === 4),
    x,
    y,
    p,
  };
}

interface WordState {
  last: number;
  mx: number;
  my: number;
  unsorted: boolean;
  /** raw coordinates of the record decodeRecordWords stopped at */
  badX: number;
  badY: number;
}

/**
 * The hot loop over records [i, n) (kept a small standalone function so V8 optimises it well): writes each into
 * out at k0 + index. Returns the index of the first record outside the sensor (or, with strict, earlier in time
 * than the one before), having written only its t, or -1.
 */
function decodeRecordWords(
  w: Int32Array,
  i: number,
  n: number,
  L: WordLayout,
  out: EventBuilder,
  k0: number,
  W: number,
  H: number,
  strict: boolean,
  st: WordState,
): number {
  const T = out.t;
  const X = out.x;
  const Y = out.y;
  const P = out.p;
  const stride = L.stride;
  const { word: tw, l: tl, r: tr, m: tm } = L.t;
  const { tHi, tHiScale, tHiFix, tLoU } = L;
  const { word: xo, l: xl, r: xr, m: xm } = L.x;
  const { word: yo, l: yl, r: yr, m: ym } = L.y;
  const { word: po, l: pl, r: pr, m: pm } = L.p;
  let { last, mx, my } = st;
  for (let o = i * stride; i < n; i++, o += stride) {
    const v = ((w[o + tw]! << tl) >> tr) & tm;
    const hi = w[o + tHi]!;
    const t = (hi < 0 ? hi + tHiFix : hi) * tHiScale + (tLoU ? v >>> 0 : v);
    const x = ((w[o + xo]! << xl) >> xr) & xm;
    const y = ((w[o + yo]! << yl) >> yr) & ym;
    const p = ((w[o + po]! << pl) >> pr) & pm;
    if (!(x >= 0 && y >= 0 && x < W && y < H) || t < last) {
      if (!(x >= 0 && y >= 0 && x < W && y < H) || strict) {
        T[k0 + i] = t;
        st.badX = x;
        st.badY = y;
        st.last = last;
        st.mx = mx;
        st.my = my;
        return i;
      }
      st.unsorted = true;
    }
    last = t;
    if (x > mx) mx = x;
    if (y > my) my = y;
    T[k0 + i] = t;
    X[k0 + i] = x;
    Y[k0 + i] = y;
    P[k0 + i] = p > 0 ? 1 : 0;
  }
  st.last = last;
  st.mx = mx;
  st.my = my;
  return -1;
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
  private readonly reader = new WordReader();

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

  /**
   * The fast path for little-endian integer records whose fields each sit inside one 32-bit word (t may also be a
   * 4-aligned 64-bit integer): one pass over the records as words, no float scratch columns. Returns false (having
   * done nothing) for other layouts, which take the DataView path.
   */
  private parseWords(buf: Uint8Array, pos: number, n: number, base: number): boolean {
    const layout = wordLayout(this.fields!, this.itemsize);
    if (layout === null) return false;
    const w = this.reader.words(buf, pos, n * this.itemsize);
    const out = this.out;
    const [W, H] = this.sensorLimits();
    const st: WordState = { last: this.lastT, mx: this.maxX, my: this.maxY, unsorted: false, badX: 0, badY: 0 };
    const k0 = out.length;
    for (let i = 0; i < n; ) {
      const bad = decodeRecordWords(w, i, n, layout, out, k0, W, H, this.strictTime, st);
      if (bad < 0) break;
      // the record that broke a rule: report it like the DataView path (throws unless only time went back)
      const at = base + pos + bad * this.itemsize;
      const k = k0 + bad;
      this.maxX = st.mx;
      this.maxY = st.my;
      // an unsigned 32-bit coordinate of 2^31 or more reads negative in the kernel
      const ux = this.fields!.x!.kind === "u";
      const uy = this.fields!.y?.kind === "u";
      this.checkRecord(at, out.t[k]!, ux ? st.badX >>> 0 : st.badX, uy ? st.badY >>> 0 : st.badY, st.last);
      i = bad + 1;
    }
    if (st.unsorted) this.timeSorted = false;
    this.lastT = st.last;
    this.maxX = st.mx;
    this.maxY = st.my;
    out.length = k0 + n;
    this.seen += n;
    return true;
  }

  /** The rules one record breaks, in the order the DataView path checks them (throws, or notes unsorted time). */
  private checkRecord(at: number, t: number, x: number, y: number, last: number): void {
    if (!(x >= 0 && y >= 0 && x < 65536 && y < 65536)) {
      this.fail(at, `coordinates (x ${x}, y ${y}) are not integers in 0..65535`);
    }
    if (t < last) {
      this.lastT = last;
      this.timeWentBack(at, t);
    }
    const [W, H] = this.sensorLimits();
    if (x >= W || y >= H) this.outOfSensor(at, x, y);
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
    if (size % 4 === 0 && this.parseWords(buf, pos, n, base)) return end;
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

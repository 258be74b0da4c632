import type { EventBuilder } from "../builder.js";
import { ChunkDecoderBase } from "./base.js";
import { LOOP_SLICE, latin1 } from "./bytes.js";
import { type EventsWasm, eventsWasm, WASM_SLACK } from "./events-wasm.js";
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
 * An integer field of at most 32 bits read as the little-endian int32 at byte `at` of the record: its value is
 * v = ((w << l) >> r) & m (m = -1 for signed, 2^bits - 1 for unsigned, 0 for a missing field). Reading 4 bytes
 * wherever the field starts lets one loop serve every packed layout (Tonic's t<i8 x<i2 y<i2 p<u1 is 13 bytes).
 */
interface ByteField {
  at: number;
  l: number;
  r: number;
  m: number;
}

/** How to read `f` as a ByteField, or null when it cannot (float, big-endian, wider than 32 bits). */
function byteField(f: Field | undefined): ByteField | null {
  if (f === undefined || f.kind === "f" || (!f.le && f.size > 1) || f.size > 4) return null;
  const bits = f.size * 8;
  return { at: f.offset, l: 32 - bits, r: 32 - bits, m: f.kind === "i" || bits === 32 ? -1 : 2 ** bits - 1 };
}

/**
 * Where decodeRecords finds each field. t = (int32 at tHi >> tHiShift) · tHiScale + uint32 at tLo, which covers
 * the timestamp types real files use: i8 (hi word, shift 0, scale 2^32), i4 (its own sign: tHi = tLo, shift 31,
 * scale 2^32) and u4 (scale 0). `reach` is how many bytes from a record's start the 4-byte reads touch, which may
 * pass the record's end (the last records go through a padded copy).
 */
interface RecordLayout {
  size: number;
  reach: number;
  tLo: number;
  tHi: number;
  tHiShift: number;
  tHiScale: number;
  x: ByteField;
  y: ByteField;
  p: ByteField;
}

/** Bytes of records the wasm loop takes per slice: with their columns, they stay in the second-level cache. */
const WASM_SLICE_BYTES = 256 << 10;

const ABSENT: ByteField = { at: 0, l: 0, r: 0, m: 0 };

function recordLayout(f: Partial<Record<"t" | "x" | "y" | "p", Field>>, itemsize: number): RecordLayout | null {
  const ft = f.t!;
  // u8 (a high word of 2^31 or more would read negative) and narrower or float types take the column path
  const timeOk = ft.le && (ft.kind === "i" ? ft.size === 4 || ft.size === 8 : ft.kind === "u" && ft.size === 4);
  const x = byteField(f.x);
  const y = f.y ? byteField(f.y) : ABSENT;
  const p = f.p ? byteField(f.p) : ABSENT;
  if (!timeOk || x === null || y === null || p === null) return null;
  const tHi = ft.size === 8 ? ft.offset + 4 : ft.offset;
  return {
    size: itemsize,
    reach: Math.max(tHi, x.at, y.at, p.at) + 4,
    tLo: ft.offset,
    tHi,
    tHiShift: ft.size === 8 ? 0 : 31,
    tHiScale: ft.kind === "i" ? 4294967296 : 0,
    x,
    y,
    p,
  };
}

/**
 * decodeRecords' running state, in a typed array: named-property stores after the loop, never run before V8
 * optimises the loop, made it deoptimise on every call. LAST, MAX_X, MAX_Y carry over; BAD_* hold the record the
 * loop stopped at, as read.
 */
const LAST = 0;
const MAX_X = 1;
const MAX_Y = 2;
const BAD_T = 3;
const BAD_X = 4;
const BAD_Y = 5;
const BAD_P = 6;

/**
 * The hot loop over records [i, n) whose first record starts at byte `start` of dv (kept a small standalone
 * function so V8 optimises it well): writes record i into out at k0 + i. Returns the index of the first record
 * outside the sensor or earlier in time than the one before, having written nothing of it (its fields are in st),
 * or -1. One test per record and no flags in the loop: a branch for "time went back but that is allowed" in here
 * cost a third of the speed, so the caller handles every exception.
 */
function decodeRecords(
  dv: DataView,
  start: number,
  i: number,
  n: number,
  L: RecordLayout,
  out: EventBuilder,
  k0: number,
  W: number,
  H: number,
  st: Float64Array,
): number {
  const T = out.t;
  const X = out.x;
  const Y = out.y;
  const P = out.p;
  const size = L.size;
  const { tLo, tHi, tHiShift, tHiScale } = L;
  const { at: xa, l: xl, r: xr, m: xm } = L.x;
  const { at: ya, l: yl, r: yr, m: ym } = L.y;
  const { at: pa, l: pl, r: pr, m: pm } = L.p;
  let last = st[LAST]!;
  let mx = st[MAX_X]!;
  let my = st[MAX_Y]!;
  for (let o = start + i * size; i < n; i++, o += size) {
    const t = (dv.getInt32(o + tHi, true) >> tHiShift) * tHiScale + dv.getUint32(o + tLo, true);
    const x = ((dv.getInt32(o + xa, true) << xl) >> xr) & xm;
    const y = ((dv.getInt32(o + ya, true) << yl) >> yr) & ym;
    const p = ((dv.getInt32(o + pa, true) << pl) >> pr) & pm;
    if (!(x >= 0 && y >= 0 && x < W && y < H) || t < last) {
      st[BAD_T] = t;
      st[BAD_X] = x;
      st[BAD_Y] = y;
      st[BAD_P] = p;
      st[LAST] = last;
      st[MAX_X] = mx;
      st[MAX_Y] = my;
      return i;
    }
    last = t;
    if (x > mx) mx = x;
    if (y > my) my = y;
    T[k0 + i] = t;
    X[k0 + i] = x;
    Y[k0 + i] = y;
    P[k0 + i] = p > 0 ? 1 : 0;
  }
  st[LAST] = last;
  st[MAX_X] = mx;
  st[MAX_Y] = my;
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
  private readonly wasm: EventsWasm | null = eventsWasm();
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

  /**
   * The fast path for integer records (little-endian, or single bytes; t may be a 64-bit integer): one pass over
   * the records through a DataView, no scratch columns. Records whose 4-byte reads would pass the end of buf are
   * decoded from a zero-padded copy. Returns false (having done nothing) for other layouts, which take the column
   * path.
   */
  private parseRecords(buf: Uint8Array, pos: number, n: number, base: number): boolean {
    const layout = recordLayout(this.fields!, this.itemsize);
    if (layout === null) return false;
    if (this.wasm !== null) this.parseRecordsWasm(this.wasm, buf, pos, n, base, layout);
    else this.parseRecordsJs(buf, pos, n, base, layout);
    this.seen += n;
    return true;
  }

  private parseRecordsJs(buf: Uint8Array, pos: number, n: number, base: number, layout: RecordLayout): void {
    const size = layout.size;
    const inPlace = Math.max(0, Math.min(n, Math.floor((buf.length - pos - layout.reach) / size) + 1));
    const out = this.out;
    const k0 = out.length;
    const st = Float64Array.of(this.lastT, this.maxX, this.maxY, 0, 0, 0, 0);
    const [W, H] = this.sensorLimits();
    const span = (dv: DataView, start: number, m: number, k: number, fileAt: number) =>
      this.decodeSpan(
        m,
        fileAt,
        size,
        st,
        (i, to) => decodeRecords(dv, start, i, to, layout, out, k, W, H, st),
        (i, t, x, y, p) => {
          out.t[k + i] = t;
          out.x[k + i] = x;
          out.y[k + i] = y;
          out.p[k + i] = p;
        },
      );
    span(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), pos, inPlace, k0, base + pos);
    if (inPlace < n) {
      const tail = new Uint8Array((n - inPlace) * size + 4);
      tail.set(buf.subarray(pos + inPlace * size, pos + n * size));
      span(new DataView(tail.buffer), 0, n - inPlace, k0 + inPlace, base + pos + inPlace * size);
    }
    this.lastT = st[LAST]!;
    this.maxX = st[MAX_X]!;
    this.maxY = st[MAX_Y]!;
    out.length = k0 + n;
  }

  /**
   * The records through the wasm loop, a slice at a time, then copied into the output. Slices small enough for
   * the second-level cache (records in, columns out) keep the copy in, the loop and the copy out from going to
   * main memory three times.
   */
  private parseRecordsWasm(
    wasm: EventsWasm,
    buf: Uint8Array,
    pos: number,
    n: number,
    base: number,
    L: RecordLayout,
  ): void {
    const size = L.size;
    const per = Math.max(1, Math.floor(WASM_SLICE_BYTES / size));
    const src = wasm.heap;
    const { T, X, Y, P } = wasm.columns(src + per * size + WASM_SLACK, per);
    const si = wasm.stateIndex;
    const st = wasm.f64.subarray(si, si + 7);
    st.set([this.lastT, this.maxX, this.maxY]);
    const [W, H] = this.sensorLimits();
    const { x, y, p } = L;
    // the wasm loop reads t as an int64 (8-byte time) or the low half of one (4-byte time: int32, or uint32)
    const tShift = L.tHi === L.tLo ? 32 : 0;
    const tUnsigned = L.tHiScale === 0 ? 1 : 0;
    const fn = wasm.fn;
    // Tonic's layout and the like (int64 t, 16-bit x and y of one signedness, one-byte p): the specialised loop
    const is16 = (f: ByteField) => f.l === 16 && f.m !== 0;
    const signed = (f: ByteField) => (f.m === -1 ? 1 : 0);
    const special =
      tShift === 0 && tUnsigned === 0 && is16(x) && is16(y) && signed(x) === signed(y) && p.l === 24 && p.m !== 0;
    const kernel = special
      ? (i: number, to: number) =>
          fn.npyRecords16(src, i, to, size, L.tLo, x.at, y.at, p.at, signed(x), signed(p), T, X, Y, P, W, H, wasm.state)
      : (i: number, to: number) =>
          fn.npyRecords(
            src,
            i,
            to,
            size,
            L.tLo,
            tShift,
            tUnsigned,
            x.at,
            x.l,
            x.r,
            x.m,
            y.at,
            y.l,
            y.r,
            y.m,
            p.at,
            p.l,
            p.r,
            p.m,
            T,
            X,
            Y,
            P,
            W,
            H,
            wasm.state,
          );
    const put = (i: number, t: number, ex: number, ey: number, ep: number) => {
      wasm.f64[(T >> 3) + i] = t;
      wasm.u16[(X >> 1) + i] = ex;
      wasm.u16[(Y >> 1) + i] = ey;
      wasm.u8[P + i] = ep;
    };
    for (let s0 = 0; s0 < n; s0 += per) {
      const m = Math.min(per, n - s0);
      const from = pos + s0 * size;
      // the reads past the last record's end (up to 8 bytes, WASM_SLACK) see the next slice or stale bytes,
      // which only fill bits the loop shifts out
      wasm.u8.set(buf.subarray(from, from + m * size), src);
      this.decodeSpan(m, base + from, size, st, kernel, put);
      wasm.copyOut(this.out, T, X, Y, P, m);
    }
    this.lastT = st[LAST]!;
    this.maxX = st[MAX_X]!;
    this.maxY = st[MAX_Y]!;
  }

  /**
   * Records [0, n) (file offset `fileAt` of record 0) through `kernel` (decodeRecords or its wasm twin: returns
   * the first bad record or -1) in slices; a bad record is reported like the column path, or, when only its time
   * went back and the options allow that, kept through `put`.
   */
  private decodeSpan(
    n: number,
    fileAt: number,
    size: number,
    st: Float64Array,
    kernel: (i: number, to: number) => number,
    put: (i: number, t: number, x: number, y: number, p: number) => void,
  ): void {
    for (let i = 0; i < n; ) {
      const to = Math.min(n, i + LOOP_SLICE);
      const bad = kernel(i, to);
      if (bad < 0) {
        i = to;
        continue;
      }
      // the record that broke a rule: report it like the column path (throws unless only time went back)
      this.maxX = st[MAX_X]!;
      this.maxY = st[MAX_Y]!;
      // an unsigned 32-bit coordinate of 2^31 or more reads negative in the kernel
      const ux = this.fields!.x!.kind === "u";
      const uy = this.fields!.y?.kind === "u";
      const [t, x, y] = [st[BAD_T]!, st[BAD_X]!, st[BAD_Y]!];
      this.checkRecord(fileAt + bad * size, t, ux ? x >>> 0 : x, uy ? y >>> 0 : y, st[LAST]!);
      // time went back, which the options allow (checkRecord noted it): keep the record
      put(bad, t, x, y, st[BAD_P]! > 0 ? 1 : 0);
      st[LAST] = t;
      st[MAX_X] = Math.max(st[MAX_X]!, x);
      st[MAX_Y] = Math.max(st[MAX_Y]!, y);
      i = bad + 1;
    }
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
    if (this.parseRecords(buf, pos, n, base)) return end;
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

import { EventFormatError } from "../errors.js";
import type { SensorSize } from "../stream.js";
import { ChunkDecoderBase } from "./base.js";
import type { DecoderOptions } from "./types.js";
import { i32le, latin1, u16le, u32le, WordReader } from "./bytes.js";
import {
  lz4DecompressFrame,
  lz4DecompressPairWasm,
  lz4FrameBound,
  type WasmFrame,
  zstdDecompressFrame,
} from "./codecs.js";
import { align16, type EventsWasm, eventsWasm, WASM_SLACK } from "./events-wasm.js";

const MAGIC = "#!AER-DAT4.0\r\n";
const MAX_IOHEADER_BYTES = 16 << 20;
const MAX_PACKET_BYTES = 256 << 20;
/** Decompressed bytes (as bounded before decoding) the wasm path gathers before it decodes them (bounds its memory). */
const WASM_BATCH_BYTES = 32 << 20;
export const AEDAT4_COMPRESSION = ["none", "lz4", "lz4-high", "zstd", "zstd-high"] as const;

/** One output stream described in the ioheader XML. */
export interface Aedat4StreamInfo {
  id: number;
  type: string;
  sizeX?: number;
  sizeY?: number;
  source?: string;
}

/** A packet the wasm path holds until flushEvents(): decompressed there, together with the next one. */
interface PendingPacket {
  /** file offset of its header */
  at: number;
  stream: number;
  /** the payload as stored, or already decompressed (zstd, which runs in JS) */
  data: Uint8Array;
  /** bytes it decompresses to at most */
  bound: number;
}

/** Bounds-checked reads inside one FlatBuffer; errors say which packet (by file offset) is broken. */
class FlatReader {
  constructor(
    readonly b: Uint8Array,
    readonly fail: (detail: string) => never,
  ) {}
  need(o: number, n: number): void {
    if (o < 0 || o + n > this.b.length)
      this.fail(`FlatBuffer read of ${n} bytes at ${o} is outside its ${this.b.length} bytes`);
  }
  u16(o: number): number {
    this.need(o, 2);
    return u16le(this.b, o);
  }
  i32(o: number): number {
    this.need(o, 4);
    return i32le(this.b, o);
  }
  u32(o: number): number {
    this.need(o, 4);
    return u32le(this.b, o);
  }
  /** Absolute position of field `index` of the table at `table`, or 0 when absent. */
  field(table: number, index: number): number {
    const vt = table - this.i32(table);
    const vtSize = this.u16(vt);
    const slot = 4 + 2 * index;
    if (slot + 2 > vtSize) return 0;
    const off = this.u16(vt + slot);
    return off === 0 ? 0 : table + off;
  }
}

const ATTR = /<attr key="(\w+)" type="\w+">([^<]*)<\/attr>/g;

/** Parses the ioheader XML's outInfo streams. */
export function parseAedat4Streams(xml: string): Aedat4StreamInfo[] {
  const out: Aedat4StreamInfo[] = [];
  const re = /<node name="(\d+)" path="[^"]*outInfo\/\d+\/">/g;
  const starts: [number, number][] = [];
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) starts.push([m.index, Number(m[1])]);
  starts.forEach(([at, id], i) => {
    const seg = xml.slice(at, starts[i + 1]?.[0] ?? xml.length);
    // each key's first value in the segment, in one pass
    const attrs = new Map<string, string>();
    for (const m of seg.matchAll(ATTR)) if (!attrs.has(m[1]!)) attrs.set(m[1]!, m[2]!);
    const attr = (k: string) => attrs.get(k);
    const sx = attr("sizeX");
    const sy = attr("sizeY");
    out.push({
      id,
      type: attr("typeIdentifier") ?? "",
      ...(sx !== undefined ? { sizeX: Number(sx) } : {}),
      ...(sy !== undefined ? { sizeY: Number(sy) } : {}),
      ...(attr("source") !== undefined ? { source: attr("source") } : {}),
    });
  });
  return out;
}

/**
 * AEDAT 4.0 (DV): magic, uint32 ioheader length, ioheader FlatBuffer ("IOHE": compression, file_data_position,
 * XML description), then packets (int32 stream id, uint32 byte length, payload compressed as a whole LZ4 or zstd
 * frame) up to file_data_position. Event packets are size-prefixed "EVTS" FlatBuffers of 16-byte structs
 * (int64 t, int16 x, int16 y, uint8 on). Other streams (IMU, frames, triggers) are skipped.
 */
export class Aedat4Decoder extends ChunkDecoderBase {
  readonly format = "aedat4" as const;
  private stage: "magic" | "ioheader" | "packets" | "table" = "magic";
  private ioLen = 0;
  private compression = 0;
  private dataPosition = -1;
  private streams: Aedat4StreamInfo[] = [];
  private eventStreams = new Set<number>();
  private packets = 0;
  private eventPackets = 0;
  /** output buffer for decompressed packets, reused (grown) across packets */
  private scratch = new Uint8Array(0);
  private readonly scratchOf = (bytes: number): Uint8Array => {
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(Math.max(bytes, this.scratch.length * 2));
    return this.scratch;
  };
  private readonly reader = new WordReader();
  /** the wasm path: packets of event streams waiting for flushEvents(), and the sum of their bounds */
  private wasm: EventsWasm | null = null;
  private pending: PendingPacket[] = [];
  private pendingBytes = 0;

  constructor(opts: DecoderOptions = {}) {
    super(opts);
    this.wasm = eventsWasm();
  }

  streamInfo(): Aedat4StreamInfo[] {
    return this.streams;
  }

  private parseIoHeader(b: Uint8Array, at: number): void {
    const r = new FlatReader(b, (d) => this.fail(at, `ioheader: ${d}`));
    const root = r.u32(0);
    r.need(4, 4);
    if (latin1(b, 4, 8) !== "IOHE") this.fail(at + 4, `ioheader identifier is "${latin1(b, 4, 8)}"; expected "IOHE"`);
    const fc = r.field(root, 0);
    this.compression = fc === 0 ? 0 : r.i32(fc);
    if (this.compression < 0 || this.compression > 4) this.fail(at, `unknown compression code ${this.compression}`);
    const fp = r.field(root, 1);
    if (fp !== 0) {
      r.need(fp, 8);
      this.dataPosition = u32le(b, fp) + i32le(b, fp + 4) * 4294967296;
      // the packets start right after the ioheader: a table position before that would hide every packet
      if (this.dataPosition >= 0 && this.dataPosition < at + b.length) {
        this.fail(at, `file_data_position ${this.dataPosition} lies before the first packet at byte ${at + b.length}`);
      }
    }
    const fd = r.field(root, 2);
    let xml = "";
    if (fd !== 0) {
      const s = fd + r.u32(fd);
      const len = r.u32(s);
      r.need(s + 4, len);
      xml = latin1(b, s + 4, s + 4 + len);
    }
    this.streams = parseAedat4Streams(xml);
    for (const s of this.streams) if (s.type === "EVTS") this.eventStreams.add(s.id);
    const evs = this.streams.find((s) => s.type === "EVTS" && s.sizeX !== undefined && s.sizeY !== undefined);
    const okSize = (v: number) => Number.isInteger(v) && v > 0 && v <= 65536;
    if (evs && (!okSize(evs.sizeX!) || !okSize(evs.sizeY!))) {
      this.fail(at, `ioheader gives an impossible event sensor size ${evs.sizeX}×${evs.sizeY}`);
    }
    if (evs) this.headerSensor = { width: evs.sizeX!, height: evs.sizeY!, polarities: 2 } satisfies SensorSize;
    this.info.compression = AEDAT4_COMPRESSION[this.compression];
    this.info.fileDataPosition = this.dataPosition;
    this.info.ioHeaderBytes = b.length;
    this.info.streams = this.streams;
  }

  private decompress(payload: Uint8Array, at: number): Uint8Array {
    return this.decompressing(at, () => {
      if (this.compression === 0) return payload;
      if (this.compression <= 2) return lz4DecompressFrame(payload, this.scratchOf);
      return zstdDecompressFrame(payload);
    });
  }

  /** Runs a decompression; a codec's Error becomes an EventFormatError naming the packet's offset. */
  private decompressing<T>(at: number, run: () => T): T {
    try {
      return run();
    } catch (e) {
      if (e instanceof EventFormatError) throw e;
      return this.cannotDecompress(at, e as Error);
    }
  }

  private cannotDecompress(at: number, e: Error): never {
    return this.fail(at, `cannot decompress packet (${AEDAT4_COMPRESSION[this.compression]}): ${e.message}`);
  }

  /** Where the event structs of an "EVTS" packet start in buf, and how many there are (null: no events field). */
  private eventVector(buf: Uint8Array, at: number): [number, number] | null {
    const r = new FlatReader(buf, (d) => this.fail(at, `event packet: ${d}`));
    r.need(0, 12);
    const id = latin1(buf, 8, 12);
    if (id !== "EVTS") this.fail(at, `event packet identifier is "${id}"; expected "EVTS"`);
    const root = 4 + r.u32(4);
    const f = r.field(root, 0);
    if (f === 0) return null;
    const vec = f + r.u32(f);
    const n = r.u32(vec);
    r.need(vec + 4, n * 16);
    return [vec + 4, n];
  }

  /** The JS path: decodes the events of one decompressed packet. */
  private decodeEventPacket(buf: Uint8Array, at: number): void {
    const v = this.eventVector(buf, at);
    if (v === null) return;
    const [start, n] = v;
    const out = this.out;
    out.reserve(n);
    const [W, H] = this.sensorLimits();
    const T = out.t;
    const X = out.x;
    const Y = out.y;
    const P = out.p;
    const k0 = out.length;
    let k = k0;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    // the 16-byte structs as 4 little-endian words: t low, t high, y << 16 | x, polarity byte
    const w = this.reader.words(buf, start, 16 * n);
    for (let q = 0, end = 4 * n; q < end; q += 4) {
      const t = w[q + 1]! * 4294967296 + (w[q]! >>> 0);
      const xy = w[q + 2]!;
      const x = (xy << 16) >> 16;
      const y = xy >> 16;
      if (t < last || x < 0 || y < 0 || x >= W || y >= H) {
        if (t < last) {
          this.lastT = last;
          this.timeWentBack(at, t);
        }
        if (x < 0 || y < 0) this.fail(at, `event ${k - k0} of the packet has negative coordinates (${x}, ${y})`);
        if (x >= W || y >= H) this.outOfSensor(at, x, y);
      }
      last = t;
      if (x > mx) mx = x;
      if (y > my) my = y;
      T[k] = t;
      X[k] = x;
      Y[k] = y;
      // branch-free 0/1 (polarity is a coin flip for the branch predictor)
      P[k] = ((w[q + 3]! & 0xff) + 255) >> 8;
      k++;
    }
    this.maxX = mx;
    this.maxY = my;
    out.length = k;
    this.lastT = last;
  }

  /** The wasm path: notes a packet (its frame checked and sized now, in file order) for flushEvents(). */
  private gatherEventPacket(payload: Uint8Array, stream: number, at: number): void {
    const c = this.compression;
    const data = c === 3 || c === 4 ? this.decompressing(at, () => zstdDecompressFrame(payload)) : payload;
    const bound = c === 1 || c === 2 ? this.decompressing(at, () => lz4FrameBound(payload)) : data.length;
    this.pending.push({ at, stream, data, bound });
    this.pendingBytes += bound;
    if (this.pendingBytes > WASM_BATCH_BYTES) this.flushEvents();
  }

  /**
   * The wasm path: decompresses the pending packets two at a time into wasm memory and decodes the events of each
   * pair while it is in cache, into columns sized for all of them, then copies the columns out once. Errors come
   * in file order, as in the JS path.
   */
  private flushEvents(): void {
    const wasm = this.wasm;
    const pending = this.pending;
    if (wasm === null || pending.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    let cap = 0;
    for (const pk of pending) cap += Math.floor(pk.bound / 16);
    const { T, X, Y, P, end: scratch } = wasm.columns(wasm.heap, cap);
    const si = wasm.stateIndex;
    wasm.f64[si] = this.lastT;
    wasm.f64[si + 1] = this.maxX;
    wasm.f64[si + 2] = this.maxY;
    let k = 0;
    for (let j = 0; j < pending.length; j += 2) {
      const a = pending[j]!;
      const b = pending[j + 1];
      for (const [pk, frame] of this.decompressPair(wasm, a, b, scratch)) {
        if (frame instanceof Error) this.cannotDecompress(pk.at, frame);
        k = this.decodePacketEvents(wasm, pk, frame.at, frame.n, T, X, Y, P, k);
      }
    }
    this.lastT = wasm.f64[si]!;
    this.maxX = wasm.f64[si + 1]!;
    this.maxY = wasm.f64[si + 2]!;
    wasm.copyOut(this.out, T, X, Y, P, k);
  }

  /** Decompresses one or two pending packets into wasm memory from byte `dst` on. */
  private decompressPair(
    wasm: EventsWasm,
    a: PendingPacket,
    b: PendingPacket | undefined,
    dst: number,
  ): [PendingPacket, WasmFrame][] {
    if (this.compression === 1 || this.compression === 2) {
      const frames = lz4DecompressPairWasm(a.data, b?.data ?? null, wasm, dst);
      return frames.map((f, i) => [i === 0 ? a : b!, f]);
    }
    // stored or zstd-decompressed already: copied in as they are
    const dstB = align16(dst + a.data.length + WASM_SLACK);
    wasm.ensure(dstB + (b?.data.length ?? 0) + WASM_SLACK);
    wasm.u8.set(a.data, dst);
    if (b === undefined) return [[a, { at: dst, n: a.data.length }]];
    wasm.u8.set(b.data, dstB);
    return [
      [a, { at: dst, n: a.data.length }],
      [b, { at: dstB, n: b.data.length }],
    ];
  }

  /**
   * Decodes the events of a decompressed packet at [ptr, ptr + n) of wasm memory into the columns from event k on
   * (other packets are skipped); returns the events written so far.
   */
  private decodePacketEvents(
    wasm: EventsWasm,
    pk: PendingPacket,
    ptr: number,
    n: number,
    T: number,
    X: number,
    Y: number,
    P: number,
    k: number,
  ): number {
    const data = wasm.u8.subarray(ptr, ptr + n);
    if (!this.eventStreams.has(pk.stream) && !(n >= 12 && latin1(data, 8, 12) === "EVTS")) return k;
    this.eventPackets++;
    const v = this.eventVector(data, pk.at);
    if (v === null) return k;
    const src = ptr + v[0];
    const count = v[1];
    const [W, H] = this.sensorLimits();
    for (let i = 0; i < count; ) {
      const bad = wasm.fn.aedat4Events(src, i, count, T + 8 * k, X + 2 * k, Y + 2 * k, P + k, W, H, wasm.state);
      if (bad < 0) break;
      const e = k + bad;
      this.acceptOddEvent(wasm, src + 16 * bad, bad, pk.at, T + 8 * e, X + 2 * e, Y + 2 * e, P + e);
      i = bad + 1;
    }
    return k + count;
  }

  /**
   * An event the wasm loop stopped at (struct at byte `o`, event `index` of the packet at file offset `at`): the
   * same errors as the JS loop, or, when only its time went back and the options allow that, written at t/x/y/p.
   */
  private acceptOddEvent(
    wasm: EventsWasm,
    o: number,
    index: number,
    at: number,
    t: number,
    x: number,
    y: number,
    p: number,
  ): void {
    const b = wasm.u8;
    const time = i32le(b, o + 4) * 4294967296 + u32le(b, o);
    const ex = (u16le(b, o + 8) << 16) >> 16;
    const ey = (u16le(b, o + 10) << 16) >> 16;
    const si = wasm.stateIndex;
    const last = wasm.f64[si]!;
    const [W, H] = this.sensorLimits();
    if (time < last) {
      this.lastT = last;
      this.timeWentBack(at, time);
    }
    if (ex < 0 || ey < 0) this.fail(at, `event ${index} of the packet has negative coordinates (${ex}, ${ey})`);
    if (ex >= W || ey >= H) this.outOfSensor(at, ex, ey);
    wasm.f64[t >> 3] = time;
    wasm.u16[x >> 1] = ex;
    wasm.u16[y >> 1] = ey;
    b[p] = b[o + 12] !== 0 ? 1 : 0;
    wasm.f64[si] = time;
    wasm.f64[si + 1] = Math.max(wasm.f64[si + 1]!, ex);
    wasm.f64[si + 2] = Math.max(wasm.f64[si + 2]!, ey);
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    const need = (n: number, what: string): boolean => {
      if (buf.length - pos >= n) return true;
      if (final) this.truncated(base + buf.length, what);
      return false;
    };
    if (this.stage === "magic") {
      if (!need(MAGIC.length + 4, "the AEDAT 4 magic and ioheader length")) return 0;
      if (latin1(buf, 0, MAGIC.length) !== MAGIC) this.fail(base, `expected "#!AER-DAT4.0\\r\\n" at the start`);
      this.ioLen = u32le(buf, MAGIC.length);
      if (this.ioLen < 12 || this.ioLen > MAX_IOHEADER_BYTES)
        this.fail(base + MAGIC.length, `ioheader length ${this.ioLen} is impossible`);
      pos = MAGIC.length + 4;
      this.stage = "ioheader";
    }
    if (this.stage === "ioheader") {
      if (!need(this.ioLen, `the ${this.ioLen}-byte ioheader`)) return pos;
      this.parseIoHeader(buf.subarray(pos, pos + this.ioLen), base + pos);
      pos += this.ioLen;
      this.stage = "packets";
    }
    // the wasm path decodes gathered events after the loop; an error in a later packet must not hide theirs
    try {
      while (this.stage === "packets") {
        if (this.dataPosition >= 0 && base + pos >= this.dataPosition) {
          this.stage = "table";
          break;
        }
        if (buf.length - pos === 0) break;
        if (!need(8, "an 8-byte packet header")) break;
        const stream = i32le(buf, pos);
        const len = u32le(buf, pos + 4);
        const at = base + pos;
        if (len > MAX_PACKET_BYTES) this.fail(at + 4, `packet length ${len} is impossible`);
        if (this.dataPosition >= 0 && at + 8 + len > this.dataPosition) {
          this.fail(at + 4, `packet of ${len} bytes runs past file_data_position ${this.dataPosition}`);
        }
        if (!need(8 + len, `a packet (expected ${len} bytes after byte ${at + 8})`)) break;
        this.packets++;
        if (this.wasm !== null && (this.eventStreams.has(stream) || this.eventStreams.size === 0)) {
          this.gatherEventPacket(buf.subarray(pos + 8, pos + 8 + len), stream, at);
        } else if (this.eventStreams.has(stream) || this.eventStreams.size === 0) {
          const data = this.decompress(buf.subarray(pos + 8, pos + 8 + len), at);
          if (this.eventStreams.has(stream) || (data.length >= 12 && latin1(data, 8, 12) === "EVTS")) {
            this.eventPackets++;
            this.decodeEventPacket(data, at);
          }
        }
        pos += 8 + len;
      }
    } catch (e) {
      this.flushEvents();
      throw e;
    }
    this.flushEvents();
    this.info.packets = this.packets;
    this.info.eventPackets = this.eventPackets;
    if (this.stage === "table") return buf.length; // the file data table: not needed for decoding
    return pos;
  }
}

import { EventFormatError } from "../errors.js";
import type { SensorSize } from "../stream.js";
import { ChunkDecoderBase } from "./base.js";
import type { DecoderOptions } from "./types.js";
import { i32le, latin1, u16le, u32le, WordReader } from "./bytes.js";
import { lz4DecompressFrame, lz4DecompressFrameWasm, zstdDecompressFrame } from "./codecs.js";
import { align16, type EventsWasm, eventsWasm } from "./events-wasm.js";

const MAGIC = "#!AER-DAT4.0\r\n";
const MAX_IOHEADER_BYTES = 16 << 20;
const MAX_PACKET_BYTES = 256 << 20;
/** Decompressed bytes the wasm path gathers before it decodes their events in one go (bounds its memory). */
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

/** Parses the ioheader XML's outInfo streams. */
export function parseAedat4Streams(xml: string): Aedat4StreamInfo[] {
  const out: Aedat4StreamInfo[] = [];
  const re = /<node name="(\d+)" path="[^"]*outInfo\/\d+\/">/g;
  const starts: [number, number][] = [];
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) starts.push([m.index, Number(m[1])]);
  starts.forEach(([at, id], i) => {
    const seg = xml.slice(at, starts[i + 1]?.[0] ?? xml.length);
    const attr = (k: string) => new RegExp(`<attr key="${k}" type="\\w+">([^<]*)</attr>`).exec(seg)?.[1];
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
  /** the wasm path: event packets decompressed into wasm memory, waiting for flushEvents() */
  private wasm: EventsWasm | null = null;
  private batch: { at: number; ptr: number; n: number }[] = [];
  private batchEnd = 0;

  constructor(opts: DecoderOptions = {}) {
    super(opts);
    this.wasm = eventsWasm();
    this.batchEnd = this.wasm?.heap ?? 0;
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
      return this.fail(
        at,
        `cannot decompress packet (${AEDAT4_COMPRESSION[this.compression]}): ${(e as Error).message}`,
      );
    }
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

  /** The wasm path: decompresses one packet into wasm memory after the batch so far and notes its events. */
  private gatherEventPacket(payload: Uint8Array, stream: number, at: number): void {
    const wasm = this.wasm!;
    const dst = this.batchEnd;
    const n = this.decompressing(at, () => {
      if (this.compression === 1 || this.compression === 2) return lz4DecompressFrameWasm(payload, wasm, dst);
      const data = this.compression === 0 ? payload : zstdDecompressFrame(payload);
      wasm.ensure(dst + data.length);
      wasm.u8.set(data, dst);
      return data.length;
    });
    const data = wasm.u8.subarray(dst, dst + n);
    if (!this.eventStreams.has(stream) && !(data.length >= 12 && latin1(data, 8, 12) === "EVTS")) return;
    this.eventPackets++;
    const v = this.eventVector(data, at);
    if (v !== null && v[1] > 0) this.batch.push({ at, ptr: dst + v[0], n: v[1] });
    this.batchEnd = align16(dst + n);
    if (this.batchEnd - wasm.heap > WASM_BATCH_BYTES) this.flushEvents();
  }

  /** The wasm path: decodes the events of the gathered packets into the output, in one go. */
  private flushEvents(): void {
    const wasm = this.wasm;
    const batch = this.batch;
    if (wasm === null || batch.length === 0) return;
    this.batch = [];
    this.batchEnd = wasm.heap;
    let total = 0;
    for (const pk of batch) total += pk.n;
    const T = align16(batch[batch.length - 1]!.ptr + 16 * batch[batch.length - 1]!.n);
    const X = align16(T + 8 * total);
    const Y = align16(X + 2 * total);
    const P = align16(Y + 2 * total);
    wasm.ensure(P + total);
    const [W, H] = this.sensorLimits();
    const si = wasm.stateIndex;
    wasm.f64[si] = this.lastT;
    wasm.f64[si + 1] = this.maxX;
    wasm.f64[si + 2] = this.maxY;
    let k = 0;
    for (const { at, ptr, n } of batch) {
      for (let i = 0; i < n; ) {
        const bad = wasm.fn.aedat4Events(ptr, i, n, T + 8 * k, X + 2 * k, Y + 2 * k, P + k, W, H, wasm.state);
        if (bad < 0) break;
        this.acceptOddEvent(
          wasm,
          ptr + 16 * bad,
          bad,
          at,
          T + 8 * (k + bad),
          X + 2 * (k + bad),
          Y + 2 * (k + bad),
          P + k + bad,
        );
        i = bad + 1;
      }
      k += n;
    }
    this.lastT = wasm.f64[si]!;
    this.maxX = wasm.f64[si + 1]!;
    this.maxY = wasm.f64[si + 2]!;
    wasm.copyOut(this.out, T, X, Y, P, total);
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

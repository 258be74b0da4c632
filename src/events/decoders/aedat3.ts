import { sensorFromChipName } from "../sensors.js";
import type { EventBuilder } from "../builder.js";
import { ChunkDecoderBase } from "./base.js";
import { asciiBytes, i16le, i32le, indexOfBytes, latin1, WordReader } from "./bytes.js";
import { type EventsWasm, eventsWasm, WASM_SLACK } from "./events-wasm.js";

const END_HEADER = asciiBytes("#!END-HEADER\r\n");
const MAX_HEADER_BYTES = 1 << 20;
/** Largest packet payload accepted (capacity × size); anything bigger is a corrupt header. */
const MAX_PACKET_BYTES = 1 << 30;
export const AEDAT3_PACKET_HEADER_BYTES = 28;
export const AEDAT3_POLARITY_EVENT = 1;
/** Events the wasm loop gathers in its columns before they are copied out: 256 KiB in and the columns stay cached. */
const WASM_BATCH_EVENTS = 1 << 15;

/** Where the wasm path keeps a parse call's events until they are copied out. */
interface WasmBatch {
  wasm: EventsWasm;
  /** byte address of the staged packet words */
  src: number;
  T: number;
  X: number;
  Y: number;
  P: number;
}

/**
 * AEDAT 3.1 (DVS128 Gesture): ASCII header up to `#!END-HEADER\r\n`, then packets of a 28-byte header
 * (eventType, eventSource, eventSize, eventTSOffset, eventTSOverflow, eventCapacity, eventNumber, eventValid) and
 * capacity × size bytes. Only polarity packets (type 1, 8-byte events) are decoded; events whose valid bit is
 * clear are dropped; t = tsOverflow · 2^31 + timestamp.
 */
export class Aedat3Decoder extends ChunkDecoderBase {
  readonly format = "aedat3" as const;
  private headerDone = false;
  private packets = 0;
  private polarityPackets = 0;
  private invalidDropped = 0;

  private readonly reader = new WordReader();
  private readonly wasm: EventsWasm | null = eventsWasm();

  private parseHeader(buf: Uint8Array, base: number, final: boolean): number {
    const end = indexOfBytes(buf, END_HEADER);
    // the same limit whether the header arrives whole or in chunks: the result must not depend on chunk size
    if (end > MAX_HEADER_BYTES) this.fail(base, "no #!END-HEADER line within the first 1 MiB");
    if (end < 0) {
      if (buf.length > MAX_HEADER_BYTES) this.fail(base, "no #!END-HEADER line within the first 1 MiB");
      if (final) this.truncated(base + buf.length, "the header (expected a #!END-HEADER line)");
      return 0;
    }
    const text = latin1(buf, 0, end);
    if (!text.startsWith("#!AER-DAT3"))
      this.fail(base, `expected "#!AER-DAT3.1" at the start, found "${text.slice(0, 14)}"`);
    const lines = text.split("\r\n").filter((l) => l.length > 0);
    this.info.version = lines[0]!.slice(9);
    this.info.headerLines = lines;
    for (const l of lines) {
      const m = /^#Source\s+(\d+):\s*(.*)$/.exec(l);
      if (m) {
        this.info.source = m[2]!.trim();
        this.headerSensor ??= sensorFromChipName(m[2]!);
      }
    }
    this.headerDone = true;
    return end + END_HEADER.length;
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (!this.headerDone) {
      pos = this.parseHeader(buf, base, final);
      if (!this.headerDone) return 0;
    }
    const [W, H] = this.sensorLimits();
    const out = this.out;
    // at most one event per 8 bytes: one allocation for the whole buffer
    out.reserve(Math.ceil((buf.length - pos) / 8));
    const batch = this.startBatch();
    for (;;) {
      const left = buf.length - pos;
      if (left < AEDAT3_PACKET_HEADER_BYTES) {
        if (final && left > 0) this.truncated(base + pos, `a ${AEDAT3_PACKET_HEADER_BYTES}-byte packet header`);
        break;
      }
      const type = i16le(buf, pos);
      const size = i32le(buf, pos + 4);
      const tsOffset = i32le(buf, pos + 8);
      const overflow = i32le(buf, pos + 12);
      const capacity = i32le(buf, pos + 16);
      const number = i32le(buf, pos + 20);
      const valid = i32le(buf, pos + 24);
      const at = base + pos;
      if (size <= 0 || capacity < 0 || number < 0 || number > capacity || valid < 0 || valid > number) {
        this.fail(
          at,
          `impossible packet header (eventSize ${size}, capacity ${capacity}, number ${number}, valid ${valid}); expected size > 0 and 0 <= valid <= number <= capacity`,
        );
      }
      const payload = capacity * size;
      if (payload > MAX_PACKET_BYTES) this.fail(at, `packet payload of ${payload} bytes is impossibly large`);
      if (tsOffset < 0 || tsOffset + 4 > size)
        this.fail(at + 8, `eventTSOffset ${tsOffset} does not fit in a ${size}-byte event`);
      if (overflow < 0) this.fail(at + 12, `negative eventTSOverflow ${overflow}`);
      if (left < AEDAT3_PACKET_HEADER_BYTES + payload) {
        if (final)
          this.truncated(base + buf.length, `a packet payload (expected ${payload} bytes from byte ${at + 28})`);
        break;
      }
      this.packets++;
      pos += AEDAT3_PACKET_HEADER_BYTES;
      if (type === AEDAT3_POLARITY_EVENT) {
        if (size !== 8 || tsOffset !== 4)
          this.fail(
            at + 4,
            `polarity events must be 8 bytes with the timestamp at 4, found size ${size}, offset ${tsOffset}`,
          );
        this.polarityPackets++;
        if (batch !== null) {
          this.polarityWasm(batch, buf, pos, number, overflow * 2147483648, base);
          pos += payload;
          continue;
        }
        out.reserve(number);
        // read the packet as little-endian 32-bit words (2 loads per event instead of 8 byte loads)
        const words = this.reader.words(buf, pos, number * 8);
        const r = decodePolarityWords(
          words,
          number,
          overflow * 2147483648,
          out,
          this.lastT,
          this.maxX,
          this.maxY,
          W,
          H,
          this.strictTime,
        );
        if (r.unsorted) this.timeSorted = false;
        if (r.bad >= 0) {
          const at = base + pos + r.bad * 8;
          const data = words[2 * r.bad]!;
          const ts = words[2 * r.bad + 1]!;
          if (ts < 0) this.fail(at + 4, `negative timestamp ${ts} (31-bit timestamps expected)`);
          const t = overflow * 2147483648 + ts;
          if (t < r.last) {
            this.lastT = r.last;
            this.timeWentBack(at, t);
          }
          this.outOfSensor(at, (data >>> 17) & 0x7fff, (data >>> 2) & 0x7fff);
        }
        const k = r.k;
        const last = r.last;
        const mx = r.mx;
        const my = r.my;
        this.invalidDropped += r.invalid;
        out.length = k;
        this.lastT = last;
        this.maxX = mx;
        this.maxY = my;
      }
      pos += payload;
    }
    if (batch !== null) this.endBatch(batch);
    this.info.packets = this.packets;
    this.info.polarityPackets = this.polarityPackets;
    this.info.invalidEventsDropped = this.invalidDropped;
    return pos;
  }

  /** The wasm path's batch for one parse call, its state slots set from the decoder (null where wasm is unavailable). */
  private startBatch(): WasmBatch | null {
    const wasm = this.wasm;
    if (wasm === null) return null;
    const src = wasm.heap;
    const cols = wasm.columns(src + 8 * WASM_BATCH_EVENTS + WASM_SLACK, WASM_BATCH_EVENTS);
    const si = wasm.stateIndex;
    wasm.f64.set([this.lastT, this.maxX, this.maxY, 0, this.invalidDropped], si);
    return { wasm, src, ...cols };
  }

  /** Copies the batch's events out and empties it. */
  private flushBatch(b: WasmBatch): void {
    const si = b.wasm.stateIndex;
    b.wasm.copyOut(this.out, b.T, b.X, b.Y, b.P, b.wasm.f64[si + 3]!);
    b.wasm.f64[si + 3] = 0;
  }

  /** Copies the last events out and takes the state back from the wasm slots. */
  private endBatch(b: WasmBatch): void {
    this.flushBatch(b);
    const f = b.wasm.f64;
    const si = b.wasm.stateIndex;
    this.lastT = f[si]!;
    this.maxX = f[si + 1]!;
    this.maxY = f[si + 2]!;
    this.invalidDropped = f[si + 4]!;
  }

  /**
   * One polarity packet's `number` events at buf[pos...] (file offset base + pos) through the wasm loop, a slice at
   * a time. An event the loop stops at is judged as the JS loop judges it: an error, or (time going back where
   * that is allowed) kept.
   */
  private polarityWasm(b: WasmBatch, buf: Uint8Array, pos: number, number: number, tHigh: number, base: number): void {
    const { wasm, src, T, X, Y, P } = b;
    const f = wasm.f64;
    const si = wasm.stateIndex;
    const [W, H] = this.sensorLimits();
    for (let s0 = 0; s0 < number; s0 += WASM_BATCH_EVENTS) {
      const m = Math.min(WASM_BATCH_EVENTS, number - s0);
      if (f[si + 3]! + m > WASM_BATCH_EVENTS) this.flushBatch(b);
      const from = pos + 8 * s0;
      wasm.u8.set(buf.subarray(from, from + 8 * m), src);
      for (let i = 0; i < m; ) {
        const bad = wasm.fn.aedat3Polarity(src, i, m, tHigh, T, X, Y, P, W, H, wasm.state);
        if (bad < 0) break;
        const at = base + from + 8 * bad;
        const data = i32le(wasm.u8, src + 8 * bad);
        const ts = i32le(wasm.u8, src + 8 * bad + 4);
        if (ts < 0) this.fail(at + 4, `negative timestamp ${ts} (31-bit timestamps expected)`);
        const t = tHigh + ts;
        const k = f[si + 3]!;
        this.keepOddWasmEvent(wasm, b, k, at, [t, (data >>> 17) & 0x7fff, (data >>> 2) & 0x7fff, (data >>> 1) & 1]);
        f[si + 3] = k + 1;
        i = bad + 1;
      }
    }
  }
}

interface WordsResult {
  k: number;
  last: number;
  mx: number;
  my: number;
  invalid: number;
  unsorted: boolean;
  /** index of the first event that breaks a rule (time order, sensor, sign), or -1 */
  bad: number;
}

/** The hot loop over one polarity packet's words (kept small and monomorphic so V8 optimises it well). */
function decodePolarityWords(
  words: Int32Array,
  number: number,
  tHigh: number,
  out: EventBuilder,
  last: number,
  mx: number,
  my: number,
  W: number,
  H: number,
  strict: boolean,
): WordsResult {
  const T = out.t;
  const X = out.x;
  const Y = out.y;
  const P = out.p;
  let k = out.length;
  let invalid = 0;
  let unsorted = false;
  const end = number * 2;
  for (let w = 0; w < end; w += 2) {
    const data = words[w]!;
    if ((data & 1) === 0) {
      invalid++;
      continue;
    }
    const ts = words[w + 1]!;
    const t = tHigh + ts;
    const x = (data >>> 17) & 0x7fff;
    const y = (data >>> 2) & 0x7fff;
    if (ts < 0 || x >= W || y >= H || t < last) {
      if (ts < 0 || x >= W || y >= H || strict) {
        out.length = k;
        return { k, last, mx, my, invalid, unsorted, bad: w >> 1 };
      }
      unsorted = true;
    }
    last = t;
    if (x > mx) mx = x;
    if (y > my) my = y;
    T[k] = t;
    X[k] = x;
    Y[k] = y;
    P[k] = (data >>> 1) & 1;
    k++;
  }
  return { k, last, mx, my, invalid, unsorted, bad: -1 };
}

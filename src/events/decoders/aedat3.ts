import { sensorFromChipName } from "../sensors.js";
import type { EventBuilder } from "../builder.js";
import { ChunkDecoderBase } from "./base.js";
import { asciiBytes, i16le, i32le, indexOfBytes, latin1, WordReader } from "./bytes.js";

const END_HEADER = asciiBytes("#!END-HEADER\r\n");
const MAX_HEADER_BYTES = 1 << 20;
/** Largest packet payload accepted (capacity × size); anything bigger is a corrupt header. */
const MAX_PACKET_BYTES = 1 << 30;
export const AEDAT3_PACKET_HEADER_BYTES = 28;
export const AEDAT3_POLARITY_EVENT = 1;

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
    this.info.packets = this.packets;
    this.info.polarityPackets = this.polarityPackets;
    this.info.invalidEventsDropped = this.invalidDropped;
    return pos;
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

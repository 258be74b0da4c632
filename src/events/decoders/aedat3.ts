import { sensorFromChipName } from "../sensors.js";
import { ChunkDecoderBase } from "./base.js";
import { asciiBytes, i16le, i32le, indexOfBytes, latin1 } from "./bytes.js";
import type { DecoderOptions } from "./types.js";

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

  constructor(opts: DecoderOptions = {}) {
    super(opts);
  }

  private parseHeader(buf: Uint8Array, base: number, final: boolean): number {
    const end = indexOfBytes(buf, END_HEADER);
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
    const chk = this.checkSensor();
    const W = chk ? chk.width : 65536;
    const H = chk ? chk.height : 65536;
    const out = this.out;
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
        const T = out.t;
        const X = out.x;
        const Y = out.y;
        const P = out.p;
        let k = out.length;
        let last = this.lastT;
        let mx = this.maxX;
        let my = this.maxY;
        const tHigh = overflow * 2147483648;
        const end = pos + number * 8;
        for (let j = pos; j < end; j += 8) {
          const data = buf[j]! | (buf[j + 1]! << 8) | (buf[j + 2]! << 16) | (buf[j + 3]! << 24);
          if ((data & 1) === 0) {
            this.invalidDropped++;
            continue;
          }
          const ts = buf[j + 4]! | (buf[j + 5]! << 8) | (buf[j + 6]! << 16) | (buf[j + 7]! << 24);
          if (ts < 0) this.fail(base + j + 4, `negative timestamp ${ts} (31-bit timestamps expected)`);
          const t = tHigh + ts;
          const x = (data >>> 17) & 0x7fff;
          const y = (data >>> 2) & 0x7fff;
          if (t < last) {
            this.lastT = last;
            this.timeWentBack(base + j, t);
          }
          if (x >= W || y >= H) this.outOfSensor(base + j, x, y);
          last = t;
          if (x > mx) mx = x;
          if (y > my) my = y;
          T[k] = t;
          X[k] = x;
          Y[k] = y;
          P[k] = (data >>> 1) & 1;
          k++;
        }
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

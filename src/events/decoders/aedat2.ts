import { sensorFromChipName } from "../sensors.js";
import type { SensorSize } from "../stream.js";
import { ChunkDecoderBase } from "./base.js";
import { isPrintableLine, latin1 } from "./bytes.js";

const MAX_HEADER_BYTES = 4 << 20;
const MAX_LINE_BYTES = 64 << 10;

/** Address layout of an AEDAT 2.0 file, chosen from its `# AEChip:` line. */
export type Aedat2Layout = "dvs128" | "davis";

/**
 * AEDAT 2.0 (jAER): `#` header lines, then big-endian pairs int32 address, int32 timestamp (µs).
 * The header has no end marker and a DAVIS address can itself start with 0x23 ('#'), so a line counts as header
 * only if it is printable text ending in '\n'.
 * Layouts: DVS128 (`p = a & 1, x = (a >> 1) & 0x7F, y = (a >> 8) & 0x7F`, the raw jAER fields; spikingjelly
 * additionally transposes and flips CIFAR10-DVS, we do not) and DAVIS240/346 (bit 31 set = APS/IMU sample,
 * dropped; `y = (a >> 22) & 0x1FF, x = (a >> 12) & 0x3FF, p = (a >> 11) & 1`, no flip).
 * No AEChip line: DVS128 is assumed and `meta.chipAssumed` says so. Timestamps are a 32-bit µs counter: a drop
 * by more than 2^31 counts as a wrap (+2^32 µs).
 */
export class Aedat2Decoder extends ChunkDecoderBase {
  readonly format = "aedat2" as const;
  private headerDone = false;
  private layout: Aedat2Layout = "dvs128";
  private nonDvsDropped = 0;
  private wraps = 0;
  private lastRaw = 0;

  protected override guessSensor(): SensorSize {
    return this.layout === "dvs128"
      ? { width: 128, height: 128, polarities: 2 }
      : { width: this.maxX + 1, height: this.maxY + 1, polarities: 2 };
  }

  private parseHeader(buf: Uint8Array, base: number, final: boolean): number {
    const magic = "#!AER-DAT";
    if (buf.length < 14 && !final) return 0;
    const first = latin1(buf, 0, Math.min(buf.length, 14));
    if (!first.startsWith(magic))
      this.fail(base, `expected "#!AER-DAT2.0" at the start, found "${first.replace(/[^\x20-\x7e]/g, "?")}"`);
    if (!first.startsWith("#!AER-DAT2.0")) this.fail(base + 9, `AEDAT version "${first.slice(9, 12)}" is not 2.0`);
    const lines: string[] = [];
    let pos = 0;
    while (pos < buf.length && buf[pos] === 0x23) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) {
        if (!final && buf.length - pos <= MAX_LINE_BYTES) return 0; // wait for the rest of the line
        break;
      }
      if (nl - pos > MAX_LINE_BYTES || !isPrintableLine(buf, pos, nl)) break;
      lines.push(latin1(buf, pos, nl).replace(/\r$/, ""));
      pos = nl + 1;
      if (pos > MAX_HEADER_BYTES) this.fail(base, "header longer than 4 MiB");
    }
    if (pos === buf.length && !final) return 0; // the next chunk may hold more header lines
    this.headerDone = true;
    this.info.version = "2.0";
    this.info.headerLines = lines.length;
    let chip: string | null = null;
    for (const l of lines) {
      const m = /^#\s*AEChip:\s*(\S+)/.exec(l);
      if (m) chip = m[1]!;
      const c = /^#\s*Creation time:.*?(\d{10,})/.exec(l);
      if (c) this.info.startTimeMs = Number(c[1]);
    }
    this.info.chip = chip;
    this.info.chipAssumed = chip === null;
    const cls = (chip ?? "DVS128").split(".").pop()!;
    if (/dvs128$/i.test(cls) || chip === null) {
      this.layout = "dvs128";
      this.headerSensor = { width: 128, height: 128, polarities: 2 };
    } else if (/^davis/i.test(cls)) {
      this.layout = "davis";
      this.headerSensor = sensorFromChipName(cls);
    } else {
      this.fail(base, `AEChip "${chip}" has no known address layout (expected a DVS128 or DAVIS240/346 chip)`);
    }
    if (chip === null) this.headerSensor = null; // an assumption, reported as a guess
    this.info.layout = this.layout;
    return pos;
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (!this.headerDone) {
      pos = this.parseHeader(buf, base, final);
      if (!this.headerDone) return 0;
    }
    const n = ((buf.length - pos) / 8) | 0;
    const end = pos + n * 8;
    if (final && end !== buf.length) this.truncated(base + end, "an 8-byte address/timestamp pair");
    const out = this.out;
    out.reserve(n);
    const [W, H] = this.sensorLimits();
    const T = out.t;
    const X = out.x;
    const Y = out.y;
    const P = out.p;
    let k = out.length;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    const davis = this.layout === "davis";
    for (let j = pos; j < end; j += 8) {
      const a = (buf[j]! << 24) | (buf[j + 1]! << 16) | (buf[j + 2]! << 8) | buf[j + 3]!;
      const raw = ((buf[j + 4]! << 24) | (buf[j + 5]! << 16) | (buf[j + 6]! << 8) | buf[j + 7]!) >>> 0;
      // 32-bit µs counter: a drop of more than 2^31 is a wrap (after ~71 min), not time going back
      if (raw < this.lastRaw && this.lastRaw - raw > 2147483648) this.wraps++;
      this.lastRaw = raw;
      const t = this.wraps * 4294967296 + raw;
      let x: number;
      let y: number;
      let p: number;
      if (davis) {
        if (a < 0) {
          this.nonDvsDropped++;
          continue;
        }
        y = (a >>> 22) & 0x1ff;
        x = (a >>> 12) & 0x3ff;
        p = (a >>> 11) & 1;
      } else {
        p = a & 1;
        x = (a >>> 1) & 0x7f;
        y = (a >>> 8) & 0x7f;
      }
      if (t < last) {
        this.lastT = last;
        this.timeWentBack(base + j + 4, t);
      }
      if (x >= W || y >= H) this.outOfSensor(base + j, x, y);
      last = t;
      if (x > mx) mx = x;
      if (y > my) my = y;
      T[k] = t;
      X[k] = x;
      Y[k] = y;
      P[k] = p;
      k++;
    }
    out.length = k;
    this.lastT = last;
    this.maxX = mx;
    this.maxY = my;
    this.info.nonDvsDropped = this.nonDvsDropped;
    return end;
  }
}

import type { SensorSize } from "../stream.js";
import { sensorFromChipName } from "../sensors.js";
import { ChunkDecoderBase } from "./base.js";
import { isPrintableLine, latin1 } from "./bytes.js";

const MAX_HEADER_BYTES = 1 << 20;

export interface PercentHeader {
  /** bytes taken by the header */
  length: number;
  /** header lines without the trailing newline */
  lines: string[];
}

/**
 * Reads the `%` header of a Prophesee file: lines that start with `%`, are printable text and end in `\n`
 * (binary data may itself start with 0x25, so a line must prove it is text); `% end` closes it explicitly.
 * Returns null when more bytes are needed (not final), or throws via `fail`.
 */
export function readPercentHeader(
  buf: Uint8Array,
  final: boolean,
  fail: (offset: number, detail: string) => never,
): PercentHeader | null {
  // find the lines by their bytes, then make one string of them all (a string per line cost more than the rest)
  let pos = 0;
  while (pos < buf.length && buf[pos] === 0x25) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) {
      if (buf.length - pos > 4096 || final) break; // not a text line: binary starts here
      return null;
    }
    if (!isPrintableLine(buf, pos, nl)) break;
    const end = isEndLine(buf, pos, nl);
    pos = nl + 1;
    if (end) break;
    if (pos > MAX_HEADER_BYTES) fail(0, "the % header is longer than 1 MiB");
  }
  if (pos >= buf.length && !final) return null; // the header may continue in the next chunk
  const lines = pos === 0 ? [] : latin1(buf, 0, pos - 1).split("\n");
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith("\r")) lines[i] = lines[i]!.slice(0, -1);
  return { length: pos, lines };
}

/** Whether the printable line buf[pos, nl) is `% end` (any case, any spaces, tabs or CR around the word). */
function isEndLine(buf: Uint8Array, pos: number, nl: number): boolean {
  const space = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d;
  let i = pos + 1;
  while (i < nl && space(buf[i]!)) i++;
  if (nl - i < 3 || (buf[i]! | 0x20) !== 0x65 || (buf[i + 1]! | 0x20) !== 0x6e || (buf[i + 2]! | 0x20) !== 0x64) {
    return false;
  }
  for (i += 3; i < nl; i++) if (!space(buf[i]!)) return false;
  return true;
}

/** Sensor size named by a Prophesee header (geometry, format line, Width/Height lines, plugin name), or null. */
export function sensorFromPercentHeader(lines: string[]): SensorSize | null {
  let w = 0;
  let h = 0;
  for (const l of lines) {
    let m = /^%\s*geometry\s+(\d+)\s*x\s*(\d+)/i.exec(l);
    if (m) return { width: Number(m[1]), height: Number(m[2]), polarities: 2 };
    m = /^%\s*format\s+\w+.*?height=(\d+).*?width=(\d+)/i.exec(l);
    if (m) return { width: Number(m[2]), height: Number(m[1]), polarities: 2 };
    m = /^%\s*format\s+\w+.*?width=(\d+).*?height=(\d+)/i.exec(l);
    if (m) return { width: Number(m[1]), height: Number(m[2]), polarities: 2 };
    m = /^%\s*width\s+(\d+)/i.exec(l);
    if (m) w = Number(m[1]);
    m = /^%\s*height\s+(\d+)/i.exec(l);
    if (m) h = Number(m[1]);
  }
  if (w > 0 && h > 0) return { width: w, height: h, polarities: 2 };
  for (const l of lines) {
    const m = /^%\s*plugin_name\s+(\S+)/i.exec(l);
    if (m) return sensorFromChipName(m[1]!);
  }
  return null;
}

export function headerMeta(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = /^%\s*(\S+)\s*(.*)$/.exec(l);
    if (m && m[1]!.toLowerCase() !== "end") out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** Base of the Prophesee decoders: consumes the `%` header once and records its sensor size and fields. */
export abstract class PercentHeaderDecoder extends ChunkDecoderBase {
  private headerDone = false;

  /** Bytes of header taken from buf (0 once done), or -1 when the header continues past buf. */
  protected takeHeader(buf: Uint8Array, base: number, final: boolean): number {
    if (this.headerDone) return 0;
    const h = readPercentHeader(buf, final, (o, d) => this.fail(base + o, d));
    if (h === null) return -1;
    this.headerDone = true;
    const sensor = sensorFromPercentHeader(h.lines);
    // x and y are 16-bit in the decoded stream (and 11 bits in EVT words): a larger geometry is a damaged header
    if (
      sensor !== null &&
      !(sensor.width >= 1 && sensor.width <= 65536 && sensor.height >= 1 && sensor.height <= 65536)
    ) {
      this.fail(base, `header gives an impossible sensor size ${sensor.width}×${sensor.height} (at most 65536×65536)`);
    }
    this.headerSensor = sensor;
    this.info.header = headerMeta(h.lines);
    return h.length;
  }
}

/**
 * Compact storage for a block of emulated recordings (the dataset cache): a JSON header, then per recording its
 * events as varints (time step since the previous event, then 2·pixel + polarity). About 3 bytes per event.
 * Browser-safe; decoding checks everything and throws a plain Error on any inconsistency.
 */
import { type EventStream, makeEventStream, type SensorSize } from "../../events/stream.js";

const MAGIC = "RSNNEMU1";

export interface RecordingBlockHeader {
  /** the cache key the block was made for */
  key: string;
  sensor: SensorSize;
  labels: number[];
  ids: string[];
  /** byte offset of each recording's data in the payload, plus the payload's end */
  offsets: number[];
  /** event count of each recording */
  counts: number[];
}

export interface RecordingBlock {
  header: RecordingBlockHeader;
  payload: Uint8Array;
}

class ByteSink {
  buf = new Uint8Array(1 << 16);
  n = 0;
  varint(v: number): void {
    if (this.n + 8 > this.buf.length) {
      const b = new Uint8Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    while (v >= 0x80) {
      this.buf[this.n++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }
}

export function encodeRecordingBlock(
  key: string,
  sensor: SensorSize,
  recordings: { id: string; label: number; events: EventStream }[],
): Uint8Array {
  const sink = new ByteSink();
  const offsets: number[] = [];
  const counts: number[] = [];
  for (const r of recordings) {
    offsets.push(sink.n);
    counts.push(r.events.t.length);
    const { t, x, y, p } = r.events;
    let prev = 0;
    for (let k = 0; k < t.length; k++) {
      const dt = t[k]! - prev;
      if (!(dt >= 0) || !Number.isInteger(dt)) throw new RangeError(`recording ${r.id}: event ${k} time ${t[k]}`);
      prev = t[k]!;
      sink.varint(dt);
      sink.varint((y[k]! * sensor.width + x[k]!) * 2 + (p[k]! & 1));
    }
  }
  offsets.push(sink.n);
  const header: RecordingBlockHeader = {
    key,
    sensor,
    labels: recordings.map((r) => r.label),
    ids: recordings.map((r) => r.id),
    offsets,
    counts,
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(MAGIC.length + 4 + head.length + sink.n);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, head.length, true);
  out.set(head, MAGIC.length + 4);
  out.set(sink.buf.subarray(0, sink.n), MAGIC.length + 4 + head.length);
  return out;
}

/** Parses and checks a block (not its events: `decodeRecording` checks those). */
export function parseRecordingBlock(bytes: Uint8Array): RecordingBlock {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new Error(`not a recording block (magic '${magic}', expected '${MAGIC}')`);
  if (bytes.length < MAGIC.length + 4) throw new Error("truncated header");
  const headLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4 + headLen;
  if (start > bytes.length) throw new Error(`header of ${headLen} bytes runs past the end (${bytes.length} bytes)`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, start))) as RecordingBlockHeader;
  const payload = bytes.subarray(start);
  const n = header.labels?.length;
  if (
    typeof header.key !== "string" ||
    !Array.isArray(header.labels) ||
    header.ids?.length !== n ||
    header.counts?.length !== n ||
    header.offsets?.length !== n + 1 ||
    header.offsets[n] !== payload.length ||
    !(header.sensor?.width > 0 && header.sensor?.height > 0)
  ) {
    throw new Error("inconsistent header (lengths, offsets or sensor)");
  }
  return { header, payload };
}

/** Events of recording `i` of a block. */
export function decodeRecording(block: RecordingBlock, i: number): EventStream {
  const { header, payload } = block;
  const n = header.counts[i]!;
  let pos = header.offsets[i]!;
  const end = header.offsets[i + 1]!;
  const { width, height } = header.sensor;
  const pixels = width * height;
  const t = new Float64Array(n);
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const p = new Uint8Array(n);
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (pos >= end) throw new Error(`recording ${header.ids[i]}: data ends early`);
      const b = payload[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  let time = 0;
  for (let k = 0; k < n; k++) {
    time += varint();
    const code = varint();
    const pix = Math.floor(code / 2);
    if (pix >= pixels) throw new Error(`recording ${header.ids[i]}: event ${k} pixel ${pix} outside the sensor`);
    const row = Math.floor(pix / width);
    t[k] = time;
    x[k] = pix - row * width;
    y[k] = row;
    p[k] = code & 1;
  }
  if (pos !== end) throw new Error(`recording ${header.ids[i]}: ${end - pos} bytes left over`);
  return makeEventStream(t, x, y, p, { ...header.sensor });
}

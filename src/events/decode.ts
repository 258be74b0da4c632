import { createDecoder } from "./decoders/registry.js";
import type { DecoderOptions, EventFormat } from "./decoders/types.js";
import { detectFormat } from "./detect.js";
import { concatEventStreams, type EventStream } from "./stream.js";
import { sortByTime } from "./transforms/time.js";

export interface DecodeOptions extends DecoderOptions {
  /** skip detection and use this format */
  format?: EventFormat;
}

/** A decoded file: its format, events, whether the sensor size is a guess, and header facts. */
export interface DecodedRecording {
  format: EventFormat;
  stream: EventStream;
  sensorGuessed: boolean;
  meta: Record<string, unknown>;
}

/** Decodes a whole file held in memory (format detected from content unless given). Browser-safe. */
export function decodeEvents(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedRecording {
  const format =
    opts.format ?? detectFormat(bytes.subarray(0, 65536), { totalSize: bytes.length, fileName: opts.fileName }).format;
  const dec = createDecoder(format, opts);
  const a = dec.push(bytes);
  const b = dec.end();
  const { sensor, guessed } = dec.sensorInfo();
  const stream =
    b.t.length === 0 ? { ...a, sensor } : a.t.length === 0 ? { ...b, sensor } : concatEventStreams([a, b], sensor);
  const meta = dec.meta();
  return { format, stream: finishOrder(stream, opts, meta), sensorGuessed: guessed, meta };
}

/** Applies timeOrder "sort" to a decoded stream (a no-op for sorted streams and the other modes). */
export function finishOrder(stream: EventStream, opts: DecoderOptions, meta: Record<string, unknown>): EventStream {
  return opts.timeOrder === "sort" && meta.timeSorted === false ? sortByTime(stream) : stream;
}

import type { EventStream, SensorSize } from "../stream.js";

/** Every container the decoders understand. */
export type EventFormat = "atis40" | "aedat2" | "aedat3" | "aedat4" | "evt2" | "evt3" | "dat" | "npy" | "shd";

export const EVENT_FORMATS: readonly EventFormat[] = [
  "atis40",
  "aedat2",
  "aedat3",
  "aedat4",
  "evt2",
  "evt3",
  "dat",
  "npy",
  "shd",
];

/** Options every decoder takes. */
export interface DecoderOptions {
  /** name used in error messages (default "<buffer>") */
  fileName?: string;
  /** sensor size to use (and check coordinates against) instead of the one from the header or the guess */
  sensor?: SensorSize;
  /**
   * "strict" (default): a timestamp smaller than the previous one is an EventFormatError.
   * "keep": keep events in file order (the stream may then be unsorted; `meta.timeSorted` says so).
   * "sort": accept, then sort by time (stable) so the stream is usable; `meta.timeSorted` reports the file's order.
   * ChunkDecoder itself treats "sort" like "keep"; decodeEvents and readEventFile sort at the end.
   */
  timeOrder?: "strict" | "keep" | "sort";
}

/** A decoder fed with chunks of any size: each push returns the events completed by those bytes. */
export interface ChunkDecoder {
  readonly format: EventFormat;
  /** Feeds the next bytes; returns the events they completed (possibly none). */
  push(chunk: Uint8Array): EventStream;
  /** No more bytes: returns the last events, or throws EventFormatError if the input stops mid-record. */
  end(): EventStream;
  /** Sensor size, from the header, the override, or a guess from the largest coordinates so far. */
  sensorInfo(): { sensor: SensorSize; guessed: boolean };
  /** Format-specific facts read from the header (version, chip, start time, ...). */
  meta(): Record<string, unknown>;
}

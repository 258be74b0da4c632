/** Samples backed by one recording file each, decoded by the events module. Node only. */
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { decodeEvents } from "../events/decode.js";
import type { EventFormat } from "../events/decoders/types.js";
import { readEventFile } from "../events/read-file.js";
import type { EventStream, SensorSize } from "../events/stream.js";
import type { Sample } from "./sample.js";

export interface FileSampleOptions {
  /** skip format detection */
  format?: EventFormat;
  /** sensor size to decode with (and check coordinates against) */
  sensor?: SensorSize;
}

/** Identity of a file for the frame cache: path, size and modification time. */
export function fileIdentity(path: string): string {
  const st = statSync(path);
  return `${path}|${st.size}|${st.mtimeMs}`;
}

// Below this size a file is read whole and decoded at once: the chunked reader's 4 MiB read buffer costs more
// than a small recording (an N-MNIST sample is 23 KB) takes to decode.
const WHOLE_FILE_BYTES = 64 << 20;

/** Decodes a recording file (format detected from its content unless given). */
export async function loadRecording(path: string, opts: FileSampleOptions = {}): Promise<EventStream> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    size = Number.POSITIVE_INFINITY; // let the reader name the problem
  }
  if (size < WHOLE_FILE_BYTES) {
    return decodeEvents(await readFile(path), { fileName: path, format: opts.format, sensor: opts.sensor }).stream;
  }
  return (await readEventFile(path, { format: opts.format, sensor: opts.sensor })).stream;
}

export function fileSample(path: string, id: string, label: number, opts: FileSampleOptions = {}): Sample {
  return {
    id,
    label,
    identity: () =>
      `${fileIdentity(path)}|${opts.format ?? "auto"}|${opts.sensor ? JSON.stringify(opts.sensor) : "header"}`,
    load: () => loadRecording(path, opts),
    ref: { kind: "file", path, format: opts.format, sensor: opts.sensor },
  };
}

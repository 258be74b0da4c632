/** Samples backed by one recording file each, decoded by the events module. Node only. */
import { statSync } from "node:fs";
import type { EventFormat } from "../events/decoders/types.js";
import { readEventFile } from "../events/read-file.js";
import type { SensorSize } from "../events/stream.js";
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

export function fileSample(path: string, id: string, label: number, opts: FileSampleOptions = {}): Sample {
  return {
    id,
    label,
    identity: () =>
      `${fileIdentity(path)}|${opts.format ?? "auto"}|${opts.sensor ? JSON.stringify(opts.sensor) : "header"}`,
    load: async () => (await readEventFile(path, { format: opts.format, sensor: opts.sensor })).stream,
    ref: { kind: "file", path, format: opts.format, sensor: opts.sensor },
  };
}

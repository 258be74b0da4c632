/**
 * The viewer's one call into the event decoders.
 * TEMPORARY until the events branch lands `decodeEvents`: reads only the 40-bit N-MNIST / ATIS format so the page
 * can be developed; replaced by a direct call to the package's decoders on merge.
 */
import { EventFormatError } from "../events/errors.js";
import type { EventStream } from "../events/stream.js";
import { makeEventStream } from "../events/stream.js";
import type { DecodeOptions } from "./protocol.js";

export interface Decoded {
  format: string;
  stream: EventStream;
  sensorGuessed: boolean;
  meta: Record<string, unknown>;
}

export function decodeRecording(bytes: Uint8Array, options: DecodeOptions): Decoded {
  const file = options.fileName ?? "<buffer>";
  if (bytes.length % 5 !== 0) throw new EventFormatError(file, bytes.length, "not a 40-bit event file");
  const n = bytes.length / 5;
  const t = new Float64Array(n);
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const p = new Uint8Array(n);
  let w = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const o = i * 5;
    x[i] = bytes[o]!;
    y[i] = bytes[o + 1]!;
    p[i] = bytes[o + 2]! >> 7;
    t[i] = ((bytes[o + 2]! & 0x7f) << 16) | (bytes[o + 3]! << 8) | bytes[o + 4]!;
    w = Math.max(w, x[i]! + 1);
    h = Math.max(h, y[i]! + 1);
  }
  return {
    format: "bin40",
    stream: makeEventStream(t, x, y, p, { width: w, height: h, polarities: 2 }),
    sensorGuessed: true,
    meta: {},
  };
}

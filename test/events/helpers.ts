import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventStream, SensorSize } from "../../src/events/stream.js";
import { sharedDataDir } from "../../src/util/paths.js";

/** Bytes of a sample file under ../shared/data (read in place, never copied). */
export function sample(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(sharedDataDir(), rel)));
}

export function samplePath(rel: string): string {
  return join(sharedDataDir(), rel);
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Event k as [x, y, t, p]. */
export function ev(s: EventStream, k: number): [number, number, number, number] {
  return [s.x[k]!, s.y[k]!, s.t[k]!, s.p[k]!];
}

export function onCount(s: EventStream): number {
  let n = 0;
  for (let i = 0; i < s.p.length; i++) n += s.p[i]! !== 0 ? 1 : 0;
  return n;
}

/** A stream from explicit events. */
export function streamOf(rows: [number, number, number, number][], sensor: SensorSize): EventStream {
  const n = rows.length;
  const s = {
    t: new Float64Array(n),
    x: new Uint16Array(n),
    y: new Uint16Array(n),
    p: new Uint8Array(n),
    sensor,
  };
  rows.forEach(([x, y, t, p], i) => {
    s.x[i] = x;
    s.y[i] = y;
    s.t[i] = t;
    s.p[i] = p;
  });
  return s;
}

/** Splits bytes into random-size chunks (sizes 1..max) with a tiny LCG, for chunked-decoder tests. */
export function randomChunks(bytes: Uint8Array, seed: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed >>> 0;
  let pos = 0;
  while (pos < bytes.length) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const len = 1 + (s % max);
    out.push(bytes.slice(pos, pos + len));
    pos += len;
  }
  return out;
}

/** AEDAT 2.0 fixture written from the specification: header lines, then big-endian (address, timestamp). */
export function aedat2File(headerLines: string[], pairs: [number, number][]): Uint8Array {
  const h = new TextEncoder().encode(headerLines.map((l) => `${l}\r\n`).join(""));
  const out = new Uint8Array(h.length + 8 * pairs.length);
  out.set(h);
  const dv = new DataView(out.buffer);
  pairs.forEach(([a, t], i) => {
    dv.setUint32(h.length + 8 * i, a >>> 0, false);
    dv.setUint32(h.length + 8 * i + 4, t, false);
  });
  return out;
}
export const dvs128 = (x: number, y: number, p: number) => (y << 8) | (x << 1) | p;
export const davis = (x: number, y: number, p: number) => (y << 22) | (x << 12) | (p << 11);

/** The byte arrays one after another in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { readPercentHeader } from "../../src/events/decoders/prophesee-header.js";
import { createDecoder } from "../../src/events/decoders/registry.js";
import { EventFormatError } from "../../src/events/errors.js";
import { concatEventStreams } from "../../src/events/stream.js";
import { writeDat } from "../../src/events/writers/dat.js";
import { EVT2_VECTOR } from "./vectors.js";
import { onCount, randomChunks, sample } from "./helpers.js";

function te(s: { t: Float64Array; x: Uint16Array; y: Uint16Array; p: Uint8Array }, k: number) {
  return [s.t[k], s.x[k], s.y[k], s.p[k]];
}

/** EVT 2.0 words from the specification (fixture writer for tests). */
function evt2File(header: string, words: number[]): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(h.length + words.length * 4);
  out.set(h);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => {
    dv.setUint32(h.length + 4 * i, w >>> 0, true);
  });
  return out;
}
const cd = (on: number, tLow: number, x: number, y: number) => ((on << 28) | (tLow << 22) | (x << 11) | y) >>> 0;
const th = (v: number) => ((8 << 28) | v) >>> 0;

test("EVT 2.0 hand-made vector: three events, trigger skipped, geometry from the header", () => {
  assert.equal(EVT2_VECTOR.length, 59);
  const d = decodeEvents(EVT2_VECTOR);
  assert.equal(d.format, "evt2");
  assert.equal(d.stream.t.length, 3);
  assert.deepEqual(te(d.stream, 0), [197, 10, 20, 1]);
  assert.deepEqual(te(d.stream, 1), [198, 639, 479, 0]);
  assert.deepEqual(te(d.stream, 2), [256, 1, 2, 1]);
  assert.deepEqual(d.stream.sensor, { width: 640, height: 480, polarities: 2 });
  assert.equal(d.sensorGuessed, false);
});

test("EVT 2.0 fixture from the spec: 34-bit timestamps, chunked decoding, sensor check", () => {
  const words = [th(0x0fffffff), cd(1, 63, 5, 6), th(1), cd(0, 0, 7, 8)];
  const bytes = evt2File("% evt 2.0\n% format EVT2;height=10;width=20\n% end\n", words);
  const d = decodeEvents(bytes, { timeOrder: "keep" });
  assert.deepEqual(te(d.stream, 0), [0x0fffffff * 64 + 63, 5, 6, 1]);
  assert.deepEqual(d.stream.sensor, { width: 20, height: 10, polarities: 2 });
  assert.throws(
    () => decodeEvents(bytes),
    (e: unknown) => e instanceof EventFormatError && /before the previous/.test(e.message),
  );
  const outside = evt2File("% evt 2.0\n% geometry 4x4\n", [cd(1, 0, 4, 0)]);
  assert.throws(() => decodeEvents(outside), /outside the 4×4 sensor/);
  const dec = createDecoder("evt2");
  const parts = randomChunks(EVT2_VECTOR, 5, 3).map((c) => dec.push(c));
  parts.push(dec.end());
  assert.deepEqual(Array.from(concatEventStreams(parts).t), [197, 198, 256]);
  assert.throws(() => decodeEvents(EVT2_VECTOR.subarray(0, 57)), /16|32-bit EVT 2.0 word/);
  // a data word that starts with '%' right after the header is not eaten as a header line
  const pct = evt2File("% evt 2.0\n", [0x10000025]);
  assert.equal(decodeEvents(pct, { sensor: { width: 2048, height: 2048, polarities: 2 } }).stream.t.length, 1);
});

test("EVT 3.0 sample (Gen4.1): 219 596 events, time span, first events, word histogram", () => {
  const d = decodeEvents(sample("prophesee/expelliarmus/evt3_sample.raw"));
  const s = d.stream;
  assert.equal(d.format, "evt3");
  assert.equal(s.t.length, 219596);
  assert.equal(s.t[0], 11718656);
  assert.equal(s.t[s.t.length - 1], 11727457);
  assert.deepEqual(te(s, 0), [11718656, 874, 200, 0]);
  assert.deepEqual(te(s, 1), [11718656, 806, 200, 1]);
  assert.deepEqual(te(s, 2), [11718656, 882, 201, 0]);
  assert.deepEqual(s.sensor, { width: 1280, height: 720, polarities: 2 });
  assert.deepEqual(d.meta.wordCounts, {
    ADDR_X: 197550,
    ADDR_Y: 59640,
    VECT_12: 21242,
    VECT_8: 10621,
    VECT_BASE_X: 10527,
    TIME_LOW: 8812,
    TIME_HIGH: 551,
  });
  assert.equal(d.meta.timeSorted, true);
  const dec = createDecoder("evt3");
  const bytes = sample("prophesee/expelliarmus/evt3_sample.raw");
  const parts = randomChunks(bytes, 9, 5000).map((c) => dec.push(c));
  parts.push(dec.end());
  const c = concatEventStreams(parts);
  assert.deepEqual(c.t, s.t);
  assert.deepEqual(c.x, s.x);
});

test("EVT 3.0 time rule: TIME_LOW going back across a TIME_HIGH step is no wrap; TIME_HIGH decrease wraps", () => {
  const words = (ws: number[]) => {
    const h = new TextEncoder().encode("% evt 3.0\n");
    const out = new Uint8Array(h.length + 2 * ws.length);
    out.set(h);
    ws.forEach((w, i) => {
      out[h.length + 2 * i] = w & 0xff;
      out[h.length + 2 * i + 1] = w >> 8;
    });
    return out;
  };
  const TH = (v: number) => 0x8000 | v;
  const TL = (v: number) => 0x6000 | v;
  const Y = (v: number) => 0x0000 | v;
  const X = (v: number, p: number) => 0x2000 | (p << 11) | v;
  const s = decodeEvents(
    words([TH(5), TL(4090), Y(3), X(1, 1), TH(6), TL(2), X(2, 0), TH(0xfff), TL(0), X(3, 1), TH(1), TL(7), X(4, 0)]),
  ).stream;
  assert.deepEqual(Array.from(s.t), [5 * 4096 + 4090, 6 * 4096 + 2, 0xfff * 4096, 16777216 + 4096 + 7]);
  // vectors: base x 10, VECT_12 with bits 0 and 11, VECT_8 with bit 1 (x = 10 + 12 + 1)
  const v = decodeEvents(words([TH(1), Y(2), 0x3000 | (1 << 11) | 10, 0x4000 | 0x801, 0x5000 | 0x02])).stream;
  assert.deepEqual(Array.from(v.x), [10, 21, 23]);
  assert.deepEqual(Array.from(v.p), [1, 1, 1]);
  assert.throws(() => decodeEvents(words([0x1000])), /word type 0x1 is not defined/);
});

test("DAT sample (N-CARS): 2 009 events, x <= 77, y <= 41, t 0..99 952, first (0,25,8,0)", () => {
  const d = decodeEvents(sample("prophesee/tonic/sample_ncars.dat"));
  const s = d.stream;
  assert.equal(d.format, "dat");
  assert.equal(s.t.length, 2009);
  assert.deepEqual(te(s, 0), [0, 25, 8, 0]);
  assert.equal(s.t[s.t.length - 1], 99952);
  assert.deepEqual(s.sensor, { width: 78, height: 42, polarities: 2 });
  assert.equal(d.sensorGuessed, true);
  assert.ok(onCount(s) > 0 && onCount(s) < 2009);
  const bytes = sample("prophesee/tonic/sample_ncars.dat");
  assert.throws(
    () => decodeEvents(bytes.subarray(0, bytes.length - 3)),
    (e: unknown) => e instanceof EventFormatError,
  );
});

test("DAT writer round-trips (sensor from the header, timestamps past 2^32 µs through the wrap), and refuses what DAT cannot hold", () => {
  const src = decodeEvents(sample("prophesee/tonic/sample_ncars.dat")).stream;
  // the same events shifted to straddle the 32-bit wrap, on a declared 304×240 sensor
  const shifted = {
    ...src,
    t: src.t.map((v) => v + 4294967296 - 50000),
    sensor: { width: 304, height: 240, polarities: 2 },
  };
  const back = decodeEvents(writeDat(shifted));
  assert.equal(back.format, "dat");
  assert.equal(back.sensorGuessed, false);
  assert.deepEqual(back.stream.sensor, shifted.sensor);
  assert.deepEqual(back.stream.t, shifted.t);
  assert.deepEqual(back.stream.x, src.x);
  assert.deepEqual(back.stream.y, src.y);
  assert.deepEqual(back.stream.p, src.p);
  // chunked decoding of the written file gives the same events
  const bytes = writeDat(shifted);
  const dec = createDecoder("dat");
  const parts = randomChunks(bytes, 7, 4096).map((c) => dec.push(c));
  parts.push(dec.end());
  assert.deepEqual(concatEventStreams(parts).t, shifted.t);
  const bad = (t: number[], x = 0) =>
    writeDat({
      t: Float64Array.from(t),
      x: Uint16Array.of(x, 0).subarray(0, t.length),
      y: new Uint16Array(t.length),
      p: new Uint8Array(t.length),
      sensor: shifted.sensor,
    });
  assert.throws(() => bad([5, 4]), /event 1: t 4 must be an integer >= 5/);
  assert.throws(() => bad([0, 2 ** 31]), /event 1: t 2147483648 must be an integer >= 0 and < 2147483648/);
  assert.throws(() => bad([0], 20000), /event 0: \(x 20000, y 0\) cannot be stored/);
});

test("% header lines: `% end` in any case with spaces, tabs or CR closes the header; other lines do not", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const fail = (o: number, d: string): never => {
    throw new Error(`${o}: ${d}`);
  };
  for (const [endLine, closes] of [
    ["% end", true],
    ["%END", true],
    ["%\tEnd \r", true],
    ["%  eNd\t\t", true],
    ["% endx", false],
    ["% en", false],
    ["% end of header", false],
    ["% the end", false],
  ] as const) {
    const bytes = enc(`% Date 2020\r\n${endLine}\n% width 10\n\u0001binary`);
    const h = readPercentHeader(bytes, true, fail)!;
    const expected = closes
      ? ["% Date 2020", endLine.replace(/\r$/, "")]
      : ["% Date 2020", endLine.replace(/\r$/, ""), "% width 10"];
    assert.deepEqual(h.lines, expected, JSON.stringify(endLine));
    assert.equal(
      h.length,
      expected.reduce((n, l) => n + l.length + 1, 0) + (endLine.endsWith("\r") ? 1 : 0) + 1,
      endLine,
    );
  }
  assert.equal(readPercentHeader(enc("% evt 3.0\n% end"), false, fail), null, "a line without its newline waits");
});

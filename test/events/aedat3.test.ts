import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { Aedat3Decoder } from "../../src/events/decoders/aedat3.js";
import { EventFormatError } from "../../src/events/errors.js";
import { cutGestures, parseGestureLabels } from "../../src/events/gestures.js";
import { concatEventStreams } from "../../src/events/stream.js";
import { writeAedat31 } from "../../src/events/writers/aedat3.js";
import { AEDAT31_VECTOR } from "./vectors.js";
import { ev, randomChunks, sample, streamOf } from "./helpers.js";
import { readFileSync } from "node:fs";
import { samplePath } from "./helpers.js";

test("AEDAT 3.1 hand-made vector: invalid event dropped, IMU packet skipped, TS overflow applied", () => {
  assert.equal(AEDAT31_VECTOR.length, 213);
  const d = decodeEvents(AEDAT31_VECTOR);
  assert.equal(d.format, "aedat3");
  assert.equal(d.stream.t.length, 3);
  assert.deepEqual(ev(d.stream, 0), [5, 7, 1000, 1]);
  assert.deepEqual(ev(d.stream, 1), [127, 0, 2000, 0]);
  assert.deepEqual(ev(d.stream, 2), [64, 64, 2147483653, 1]);
  assert.deepEqual(d.stream.sensor, { width: 128, height: 128, polarities: 2 });
  assert.equal(d.sensorGuessed, false);
  assert.equal(d.meta.invalidEventsDropped, 1);
  assert.equal(d.meta.packets, 3);
});

test("AEDAT 3.1 vector decoded byte by byte gives the same events", () => {
  const dec = new Aedat3Decoder();
  const parts = randomChunks(AEDAT31_VECTOR, 3, 1).map((c) => dec.push(c));
  parts.push(dec.end());
  const s = concatEventStreams(parts);
  assert.deepEqual(Array.from(s.t), [1000, 2000, 2147483653]);
});

test("writer round-trips a real gesture clip through AEDAT 3.1, across an overflow period", () => {
  const clip = decodeEvents(sample("dvs_gesture/slayerPytorch_binarySpikeTestFiles/1.bs2")).stream;
  const shifted = { ...clip, t: clip.t.map((t) => t + 2147483648 - 700000) };
  const bytes = writeAedat31(shifted, { eventsPerPacket: 5000 });
  const back = decodeEvents(bytes).stream;
  assert.deepEqual(back.t, shifted.t);
  assert.deepEqual(back.x, clip.x);
  assert.deepEqual(back.y, clip.y);
  assert.deepEqual(back.p, clip.p);
  // chunked
  const dec = new Aedat3Decoder();
  const parts = randomChunks(bytes, 11, 70000).map((c) => dec.push(c));
  parts.push(dec.end());
  assert.deepEqual(concatEventStreams(parts).t, shifted.t);
});

test("labels CSV (real user01_natural) cuts a recording into 12 labelled gestures, [start, end)", () => {
  const csv = readFileSync(samplePath("dvs_gesture/aestream_example_data/user01_natural_labels.csv"), "utf8");
  const labels = parseGestureLabels(csv);
  assert.equal(labels.length, 12);
  assert.deepEqual(labels[0], { classId: 1, label: 0, tStart: 53036986, tEnd: 59508469 });
  assert.equal(labels.filter((l) => l.classId === 8).length, 2);
  // a synthetic recording: one event every 100 ms from 50 s to 180 s, plus events exactly at a window's bounds
  const rows: [number, number, number, number][] = [];
  for (let t = 50_000_000; t < 180_000_000; t += 100_000) rows.push([1, 2, t, 1]);
  rows.push([3, 3, 53036986, 0], [3, 3, 59508469, 0]);
  rows.sort((a, b) => a[2] - b[2]);
  const rec = streamOf(rows, { width: 128, height: 128, polarities: 2 });
  const g = cutGestures(rec, csv);
  assert.equal(g.length, 12);
  assert.equal(g[0]!.stream.t[0], 53036986, "start is inclusive");
  assert.ok(g[0]!.stream.t[g[0]!.stream.t.length - 1]! < 59508469, "end is exclusive");
  for (const gi of g) {
    const expected = rows.filter((r) => r[2] >= gi.tStart && r[2] < gi.tEnd).length;
    assert.equal(gi.stream.t.length, expected);
  }
  assert.throws(() => parseGestureLabels("class,startTime_usec,endTime_usec\n12,1,2\n", "u.csv"), EventFormatError);
  assert.throws(() => parseGestureLabels("class,startTime_usec,endTime_usec\n1,5\n"), /line 2/);
});

test("AEDAT 3.1 bad input: truncated payload, impossible sizes, wrong event size", () => {
  const v = AEDAT31_VECTOR;
  assert.throws(
    () => decodeEvents(v.subarray(0, 100), { fileName: "g.aedat" }),
    (e: unknown) => e instanceof EventFormatError && /packet payload \(expected 24 bytes/.test(e.message),
  );
  const bad = v.slice();
  bad[61 + 20] = 9; // eventNumber 9 > capacity 3
  assert.throws(
    () => decodeEvents(bad),
    (e: unknown) => e instanceof EventFormatError && e.offset === 61,
  );
  const bad2 = v.slice();
  bad2[61 + 4] = 12; // polarity eventSize 12
  assert.throws(() => decodeEvents(bad2), /polarity events must be 8 bytes/);
  assert.throws(() => decodeEvents(v.subarray(0, 40), { format: "aedat3" }), /header/);
});

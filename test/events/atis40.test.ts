import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { Atis40Decoder } from "../../src/events/decoders/atis40.js";
import { EventFormatError } from "../../src/events/errors.js";
import { readEventFile } from "../../src/events/read-file.js";
import { concatEventStreams } from "../../src/events/stream.js";
import { writeAtis40 } from "../../src/events/writers/atis40.js";
import { ev, onCount, randomChunks, sample, samplePath, streamOf } from "./helpers.js";

test("N-MNIST sample_nmnist.bin: 4 325 events, 2 145 ON, first events and last t", () => {
  const d = decodeEvents(sample("nmnist/tonic/sample_nmnist.bin"));
  assert.equal(d.format, "atis40");
  assert.equal(d.stream.t.length, 4325);
  assert.equal(onCount(d.stream), 2145);
  assert.deepEqual(ev(d.stream, 0), [7, 15, 654, 1]);
  assert.deepEqual(ev(d.stream, 1), [19, 18, 2999, 0]);
  assert.deepEqual(ev(d.stream, 2), [21, 17, 3017, 0]);
  assert.equal(d.stream.t[4324], 311175);
  assert.deepEqual(d.stream.sensor, { width: 34, height: 34, polarities: 2 });
  assert.equal(d.sensorGuessed, true);
});

test("N-MNIST small 1.bs2 and 2.bs2 match README numbers", () => {
  const a = decodeEvents(sample("nmnist/small/1.bs2")).stream;
  assert.equal(a.t.length, 4681);
  assert.deepEqual(ev(a, 0), [18, 16, 893, 1]);
  assert.deepEqual(ev(a, 1), [20, 17, 1060, 1]);
  assert.deepEqual(ev(a, 2), [17, 9, 2443, 0]);
  assert.equal(a.t[a.t.length - 1], 305924);
  const b = decodeEvents(sample("nmnist/small/2.bs2")).stream;
  assert.equal(b.t.length, 5028);
  assert.deepEqual(ev(b, 0), [10, 30, 937, 1]);
  assert.equal(b.t[b.t.length - 1], 305341);
});

test("DVS128 Gesture 40-bit clips: counts, ON counts and first events from README", () => {
  const ref: [number, number, [number, number, number, number]][] = [
    [63471, 32164, [49, 82, 28, 0]],
    [84260, 43472, [42, 49, 45, 0]],
    [113063, 55396, [60, 51, 2, 0]],
    [151879, 77731, [67, 39, 3, 0]],
    [181179, 93262, [78, 126, 8, 0]],
    [124244, 61259, [119, 113, 6, 0]],
    [159617, 77603, [65, 111, 10, 0]],
    [101288, 50762, [67, 94, 10, 1]],
    [141773, 70469, [97, 87, 25, 1]],
    [85936, 47461, [54, 116, 24, 1]],
  ];
  ref.forEach(([n, on, first], i) => {
    const s = decodeEvents(sample(`dvs_gesture/slayerPytorch_binarySpikeTestFiles/${i + 1}.bs2`)).stream;
    assert.equal(s.t.length, n, `clip ${i + 1}`);
    assert.equal(onCount(s), on, `clip ${i + 1} ON`);
    assert.deepEqual(ev(s, 0), first, `clip ${i + 1} first`);
    assert.ok(s.t[s.t.length - 1]! <= 1449997);
    assert.deepEqual(s.sensor, { width: 128, height: 128, polarities: 2 });
  });
});

test("chunked decoding in random chunk sizes equals whole-buffer decoding", () => {
  const bytes = sample("nmnist/small/1.bs2");
  const whole = decodeEvents(bytes).stream;
  for (const max of [1, 7, 4096]) {
    const dec = new Atis40Decoder();
    const parts = randomChunks(bytes, max, max).map((c) => dec.push(c));
    parts.push(dec.end());
    const s = concatEventStreams(parts);
    assert.deepEqual(s.t, whole.t);
    assert.deepEqual(s.x, whole.x);
    assert.deepEqual(s.p, whole.p);
  }
});

test("readEventFile streams a file in small chunks and gives the same events", async () => {
  const d = await readEventFile(samplePath("nmnist/tonic/sample_nmnist.bin"), { chunkBytes: 4096 });
  assert.equal(d.format, "atis40");
  assert.equal(d.stream.t.length, 4325);
  assert.deepEqual(ev(d.stream, 0), [7, 15, 654, 1]);
});

test("overflow marker (y == 240) is dropped and adds 8192 µs to later timestamps", () => {
  // (1,2,t=100,ON), marker, (3,4,t=50,OFF) -> second event at 8192 + 50
  const bytes = new Uint8Array([1, 2, 0x80, 0, 100, 0, 240, 0, 0, 0, 3, 4, 0, 0, 50]);
  const s = decodeEvents(bytes).stream;
  assert.equal(s.t.length, 2);
  assert.deepEqual(ev(s, 0), [1, 2, 100, 1]);
  assert.deepEqual(ev(s, 1), [3, 4, 8242, 0]);
});

test("writer round-trips, inserting overflow markers for timestamps beyond 23 bits", () => {
  const src = streamOf(
    [
      [0, 0, 0, 1],
      [33, 33, 8388607, 0],
      [5, 6, 8388608, 1],
      [7, 8, 30000000, 0],
    ],
    { width: 34, height: 34, polarities: 2 },
  );
  const bytes = writeAtis40(src);
  assert.ok(bytes.length > 4 * 5, "markers were written");
  const back = decodeEvents(bytes).stream;
  assert.deepEqual(back.t, src.t);
  assert.deepEqual(back.x, src.x);
  assert.deepEqual(back.y, src.y);
  assert.deepEqual(back.p, src.p);
});

test("bad input: stray bytes, backwards time, coordinates outside an explicit sensor", () => {
  const good = sample("nmnist/tonic/sample_nmnist.bin");
  assert.throws(
    () => decodeEvents(good.subarray(0, 12), { format: "atis40", fileName: "x.bin" }),
    (e: unknown) =>
      e instanceof EventFormatError && e.offset === 10 && e.file === "x.bin" && /multiple of 5/.test(e.message),
  );
  const back = new Uint8Array([1, 1, 0, 0, 100, 1, 1, 0, 0, 50]);
  assert.throws(
    () => decodeEvents(back),
    (e: unknown) => e instanceof EventFormatError && e.offset === 5,
  );
  const kept = decodeEvents(back, { timeOrder: "keep" });
  assert.equal(kept.meta.timeSorted, false);
  assert.deepEqual(Array.from(kept.stream.t), [100, 50]);
  const sorted = decodeEvents(back, { timeOrder: "sort" });
  assert.equal(sorted.meta.timeSorted, false);
  assert.deepEqual(Array.from(sorted.stream.t), [50, 100]);
  assert.deepEqual(Array.from(sorted.stream.x), [1, 1]);
  assert.throws(
    () => decodeEvents(good, { sensor: { width: 20, height: 20, polarities: 2 } }),
    (e: unknown) => e instanceof EventFormatError && /outside the 20×20 sensor/.test(e.message),
  );
});

test("inspectRecording summarises format, sensor, counts, time span and first events", async () => {
  const { inspectRecording } = await import("../../src/events/inspect.js");
  const r = inspectRecording(decodeEvents(sample("nmnist/tonic/sample_nmnist.bin")), 3);
  assert.equal(r.format, "atis40");
  assert.equal(r.events, 4325);
  assert.equal(r.on, 2145);
  assert.equal(r.off, 4325 - 2145);
  assert.equal(r.tStart, 654);
  assert.equal(r.tEnd, 311175);
  assert.deepEqual(r.firstEvents[0], { t: 654, x: 7, y: 15, p: 1 });
  assert.equal(r.firstEvents.length, 3);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { createDecoder } from "../../src/events/decoders/registry.js";
import { EventFormatError } from "../../src/events/errors.js";
import { concatEventStreams } from "../../src/events/stream.js";
import { writeNpyEvents } from "../../src/events/writers/npy.js";
import { aedat2File, davis, dvs128, ev, randomChunks, sample } from "./helpers.js";

test("AEDAT 2.0 header-only sample: version, Davis346red chip, start time, no events", () => {
  const d = decodeEvents(sample("aedat2/tonic/sample_aedat_header.aedat"));
  assert.equal(d.format, "aedat2");
  assert.equal(d.stream.t.length, 0);
  assert.equal(d.meta.version, "2.0");
  assert.equal(d.meta.startTimeMs, 1695355587880);
  assert.equal(d.meta.chip, "eu.seebetter.ini.chips.davis.Davis346red");
  assert.deepEqual(d.stream.sensor, { width: 346, height: 260, polarities: 2 });
  assert.equal(d.sensorGuessed, false);
});

test("AEDAT 2.0 DVS128 layout (CIFAR10-DVS originals): raw jAER fields", () => {
  const bytes = aedat2File(
    ["#!AER-DAT2.0", "# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128"],
    [
      [dvs128(5, 7, 1), 100],
      [dvs128(127, 0, 0), 200],
      [dvs128(0, 127, 1), 300],
    ],
  );
  const d = decodeEvents(bytes);
  assert.deepEqual(ev(d.stream, 0), [5, 7, 100, 1]);
  assert.deepEqual(ev(d.stream, 1), [127, 0, 200, 0]);
  assert.deepEqual(ev(d.stream, 2), [0, 127, 300, 1]);
  assert.equal(d.sensorGuessed, false);
  const noChip = decodeEvents(aedat2File(["#!AER-DAT2.0"], [[dvs128(1, 2, 0), 5]]));
  assert.equal(noChip.meta.chipAssumed, true);
  assert.equal(noChip.sensorGuessed, true);
  assert.deepEqual(noChip.stream.sensor, { width: 128, height: 128, polarities: 2 });
});

test("AEDAT 2.0 DAVIS layout: APS samples dropped, an address starting with '#' is not eaten as header", () => {
  const pairs: [number, number][] = [
    [davis(10, 140, 1), 1000], // first byte 0x23 = '#'
    [0x80000000 | davis(3, 3, 0), 1001], // APS/IMU: dropped
    [davis(345, 259, 0), 1002],
  ];
  const bytes = aedat2File(["#!AER-DAT2.0", "# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C"], pairs);
  assert.equal(bytes[bytes.length - 24], 0x23);
  assert.throws(() => decodeEvents(bytes), /outside the 240×180 sensor/);
  const b346 = aedat2File(["#!AER-DAT2.0", "# AEChip: eu.seebetter.ini.chips.davis.Davis346blue"], pairs);
  const d = decodeEvents(b346);
  assert.equal(d.stream.t.length, 2);
  assert.deepEqual(ev(d.stream, 0), [10, 140, 1000, 1]);
  assert.deepEqual(ev(d.stream, 1), [345, 259, 1002, 0]);
  assert.equal(d.meta.nonDvsDropped, 1);
  const dec = createDecoder("aedat2");
  const parts = randomChunks(b346, 2, 5).map((c) => dec.push(c));
  parts.push(dec.end());
  assert.deepEqual(Array.from(concatEventStreams(parts).t), [1000, 1002]);
  assert.throws(() => decodeEvents(b346.subarray(0, b346.length - 1)), EventFormatError);
  const bad = aedat2File(["#!AER-DAT2.0", "# AEChip: some.OtherChip"], []);
  assert.throws(() => decodeEvents(bad), /no known address layout/);
});

test(".npy: writer round-trip (Tonic layout) and chunked decoding", () => {
  const s = decodeEvents(sample("nmnist/small/2.bs2")).stream;
  const bytes = writeNpyEvents(s);
  const d = decodeEvents(bytes);
  assert.equal(d.format, "npy");
  assert.deepEqual(d.stream.t, s.t);
  assert.deepEqual(d.stream.x, s.x);
  assert.deepEqual(d.stream.y, s.y);
  assert.deepEqual(d.stream.p, s.p);
  const dec = createDecoder("npy");
  const parts = randomChunks(bytes, 4, 333).map((c) => dec.push(c));
  parts.push(dec.end());
  assert.deepEqual(concatEventStreams(parts).t, s.t);
});

test(".npy: list descr in any field order, big-endian and float fields; bad headers and truncation", () => {
  const header =
    "{'descr': [('x', '>u2'), ('p', '|b1'), ('y', '>i4'), ('t', '>f8')], 'fortran_order': False, 'shape': (2,), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + " ".repeat(pad) + "\n";
  const rec = 2 + 1 + 4 + 8;
  const out = new Uint8Array(10 + h.length + 2 * rec);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  const dv = new DataView(out.buffer);
  const rows = [
    [3, 1, 4, 1.5e3],
    [9, 0, 2, 2e3],
  ];
  rows.forEach(([x, p, y, t], i) => {
    const r = 10 + h.length + i * rec;
    dv.setUint16(r, x!, false);
    dv.setUint8(r + 2, p!);
    dv.setInt32(r + 3, y!, false);
    dv.setFloat64(r + 7, t!, false);
  });
  const s = decodeEvents(out).stream;
  assert.deepEqual(ev(s, 0), [3, 4, 1500, 1]);
  assert.deepEqual(ev(s, 1), [9, 2, 2000, 0]);
  assert.throws(() => decodeEvents(out.subarray(0, out.length - 1)), /record 1 of 2/);
  const noT = out.slice();
  noT[10 + h.indexOf("'t'") + 1] = "q".charCodeAt(0);
  assert.throws(
    () => decodeEvents(noT),
    (e: unknown) => e instanceof EventFormatError && /fields t and x/.test(e.message),
  );
  const v9 = out.slice();
  v9[6] = 9;
  assert.throws(() => decodeEvents(v9), /version 9/);
});

test("AEDAT 2.0: a 32-bit timestamp wrap continues time; a small step back is an error", () => {
  const head = ["#!AER-DAT2.0", "# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128"];
  const wrapped = decodeEvents(
    aedat2File(head, [
      [dvs128(1, 1, 1), 4294967000],
      [dvs128(2, 2, 0), 100],
    ]),
  ).stream;
  assert.deepEqual(Array.from(wrapped.t), [4294967000, 4294967296 + 100]);
  const back = aedat2File(head, [
    [dvs128(1, 1, 1), 5000],
    [dvs128(2, 2, 0), 4000],
  ]);
  assert.throws(
    () => decodeEvents(back),
    (e: unknown) => e instanceof EventFormatError && /before the previous/.test(e.message),
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { lz4DecompressFrame } from "../../src/events/decoders/codecs.js";
import { createDecoder } from "../../src/events/decoders/registry.js";
import { EventFormatError } from "../../src/events/errors.js";
import { concatEventStreams } from "../../src/events/stream.js";
import { concatBytes, randomChunks, sample } from "./helpers.js";

const FILE = "aedat4/tonic/sample.aedat4";

test("AEDAT 4 sample (DVXplorer, LZ4): 111 954 events, 118 packets, times, first events, sensor", () => {
  const d = decodeEvents(sample(FILE));
  const s = d.stream;
  assert.equal(d.format, "aedat4");
  assert.equal(s.t.length, 111954);
  assert.equal(d.meta.packets, 118);
  assert.equal(d.meta.eventPackets, 59);
  assert.equal(d.meta.ioHeaderBytes, 2316);
  assert.equal(d.meta.fileDataPosition, 945243);
  assert.equal(d.meta.compression, "lz4");
  assert.equal(s.t[0], 1605537493718345);
  assert.equal(s.t[s.t.length - 1], 1605537494308262);
  assert.deepEqual([s.t[0], s.x[0], s.y[0], s.p[0]], [1605537493718345, 154, 204, 0]);
  assert.deepEqual([s.t[1], s.x[1], s.y[1], s.p[1]], [1605537493718348, 149, 206, 0]);
  assert.deepEqual([s.t[2], s.x[2], s.y[2], s.p[2]], [1605537493718349, 148, 199, 1]);
  assert.deepEqual(s.sensor, { width: 320, height: 240, polarities: 2 });
  let on = 0;
  for (let i = 0; i < s.p.length; i++) on += s.p[i]!;
  assert.equal(Math.round((on / s.t.length) * 10000) / 100, 49.15);
  const dec = createDecoder("aedat4");
  const parts = randomChunks(sample(FILE), 21, 40000).map((c) => dec.push(c));
  parts.push(dec.end());
  assert.deepEqual(concatEventStreams(parts).t, s.t);
});

/** A zstd frame made of raw blocks (valid zstd, written from RFC 8878 for the fixture). */
function zstdRaw(data: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  const B = 1 << 17;
  for (let o = 0; o < Math.max(1, data.length); o += B) {
    const chunk = data.subarray(o, Math.min(data.length, o + B));
    const last = o + B >= data.length ? 1 : 0;
    const h = (chunk.length << 3) | last;
    blocks.push(new Uint8Array([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), chunk);
  }
  const head = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0]);
  new DataView(head.buffer).setUint32(5, data.length, true);
  const parts = [head, ...blocks];
  return concatBytes(parts);
}

test("AEDAT 4 with zstd packets (the sample re-packed) decodes to the same events", () => {
  const src = sample(FILE);
  const dv = new DataView(src.buffer, src.byteOffset);
  const ioLen = dv.getUint32(14, true);
  const io = src.slice(18, 18 + ioLen);
  const iov = new DataView(io.buffer);
  const root = iov.getUint32(0, true);
  const vt = root - iov.getInt32(root, true);
  const fComp = root + iov.getUint16(vt + 4, true);
  const fPos = root + iov.getUint16(vt + 6, true);
  iov.setInt32(fComp, 3, true);
  const dataPos = Number(iov.getBigInt64(fPos, true));
  const packets: Uint8Array[] = [];
  let pos = 18 + ioLen;
  while (pos < dataPos) {
    const len = dv.getUint32(pos + 4, true);
    const plain = lz4DecompressFrame(src.subarray(pos + 8, pos + 8 + len));
    const z = zstdRaw(plain);
    const p = new Uint8Array(8 + z.length);
    p.set(src.subarray(pos, pos + 4));
    new DataView(p.buffer).setUint32(4, z.length, true);
    p.set(z, 8);
    packets.push(p);
    pos += 8 + len;
  }
  const total = packets.reduce((a, p) => a + p.length, 0);
  iov.setBigInt64(fPos, BigInt(18 + ioLen + total), true);
  const out = new Uint8Array(18 + ioLen + total);
  out.set(src.subarray(0, 18));
  out.set(io, 18);
  let k = 18 + ioLen;
  for (const p of packets) {
    out.set(p, k);
    k += p.length;
  }
  const d = decodeEvents(out);
  assert.equal(d.meta.compression, "zstd");
  const ref = decodeEvents(src).stream;
  assert.deepEqual(d.stream.t, ref.t);
  assert.deepEqual(d.stream.x, ref.x);
  assert.deepEqual(d.stream.p, ref.p);
});

test("AEDAT 4 bad input: truncated packet, corrupt LZ4 data, impossible packet length", () => {
  const src = sample(FILE);
  assert.throws(
    () => decodeEvents(src.subarray(0, 5000)),
    (e: unknown) => e instanceof EventFormatError && /packet/.test(e.message),
  );
  const pkt = 18 + 2316;
  const bad = src.slice();
  bad[pkt + 4 + 3] = 0x7f; // length ~2 GB
  assert.throws(
    () => decodeEvents(bad),
    (e: unknown) => e instanceof EventFormatError && e.offset === pkt + 4,
  );
  const flip = src.slice();
  flip[pkt + 8 + 1] ^= 0xff; // LZ4 magic of the first packet
  assert.throws(() => decodeEvents(flip), /cannot decompress packet/);
});

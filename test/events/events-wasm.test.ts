/**
 * The decoders' wasm loops against their JS twins: the same events, meta and errors (message and offset) on real
 * files, random inputs, chunked pushes, truncations and bit flips.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import lz4 from "lz4js";
import { lz4DecompressFrame, lz4DecompressFrameWasm, lz4DecompressPairWasm } from "../../src/events/decoders/codecs.js";
import { EVENTS_WASM_BASE64 } from "../../src/events/decoders/events-wasm-bytes.js";
import { eventsWasm, useEventsWasm } from "../../src/events/decoders/events-wasm.js";
import { createDecoder } from "../../src/events/decoders/registry.js";
import type { DecoderOptions, EventFormat } from "../../src/events/decoders/types.js";
import { concatEventStreams, type EventStream, type SensorSize } from "../../src/events/stream.js";
import { type FrameSpec, toFrames } from "../../src/events/transforms/frames.js";
import { Rng } from "../../src/util/rng.js";
import { writeAedat31 } from "../../src/events/writers/aedat3.js";
import { writeNpyEvents } from "../../src/events/writers/npy.js";
import { concatBytes, sample } from "./helpers.js";

/** Decodes in chunks of `chunk` bytes (0: whole) with the wasm loops on or off: events and meta, or the error. */
function run(bytes: Uint8Array, format: EventFormat, wasm: boolean, chunk = 0, opts: DecoderOptions = {}): unknown {
  const was = useEventsWasm(wasm);
  try {
    const dec = createDecoder(format, opts);
    const parts = [];
    const step = chunk > 0 ? chunk : bytes.length;
    for (let i = 0; i < bytes.length; i += step) parts.push(dec.push(bytes.subarray(i, i + step)));
    parts.push(dec.end());
    const s = concatEventStreams(parts, dec.sensorInfo().sensor);
    return { t: [...s.t], x: [...s.x], y: [...s.y], p: [...s.p], sensor: dec.sensorInfo(), meta: dec.meta() };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).name };
  } finally {
    useEventsWasm(was);
  }
}

function sameBothWays(bytes: Uint8Array, format: EventFormat, what: string, chunk = 0, opts: DecoderOptions = {}) {
  assert.deepEqual(run(bytes, format, true, chunk, opts), run(bytes, format, false, chunk, opts), what);
}

test("the embedded wasm bytes are build/events.wasm, and the module loads in Node", () => {
  const built = readFileSync(new URL("../../../build/events.wasm", import.meta.url));
  assert.equal(EVENTS_WASM_BASE64, built.toString("base64"), "run npm run build:wasm");
  assert.notEqual(eventsWasm(), null);
  const was = useEventsWasm(false);
  assert.equal(eventsWasm(), null);
  useEventsWasm(was);
});

/** Bytes with short literals and repeats at 16-byte strides, as in event packets, plus runs and far repeats. */
function packetLike(size: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; ) {
    const kind = rng.int(5);
    const len = Math.min(size - i, kind === 4 ? 1 + rng.int(400) : 1 + rng.int(24));
    if (kind === 0 || i < 64) for (let k = 0; k < len; k++) out[i + k] = rng.int(256);
    else if (kind === 1) out.fill(rng.int(256), i, i + len);
    else {
      const back = kind === 2 ? 16 * (1 + rng.int(4)) : 1 + rng.int(Math.min(i, 70000) - 1);
      for (let k = 0; k < len; k++) out[i + k] = out[i - back + k]!;
    }
    i += len;
  }
  return out;
}

test("LZ4 in wasm decodes what lz4js compressed, byte for byte, and fails like the JS decoder", () => {
  const wasm = eventsWasm()!;
  const rng = new Rng(16);
  for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 200, 5000, 70000, 300000]) {
    const plain = packetLike(size, rng);
    const frame = lz4.compress(plain);
    const n = lz4DecompressFrameWasm(frame, wasm, wasm.heap);
    assert.equal(n, size);
    assert.deepEqual(wasm.u8.slice(wasm.heap, wasm.heap + n), plain, `size ${size}`);
  }
  const frame = lz4.compress(packetLike(20000, rng));
  let thrown = 0;
  for (let trial = 0; trial < 400; trial++) {
    const bad = frame.slice(0, trial % 2 ? frame.length : 7 + rng.int(frame.length - 7));
    for (let f = 0; f < 1 + rng.int(4); f++) bad[7 + rng.int(bad.length - 7)]! ^= 1 << rng.int(8);
    const outcome = (decode: () => Uint8Array) => {
      try {
        return decode();
      } catch (e) {
        return (e as Error).message;
      }
    };
    const js = outcome(() => lz4DecompressFrame(bad).slice());
    const inWasm = outcome(() => {
      const n = lz4DecompressFrameWasm(bad, wasm, wasm.heap);
      return wasm.u8.slice(wasm.heap, wasm.heap + n);
    });
    assert.deepEqual(inWasm, js, `trial ${trial}`);
    if (typeof js === "string") thrown++;
  }
  assert.ok(thrown > 100);
});

test("LZ4 frame pairs in wasm (lz4Pair) give each frame's bytes or error as the JS decoder does", () => {
  const wasm = eventsWasm()!;
  const rng = new Rng(21);
  const outcome = (decode: () => Uint8Array) => {
    try {
      return decode();
    } catch (e) {
      return (e as Error).message;
    }
  };
  let paired = 0;
  let failed = 0;
  for (let trial = 0; trial < 300; trial++) {
    // sizes around the fast loops' 64-byte margins, long literals and matches, runs (offsets < 16), far repeats
    const frames = [0, 1].map(() => {
      const size = [0, 17, 64, 65, 130, 300, 1000, 5000, 40000][rng.int(9)]!;
      const f = lz4.compress(packetLike(size, rng));
      if (rng.int(4) > 0) return f;
      const bad = f.slice(0, rng.int(2) ? f.length : 7 + rng.int(f.length - 7));
      for (let k = 0; k < 1 + rng.int(3); k++) bad[11 + rng.int(Math.max(1, bad.length - 11))]! ^= 1 << rng.int(8);
      return bad;
    });
    const got = lz4DecompressPairWasm(frames[0]!, frames[1]!, wasm, wasm.heap);
    assert.equal(got.length, 2);
    got.forEach((g, i) => {
      const js = outcome(() => lz4DecompressFrame(frames[i]!).slice());
      assert.deepEqual(
        g instanceof Error ? g.message : wasm.u8.slice(g.at, g.at + g.n),
        js,
        `trial ${trial} frame ${i}`,
      );
      if (typeof js === "string") failed++;
    });
    // both decoded in one lz4Pair call when each is a single compressed block (block word without the raw bit)
    if (frames.every((f) => f.length > 11 && (f[10]! & 0x80) === 0 && f[7]! + f[8]! + f[9]! > 0)) paired++;
  }
  assert.ok(paired > 40 && failed > 30, `${paired} paired, ${failed} failed`);
  const one = lz4.compress(packetLike(3000, rng));
  const alone = lz4DecompressPairWasm(one, null, wasm, wasm.heap);
  assert.equal(alone.length, 1);
  assert.deepEqual(alone[0], { at: wasm.heap, n: 3000 });
});

/**
 * The AEDAT 4 sample with the structs of its event packets edited (decompressed, changed by `edit`, compressed
 * again by lz4js); file_data_position is cleared, so the packets run to the end of the file.
 */
function editedAedat4(edit: (structs: DataView, n: number) => void): Uint8Array {
  const src = sample("aedat4/tonic/sample.aedat4");
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const ioLen = dv.getUint32(14, true);
  const io = src.slice(18, 18 + ioLen);
  const iov = new DataView(io.buffer);
  const root = iov.getUint32(0, true);
  const vt = root - iov.getInt32(root, true);
  const fPos = root + iov.getUint16(vt + 6, true);
  const dataPos = Number(iov.getBigInt64(fPos, true));
  iov.setBigInt64(fPos, -1n, true);
  const parts: Uint8Array[] = [src.subarray(0, 18), io];
  for (let pos = 18 + ioLen; pos < dataPos; ) {
    const len = dv.getUint32(pos + 4, true);
    const packet = src.subarray(pos, pos + 8 + len);
    pos += 8 + len;
    if (dv.getInt32(packet.byteOffset - src.byteOffset, true) !== 0) {
      parts.push(packet);
      continue;
    }
    const plain = lz4DecompressFrame(packet.subarray(8)).slice();
    const p = new DataView(plain.buffer);
    const table = 4 + p.getUint32(4, true);
    const field = table + p.getUint16(table - p.getInt32(table, true) + 4, true);
    const vec = field + p.getUint32(field, true);
    edit(new DataView(plain.buffer, vec + 4), p.getUint32(vec, true));
    const frame = lz4.compress(plain);
    const head = new Uint8Array(8);
    head.set(packet.subarray(0, 4));
    new DataView(head.buffer).setUint32(4, frame.length, true);
    parts.push(head, frame);
  }
  return concatBytes(parts);
}

test("AEDAT 4 with edited events (time going back, big timestamps, odd polarity bytes, off-sensor) agrees", () => {
  const rng = new Rng(8);
  for (let trial = 0; trial < 8; trial++) {
    const bytes = editedAedat4((s, n) => {
      // even trials: only packets that start before the previous one ended (time order holds across packets)
      if (trial % 2 === 0) {
        if (n > 0 && rng.int(8) === 0) s.setBigInt64(0, s.getBigInt64(0, true) - 200000n, true);
        return;
      }
      for (let i = 0; i < n; i++) {
        const o = 16 * i;
        const r = rng.int(1000);
        if (r < 5) s.setBigInt64(o, s.getBigInt64(o, true) - BigInt(1 + rng.int(3)), true);
        else if (r < 7)
          s.setBigInt64(o, (1n << 60n) + BigInt(rng.int(5000)), true); // past 2^53: rounded
        else if (r < 40) s.setUint8(o + 12, rng.int(256));
        else if (r < 41 && trial === 7)
          s.setInt16(o + 8 + 2 * rng.int(2), rng.int(2) ? -1 - rng.int(9) : 240 + rng.int(400), true);
      }
    });
    for (const timeOrder of ["keep", "strict"] as const) {
      sameBothWays(bytes, "aedat4", `trial ${trial} ${timeOrder}`, 0, { timeOrder });
      sameBothWays(bytes, "aedat4", `trial ${trial} ${timeOrder}, 100 kB chunks`, 100000, { timeOrder });
    }
    if (trial === 0) {
      const keep = run(bytes, "aedat4", true, 0, { timeOrder: "keep" }) as {
        t: number[];
        meta: { timeSorted: boolean };
      };
      assert.ok(keep.t.length > 100000 && keep.meta.timeSorted === false);
    }
  }
});

test("AEDAT 4 and EVT 3.0 samples: wasm and JS give the same events and meta, whole and in odd chunks", () => {
  for (const [format, rel] of [
    ["aedat4", "aedat4/tonic/sample.aedat4"],
    ["evt3", "prophesee/expelliarmus/evt3_sample.raw"],
  ] as const) {
    const bytes = sample(rel);
    const whole = run(bytes, format, true) as { t: number[] };
    assert.ok(whole.t.length > 100000, `${rel} decodes`);
    sameBothWays(bytes, format, rel);
    sameBothWays(bytes, format, `${rel} in 4093-byte chunks`, 4093);
  }
});

test("wasm and JS twins agree on truncated and bit-flipped AEDAT 4 and EVT 3.0 files (events or the same error)", () => {
  const rng = new Rng(99);
  const a4 = sample("aedat4/tonic/sample.aedat4");
  const evt3 = sample("prophesee/expelliarmus/evt3_sample.raw");
  for (const [format, base] of [
    ["aedat4", a4.subarray(0, 60000)],
    ["evt3", evt3.subarray(0, 20000)],
  ] as const) {
    let errors = 0;
    for (let k = 0; k < 60; k++) {
      const bad = base.slice(0, k % 2 ? base.length : rng.int(base.length));
      for (let f = 0; f < 1 + rng.int(3); f++) bad[rng.int(bad.length)]! ^= 1 << rng.int(8);
      const opts: DecoderOptions = { timeOrder: k % 3 === 0 ? "keep" : "strict" };
      const out = run(bad, format, true, 0, opts);
      if ("error" in (out as object)) errors++;
      assert.deepEqual(out, run(bad, format, false, 0, opts), `${format} mutation ${k}`);
    }
    assert.ok(errors > 0, `${format}: some mutations are rejected`);
  }
});

test("EVT 3.0: random word streams (every word type, time going back, rows off the sensor) agree", () => {
  const rng = new Rng(3);
  const header = new TextEncoder().encode("% evt 3.0\n% format EVT3;height=64;width=96\n% end\n");
  const types = [0x0, 0x2, 0x2, 0x2, 0x3, 0x4, 0x5, 0x6, 0x8, 0x7, 0xa, 0xe];
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + rng.int(3000);
    const words = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const type = trial % 4 === 3 && rng.int(200) === 0 ? 0x1 : types[rng.int(types.length)]!;
      // small payloads keep most coordinates on the 96×64 sensor; some rows and x land outside it
      const payload = type === 0x4 || type === 0x5 || type >= 0x6 ? rng.int(4096) : rng.int(100) | (rng.int(2) << 11);
      words[i] = (type << 12) | payload;
    }
    const bytes = new Uint8Array(header.length + 2 * n);
    bytes.set(header);
    bytes.set(new Uint8Array(words.buffer), header.length);
    for (const timeOrder of ["strict", "keep"] as const) {
      sameBothWays(bytes, "evt3", `trial ${trial} ${timeOrder}`, 0, { timeOrder });
      sameBothWays(bytes, "evt3", `trial ${trial} ${timeOrder}, no sensor`, 0, {
        timeOrder,
        sensor: { width: 2048, height: 2048, polarities: 2 },
      });
    }
  }
});

/**
 * An EVT 3.0 stream shaped like a sensor's (rows of ADDR_X, VECT_BASE_X + VECT_12 + VECT_12 + VECT_8 groups, time
 * words, padding) of about `words` words, with `faults` rule breakers dropped in at random places.
 */
function sensorLikeEvt3(words: number, faults: number, rng: Rng): Uint8Array {
  const header = new TextEncoder().encode("% evt 3.0\n% format EVT3;height=480;width=640\n% end\n");
  const w: number[] = [];
  let time = 0;
  while (w.length < words) {
    const r = rng.int(20);
    if (r < 2) {
      time += rng.int(300);
      w.push(0x8000 | ((time >> 12) & 0xfff), 0x6000 | (time & 0xfff));
    } else if (r < 3) {
      time += rng.int(4096 - (time & 0xfff)); // TIME_LOW alone, never past its TIME_HIGH
      w.push(0x6000 | (time & 0xfff));
    } else if (r < 4) w.push([0x7000, 0xa000, 0xe000, 0xf000][rng.int(4)]! | rng.int(4096));
    else {
      w.push(rng.int(480) | (rng.int(2) << 11));
      for (let k = rng.int(6); k > 0; k--) {
        if (rng.int(4) === 0) {
          const mask = () => (rng.int(3) === 0 ? 1 << rng.int(12) : rng.int(3) === 0 ? 0 : rng.int(4096));
          w.push(0x3000 | rng.int(640 - 32) | (rng.int(2) << 11), 0x4000 | mask(), 0x4000 | mask());
          w.push(0x5000 | (mask() & 0xff));
        } else w.push(0x2000 | rng.int(640) | (rng.int(2) << 11));
      }
    }
  }
  for (let f = 0; f < faults; f++) {
    const at = rng.int(w.length);
    const kind = rng.int(5);
    if (kind === 0)
      w[at] = 0x1000 | rng.int(4096); // undefined type
    else if (kind === 1)
      w[at] = 480 + rng.int(100); // a row off the sensor
    else if (kind === 2)
      w[at] = 0x2000 | (640 + rng.int(100)); // x off the sensor
    else if (kind === 3)
      w[at] = 0x3000 | (640 - 8 + rng.int(8)); // a vector group reaching past the width
    else w[at] = 0x6000; // time going back
  }
  const bytes = new Uint8Array(header.length + 2 * w.length);
  bytes.set(header);
  bytes.set(new Uint8Array(Uint16Array.from(w).buffer), header.length);
  return bytes;
}

test("EVT 3.0: long sensor-like streams (the fast wasm loop, its vector groups, its slices) agree with JS", () => {
  const rng = new Rng(31);
  for (let trial = 0; trial < 24; trial++) {
    // past one wasm slice (32 K words), with none, one or a few rule breakers
    const bytes = sensorLikeEvt3(20000 + rng.int(60000), trial % 3 === 0 ? 0 : rng.int(4), rng);
    for (const timeOrder of ["strict", "keep"] as const) {
      const out = run(bytes, "evt3", true, 0, { timeOrder });
      if (trial % 3 === 0 && timeOrder === "strict")
        assert.ok(!("error" in (out as object)), `trial ${trial}: ${JSON.stringify(out).slice(0, 200)}`);
      assert.deepEqual(out, run(bytes, "evt3", false, 0, { timeOrder }), `trial ${trial} ${timeOrder}`);
    }
    sameBothWays(bytes, "evt3", `trial ${trial} in 9999-byte chunks`, 9999, { timeOrder: "keep" });
  }
});

/** A DAT file of n records on a 304×240 sensor header: time rising with 32-bit wraps, some `faults` records bad. */
function datLike(n: number, faults: number, rng: Rng, withSensor: boolean): Uint8Array {
  const header = new TextEncoder().encode(`% Data file\n${withSensor ? "% Height 240\n% Width 304\n" : ""}`);
  const words = new Uint32Array(2 * n);
  let t = rng.int(2) ? 4294967296 - 50 * n : rng.int(1000);
  for (let i = 0; i < n; i++) {
    t += rng.int(100);
    words[2 * i] = t % 4294967296; // wraps past 2^32 µs in some streams
    words[2 * i + 1] = (rng.int(304) | (rng.int(240) << 14) | ((rng.int(3) === 0 ? 0 : 1 + rng.int(15)) << 28)) >>> 0;
  }
  for (let f = 0; f < faults; f++) {
    const i = rng.int(n);
    const kind = rng.int(3);
    if (kind === 0)
      words[2 * i] = (words[2 * i]! - 1 - rng.int(5000)) >>> 0; // time going back
    else if (kind === 1) words[2 * i + 1] = (words[2 * i + 1]! & ~0x3fff) | (304 + rng.int(100));
    else words[2 * i + 1] = ((words[2 * i + 1]! & ~(0x3fff << 14)) | ((240 + rng.int(100)) << 14)) >>> 0;
  }
  const bytes = new Uint8Array(header.length + 2 + 8 * n);
  bytes.set(header);
  bytes.set([0x0c, 8], header.length);
  bytes.set(new Uint8Array(words.buffer), header.length + 2);
  return bytes;
}

test("DAT: the wasm loop agrees with JS (wraps, time going back, records off the sensor, slices, chunks)", () => {
  const rng = new Rng(8);
  let errors = 0;
  for (let trial = 0; trial < 30; trial++) {
    const bytes = datLike(1 + rng.int(80000), trial % 3 === 0 ? 0 : 1 + rng.int(3), rng, trial % 2 === 0);
    for (const timeOrder of ["strict", "keep"] as const) {
      const out = run(bytes, "dat", true, trial % 4 === 1 ? 65537 : 0, { timeOrder });
      if ("error" in (out as object)) errors++;
      assert.deepEqual(out, run(bytes, "dat", false, trial % 4 === 1 ? 65537 : 0, { timeOrder }), `trial ${trial}`);
    }
  }
  assert.ok(errors > 10, `${errors} decodes rejected`);
  sameBothWays(sample("prophesee/tonic/sample_ncars.dat"), "dat", "N-CARS sample");
});

/**
 * n ATIS 40-bit records, x < 40 and y < 36 (some past N-MNIST's 34), with overflow records (y 240) among them and
 * `faults` records whose time goes back; times are the 23-bit field, rising until it would pass 2^23.
 */
function atisLike(n: number, faults: number, rng: Rng): Uint8Array {
  const b = new Uint8Array(5 * n);
  let t = rng.int(1000);
  for (let i = 0; i < n; i++) {
    const o = 5 * i;
    if (rng.int(400) === 0) {
      b.set([rng.int(256), 240, rng.int(256), rng.int(256), rng.int(256)], o);
      continue;
    }
    t = Math.min(t + rng.int(60), (1 << 23) - 1);
    const tt = faults > 0 && rng.int(n) < faults ? Math.max(0, t - 1 - rng.int(3000)) : t;
    b.set([rng.int(40), rng.int(36), (rng.int(2) << 7) | (tt >> 16), (tt >> 8) & 255, tt & 255], o);
  }
  return b;
}

test("ATIS 40-bit: the wasm loop agrees with JS (overflow records, time going back, sensor limits, chunks)", () => {
  const rng = new Rng(40);
  let errors = 0;
  for (let trial = 0; trial < 30; trial++) {
    const bytes = atisLike(1 + rng.int(80000), trial % 3 === 0 ? 0 : 1 + rng.int(4), rng);
    // with a 34×34 sensor given, records at x or y 34..39 are off the sensor
    const sensor = trial % 4 === 2 ? { sensor: { width: 34, height: 34, polarities: 2 } } : {};
    for (const timeOrder of ["strict", "keep"] as const) {
      const chunk = trial % 4 === 1 ? 65537 : 0;
      const out = run(bytes, "atis40", true, chunk, { timeOrder, ...sensor });
      if ("error" in (out as object)) errors++;
      assert.deepEqual(out, run(bytes, "atis40", false, chunk, { timeOrder, ...sensor }), `trial ${trial}`);
    }
  }
  assert.ok(errors > 10, `${errors} decodes rejected`);
  sameBothWays(sample("nmnist/small/3.bs2"), "atis40", "N-MNIST sample");
  sameBothWays(sample("nmnist/small/3.bs2"), "atis40", "N-MNIST sample, 999-byte chunks", 999);
});

/**
 * An AEDAT 3.1 file of polarity packets (sizes 1..5000, some with spare capacity, an IMU packet among them) from a
 * DVS128 or an unnamed source: times rising with the overflow count growing, some events invalid, and `faults`
 * events with time going back, off the sensor or a negative timestamp.
 */
function aedat3Like(n: number, faults: number, rng: Rng, named: boolean): Uint8Array {
  const parts: Uint8Array[] = [
    new TextEncoder().encode(`#!AER-DAT3.1\r\n${named ? "#Source 1: DVS128\r\n" : ""}#!END-HEADER\r\n`),
  ];
  let overflow = rng.int(3);
  let ts = rng.int(1000);
  for (let done = 0; done < n; ) {
    if (rng.int(8) === 0) {
      const imu = new Int32Array(7 + 2 * 13);
      imu.set([2 | (1 << 16), 52, 4, overflow, 1, 1, 1]); // type 2, 52-byte events: skipped
      parts.push(new Uint8Array(imu.buffer, 0, 28 + 52));
    }
    const number = Math.min(n - done, 1 + rng.int(5000));
    const capacity = number + (rng.int(3) === 0 ? rng.int(50) : 0);
    const words = new Int32Array(7 + 2 * capacity);
    if (rng.int(6) === 0) {
      overflow++;
      ts = rng.int(100);
    }
    let valid = 0;
    for (let e = 0; e < number; e++) {
      ts = Math.min(ts + rng.int(40), 0x7fffffff);
      const on = rng.int(10) === 0 ? 0 : 1;
      valid += on;
      let x = rng.int(128);
      let y = rng.int(128);
      let t = ts;
      if (faults > 0 && rng.int(n) < faults) {
        const kind = rng.int(3);
        if (kind === 0) t = Math.max(0, ts - 1 - rng.int(500));
        else if (kind === 1) [x, y] = rng.int(2) ? [128 + rng.int(50), y] : [x, 128 + rng.int(50)];
        else t = -1 - rng.int(1000);
      }
      words[7 + 2 * e] = (x << 17) | (y << 2) | (rng.int(2) << 1) | on;
      words[8 + 2 * e] = t;
    }
    words.set([1 | (1 << 16), 8, 4, overflow, capacity, number, valid]);
    parts.push(new Uint8Array(words.buffer));
    done += number;
  }
  return concatBytes(parts);
}

test("AEDAT 3.1: the wasm loop agrees with JS (invalid events, overflow, time going back, off-sensor, chunks)", () => {
  const rng = new Rng(31);
  let errors = 0;
  for (let trial = 0; trial < 30; trial++) {
    const bytes = aedat3Like(1 + rng.int(60000), trial % 3 === 0 ? 0 : 1 + rng.int(4), rng, trial % 2 === 0);
    for (const timeOrder of ["strict", "keep"] as const) {
      const chunk = trial % 4 === 1 ? 65537 : 0;
      const out = run(bytes, "aedat3", true, chunk, { timeOrder });
      if ("error" in (out as object)) errors++;
      assert.deepEqual(out, run(bytes, "aedat3", false, chunk, { timeOrder }), `trial ${trial}`);
    }
  }
  assert.ok(errors > 10, `${errors} decodes rejected`);
  // real events: a DVS128 Gesture clip (.bs2) written as AEDAT 3.1
  const events = run(sample("dvs_gesture/slayerPytorch_binarySpikeTestFiles/1.bs2"), "atis40", false) as {
    t: number[];
    x: number[];
    y: number[];
    p: number[];
  };
  const clip = writeAedat31(
    {
      t: Float64Array.from(events.t),
      x: Uint16Array.from(events.x),
      y: Uint16Array.from(events.y),
      p: Uint8Array.from(events.p),
      sensor: { width: 128, height: 128, polarities: 2 },
    },
    { eventsPerPacket: 3000 },
  );
  sameBothWays(clip, "aedat3", "DVS128 Gesture clip");
  sameBothWays(clip, "aedat3", "DVS128 Gesture clip, 99 999-byte chunks", 99999);
});

test(".npy: wasm and JS twins agree on real events, chunked, truncated and bit-flipped", () => {
  const rng = new Rng(5);
  const s = run(sample("nmnist/small/3.bs2"), "atis40", false) as {
    t: number[];
    x: number[];
    y: number[];
    p: number[];
  };
  const n = Math.min(3000, s.t.length);
  const stream = {
    t: Float64Array.from(s.t.slice(0, n)),
    x: Uint16Array.from(s.x.slice(0, n)),
    y: Uint16Array.from(s.y.slice(0, n)),
    p: Uint8Array.from(s.p.slice(0, n)),
    sensor: { width: 34, height: 34, polarities: 2 },
  };
  const base = writeNpyEvents(stream);
  sameBothWays(base, "npy", "whole");
  sameBothWays(base, "npy", "in 1001-byte chunks", 1001);
  let errors = 0;
  for (let k = 0; k < 80; k++) {
    const bad = base.slice(0, k % 2 ? base.length : rng.int(base.length));
    for (let f = 0; f < 1 + rng.int(3); f++) bad[128 + rng.int(bad.length - 128)]! ^= 1 << rng.int(8);
    const opts: DecoderOptions = {
      timeOrder: k % 3 === 0 ? "keep" : "strict",
      ...(k % 4 === 0 ? { sensor: { width: 34, height: 34, polarities: 2 } } : {}),
    };
    const out = run(bad, "npy", true, k % 5 === 0 ? 777 : 0, opts);
    if ("error" in (out as object)) errors++;
    assert.deepEqual(out, run(bad, "npy", false, k % 5 === 0 ? 777 : 0, opts), `mutation ${k}`);
  }
  assert.ok(errors > 0 && errors < 80);
});

/** toFrames with the wasm loop on or off: the frames and shape, or the error and what `into` then holds. */
function framesBothWays(ev: EventStream, spec: FrameSpec, sensor: SensorSize, wasm: boolean, into?: Float32Array) {
  const was = useEventsWasm(wasm);
  try {
    const f = toFrames(ev, spec, sensor, into);
    return { data: Array.from(f.data), shape: f.shape };
  } catch (e) {
    return { error: (e as Error).message, into: into ? Array.from(into) : null };
  } finally {
    useEventsWasm(was);
  }
}

test("frames: the wasm loop counts what the JS loop counts (every mode, 1 or 2 polarities, reused buffers, off-sensor)", () => {
  const rng = new Rng(77);
  const specs: FrameSpec[] = [
    { mode: "timeWindow", dt: 900, frames: 7, tStart: 0 },
    { mode: "timeWindow", dt: 1500, overlap: 500, includeIncomplete: true },
    { mode: "timeBins", bins: 5 },
    { mode: "eventBins", bins: 4 },
    { mode: "eventCount", count: 300, overlap: 100 },
  ];
  for (let trial = 0; trial < 24; trial++) {
    const n = rng.int(3000);
    const W = 1 + rng.int(40);
    const H = 1 + rng.int(30);
    let t = 0;
    const ev: EventStream = {
      t: Float64Array.from({ length: n }, () => (t += rng.int(10))),
      x: Uint16Array.from({ length: n }, () => rng.int(W)),
      y: Uint16Array.from({ length: n }, () => rng.int(H)),
      p: Uint8Array.from({ length: n }, () => rng.int(3)),
      sensor: { width: W, height: H, polarities: 2 },
    };
    const sensor = { width: W, height: H, polarities: trial % 3 === 0 ? 1 : 2 };
    if (trial % 5 === 4 && n > 0) ev.x[rng.int(n)] = W + rng.int(5); // off the sensor
    for (const spec of specs) {
      const tag = `trial ${trial} ${spec.mode}`;
      assert.deepEqual(framesBothWays(ev, spec, sensor, true), framesBothWays(ev, spec, sensor, false), tag);
      // a reused buffer with other values in it (longer than needed)
      const junk = () => Float32Array.from({ length: 40 * 2 * W * H }, (_, i) => i % 7);
      assert.deepEqual(
        framesBothWays(ev, spec, sensor, true, junk()),
        framesBothWays(ev, spec, sensor, false, junk()),
        `${tag} into`,
      );
    }
  }
});

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { createDecoder } from "../../src/events/decoders/registry.js";
import type { EventFormat } from "../../src/events/decoders/types.js";
import { propheseeHeaderLines } from "../../src/events/detect.js";
import { EventFormatError } from "../../src/events/errors.js";
import { openShd } from "../../src/events/shd-node.js";
import { writeAedat31 } from "../../src/events/writers/aedat3.js";
import { writeNpyEvents } from "../../src/events/writers/npy.js";
import { Rng } from "../../src/util/rng.js";
import { aedat2File, davis, sample, samplePath } from "./helpers.js";
import { AEDAT31_VECTOR, EVT2_VECTOR } from "./vectors.js";

// 1000 truncations + 1000 bit-flip sets per seed input
const TRIES = 1000;

/** Small but real inputs per decoder, so thousands of mutations stay cheap. */
function seeds(): [EventFormat, Uint8Array][] {
  const nm = sample("nmnist/small/3.bs2").subarray(0, 1000);
  const small = decodeEvents(nm).stream;
  const a4 = sample("aedat4/tonic/sample.aedat4");
  // magic + ioheader + the first packet
  let end = 18 + new DataView(a4.buffer, a4.byteOffset).getUint32(14, true);
  for (let k = 0; k < 1; k++) end += 8 + new DataView(a4.buffer, a4.byteOffset).getUint32(end + 4, true);
  const evt3 = sample("prophesee/expelliarmus/evt3_sample.raw");
  const headerLen = (b: Uint8Array) => propheseeHeaderLines(b.subarray(0, 4096)).reduce((a, l) => a + l.length + 1, 0);
  const headerEnd = headerLen(evt3);
  const datAll = sample("prophesee/tonic/sample_ncars.dat");
  const dat = datAll.subarray(0, headerLen(datAll) + 2 + 8 * 60);
  const aedat2 = aedat2File(
    ["#!AER-DAT2.0", "# AEChip: eu.seebetter.ini.chips.davis.Davis346red"],
    [
      [davis(10, 140, 1), 1000],
      [0x80000000 | davis(3, 3, 0), 1001],
      [davis(345, 259, 0), 1002],
      [davis(0, 0, 1), 1003],
    ],
  );
  return [
    ["atis40", nm],
    ["aedat3", AEDAT31_VECTOR],
    ["aedat3", writeAedat31(small, { eventsPerPacket: 37 })],
    ["aedat2", aedat2],
    ["aedat4", a4.slice(0, end)],
    ["evt2", EVT2_VECTOR],
    ["evt3", evt3.slice(0, headerEnd + 1200)],
    ["dat", dat],
    [
      "npy",
      writeNpyEvents({
        ...small,
        t: small.t.subarray(0, 60),
        x: small.x.subarray(0, 60),
        y: small.y.subarray(0, 60),
        p: small.p.subarray(0, 60),
      }),
    ],
  ];
}

/** Decodes and checks the output's invariants; returns "ok" or "error" (EventFormatError); anything else fails. */
function attempt(bytes: Uint8Array, format: EventFormat | undefined, chunked: boolean): "ok" | "error" {
  try {
    let stream: { t: Float64Array; x: Uint16Array; y: Uint16Array } & { sensor: { width: number; height: number } };
    let guessed: boolean;
    if (chunked && format) {
      const dec = createDecoder(format);
      let count = 0;
      for (let i = 0; i < bytes.length; i += 97) count += dec.push(bytes.subarray(i, i + 97)).t.length;
      count += dec.end().t.length;
      assert.ok(count >= 0);
      return "ok";
    }
    const d = decodeEvents(bytes, format ? { format } : {});
    stream = d.stream;
    guessed = d.sensorGuessed;
    for (let i = 0; i < stream.t.length; i++) {
      assert.ok(Number.isFinite(stream.t[i]!), "finite time");
      if (i > 0) assert.ok(stream.t[i]! >= stream.t[i - 1]!, "time sorted in strict mode");
      if (!guessed) {
        const inside = stream.x[i]! < stream.sensor.width && stream.y[i]! < stream.sensor.height;
        assert.ok(inside, `${d.format}: (${stream.x[i]}, ${stream.y[i]}) inside ${JSON.stringify(stream.sensor)}`);
      }
    }
    return "ok";
  } catch (e) {
    if (e instanceof EventFormatError) return "error";
    throw e;
  }
}

test("fuzz: random truncations and bit flips give events or EventFormatError, nothing else", () => {
  const rng = new Rng(2024);
  for (const [format, base] of seeds()) {
    assert.equal(attempt(base, format, false), "ok", `${format} seed decodes`);
    const tally = { ok: 0, error: 0 };
    const t0 = performance.now();
    for (let k = 0; k < TRIES; k++) {
      const cut = base.subarray(0, rng.int(base.length));
      tally[attempt(cut, k % 3 === 0 ? undefined : format, k % 5 === 0)]++;
      const flipped = base.slice();
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) flipped[rng.int(flipped.length)]! ^= 1 << rng.int(8);
      tally[attempt(flipped, k % 3 === 0 ? undefined : format, k % 5 === 1)]++;
    }
    assert.ok(tally.error > 0, `${format}: some mutations are rejected`);
    if (process.env.FUZZ_TIMING) console.log(format, base.length, performance.now() - t0);
  }
});

test("fuzz: corrupt SHD files are rejected with EventFormatError (or read), never crash", async () => {
  const src = readFileSync(samplePath("shd/SYNTHETIC_layout_fixture/synthetic_shd_layout_f16.h5"));
  const rng = new Rng(7);
  const p = join(tmpdir(), `razor-shd-fuzz-${process.pid}.h5`);
  for (let k = 0; k < 6; k++) {
    const b = Buffer.from(src);
    const bad = k % 2 === 0 ? b.subarray(0, 8 + rng.int(b.length - 8)) : b;
    if (k % 2 === 1) for (let f = 0; f < 16; f++) bad[rng.int(bad.length)]! ^= 1 << rng.int(8);
    writeFileSync(p, bad);
    try {
      const f = await openShd(p, { timeoutMs: 20000 });
      for (let i = 0; i < f.length; i++) {
        try {
          f.sample(i);
        } catch (e) {
          assert.ok(e instanceof EventFormatError, String(e));
        }
      }
      f.close();
    } catch (e) {
      assert.ok(e instanceof EventFormatError, String(e));
    }
  }
});

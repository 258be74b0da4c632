import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { createDecoder } from "../../src/events/decoders/registry.js";
import type { EventFormat } from "../../src/events/decoders/types.js";
import { detectFormat } from "../../src/events/detect.js";
import { readEventFile } from "../../src/events/read-file.js";
import { concatEventStreams } from "../../src/events/stream.js";
import { writeNpyEvents } from "../../src/events/writers/npy.js";
import { projectRoot } from "../../src/util/paths.js";
import { aedat2File, davis, randomChunks, sample, samplePath } from "./helpers.js";
import { AEDAT31_VECTOR, EVT2_VECTOR } from "./vectors.js";

function inputs(): [string, Uint8Array][] {
  const small = decodeEvents(sample("nmnist/small/7.bs2")).stream;
  return [
    ["40-bit", sample("nmnist/small/7.bs2")],
    ["AEDAT 3.1 vector", AEDAT31_VECTOR],
    [
      "AEDAT 2.0 DAVIS",
      aedat2File(
        ["#!AER-DAT2.0", "# AEChip: Davis346"],
        [
          [davis(1, 2, 1), 5],
          [davis(3, 4, 0), 6],
        ],
      ),
    ],
    ["AEDAT 2.0 header only", sample("aedat2/tonic/sample_aedat_header.aedat")],
    ["EVT 2.0 vector", EVT2_VECTOR],
    ["DAT", sample("prophesee/tonic/sample_ncars.dat")],
    [".npy", writeNpyEvents(small)],
  ];
}

test("every decoder gives the same events for chunks of 1, 7 and 4096 bytes as for the whole buffer", () => {
  for (const [name, bytes] of inputs()) {
    const format = detectFormat(bytes, { totalSize: bytes.length }).format as EventFormat;
    const whole = decodeEvents(bytes, { format });
    for (const max of [1, 7, 4096]) {
      const dec = createDecoder(format);
      const parts = randomChunks(bytes, max + 1, max).map((c) => dec.push(c));
      parts.push(dec.end());
      const s = concatEventStreams(parts);
      assert.deepEqual(s.t, whole.stream.t, `${name} chunks <= ${max}`);
      assert.deepEqual(s.x, whole.stream.x, name);
      assert.deepEqual(s.y, whole.stream.y, name);
      assert.deepEqual(s.p, whole.stream.p, name);
      assert.deepEqual(dec.sensorInfo().sensor, whole.stream.sensor, name);
    }
  }
});

test("readEventFile: AEDAT 4, EVT 3.0 and DAT samples through 4 KiB reads (one reused buffer) equal in-memory decoding", async () => {
  for (const rel of [
    "aedat4/tonic/sample.aedat4",
    "prophesee/expelliarmus/evt3_sample.raw",
    "prophesee/tonic/sample_ncars.dat",
  ]) {
    const a = await readEventFile(samplePath(rel), { chunkBytes: 4096 });
    const b = decodeEvents(readFileSync(samplePath(rel)));
    assert.equal(a.format, b.format);
    assert.deepEqual(a.stream, b.stream, rel);
  }
  await assert.rejects(
    readEventFile(samplePath("shd/SYNTHETIC_layout_fixture/synthetic_shd_layout_f16.h5")),
    /openShd/,
  );
  await assert.rejects(readEventFile(join(samplePath("nmnist"), "missing.bin")), /no such file/);
});

test("decoder and transform files import no node:* module (they must run in browsers)", () => {
  const nodeOnly = new Set(["read-file.ts", "shd-node.ts", "shd-probe-worker.ts", "node.ts"]);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
    );
  const dir = join(projectRoot(), "src", "events");
  for (const f of walk(dir)) {
    if (nodeOnly.has(f.slice(dir.length + 1)) || f.includes(`${join(dir, "emulator")}`)) continue;
    const src = readFileSync(f, "utf8");
    assert.ok(
      !/from\s+["']node:/.test(src) && !/from\s+["'](fs|path|os|worker_threads)["']/.test(src),
      `${f} imports a Node module`,
    );
  }
});

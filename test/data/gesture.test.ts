import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { directFrames } from "../../src/data/cache/frame-cache.js";
import { openDvsGesture } from "../../src/data/datasets/dvs-gesture.js";
import { epochBatches, FramesData } from "../../src/data/frames-data.js";
import { openData } from "../../src/data/open.js";
import { framePipeline } from "../../src/data/pipeline.js";
import { makeEventStream } from "../../src/events/stream.js";
import { writeAedat31 } from "../../src/events/writers/aedat3.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-gesture-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A recording with one event every 1 ms from 0 to 99 ms; x encodes the ms so cuts can be checked. */
function recording(): Uint8Array {
  const n = 100;
  return writeAedat31(
    makeEventStream(
      Float64Array.from({ length: n }, (_, i) => i * 1000),
      Uint16Array.from({ length: n }, (_, i) => i),
      Uint16Array.from({ length: n }, () => 5),
      Uint8Array.from({ length: n }, (_, i) => i & 1),
      { width: 128, height: 128, polarities: 2 },
    ),
    { eventsPerPacket: 16 },
  );
}

function buildDataset(root: string): void {
  const dir = join(root, "DvsGesture");
  mkdirSync(dir, { recursive: true });
  for (const user of ["user01_natural", "user02_led", "user24_fluorescent"]) {
    writeFileSync(join(dir, `${user}.aedat`), recording());
  }
  // class 8 twice and overlapping windows, as in the real CSVs
  writeFileSync(
    join(dir, "user01_natural_labels.csv"),
    "class,startTime_usec,endTime_usec\r\n1,10000,20000\r\n8,20000,35000\r\n8,30000,40000\r\n",
  );
  writeFileSync(join(dir, "user02_led_labels.csv"), "class,startTime_usec,endTime_usec\n11,0,50000\n");
  writeFileSync(join(dir, "user24_fluorescent_labels.csv"), "class,startTime_usec,endTime_usec\n3,50000,60000\n");
  writeFileSync(join(dir, "trials_to_train.txt"), "user01_natural.aedat\r\nuser02_led.aedat\r\n\r\n");
  writeFileSync(join(dir, "trials_to_test.txt"), "user24_fluorescent.aedat\n");
}

test("DVS128 Gesture: split from the trial lists, one sample per CSV row, cut as t_start <= t < t_end", async () => {
  const root = join(tmp, "g");
  buildDataset(root);
  const ds = openDvsGesture(root);
  assert.deepEqual(
    ds.splits.train!.map((s) => `${s.id}:${s.label}`),
    ["user01_natural#0:0", "user01_natural#1:7", "user01_natural#2:7", "user02_led#0:10"],
  );
  assert.deepEqual(
    ds.splits.test!.map((s) => `${s.id}:${s.label}`),
    ["user24_fluorescent#0:2"],
  );
  const g = await ds.splits.train![1]!.load();
  // events at 20..34 ms
  assert.equal(g.t.length, 15);
  assert.equal(g.t[0], 20_000);
  assert.equal(g.x[g.t.length - 1], 34);
  assert.equal((await ds.splits.train![2]!.load()).t[0], 30_000, "overlapping windows are kept as they are");
  assert.equal((await ds.splits.test![0]!.load()).t.length, 10);
  assert.equal((await openData({ dataset: "dvs-gesture", data: root })).splits.train!.length, 4);
});

test("DVS128 Gesture: warming the loader decodes each recording once", async () => {
  const root = join(tmp, "g2");
  buildDataset(root);
  let decodes = 0;
  const ds = openDvsGesture(root, { cachedRecordings: 1 });
  const samples = ds.splits.train!.map((s) => ({
    ...s,
    load: () => {
      decodes++;
      return s.load();
    },
  }));
  const pipeline = framePipeline({ mode: "timeWindow", dt: 5000, frames: 2 });
  const classes = Array.from({ length: 11 }, (_, i) => `g${i}`);
  const data = new FramesData({
    samples,
    classes,
    pipeline,
    source: directFrames,
    T: 2,
    frameShape: [2, 128, 128],
    preprocessing: {},
  });
  await data.warm();
  assert.equal(decodes, 4);
  let total = 0;
  for await (const { batch } of epochBatches(data, 0, { batchSize: 2, seed: 3 })) {
    total += batch.input.data.reduce((s, v) => s + v, 0);
  }
  assert.equal(decodes, 4, "epochs after warm() come from memory");
  // 10 ms windows from each gesture's first event: 10 + 10 + 10 + 10 events
  assert.equal(total, 40);
});

test("DVS128 Gesture: a listed recording that is missing is named", () => {
  const root = join(tmp, "g3");
  buildDataset(root);
  rmSync(join(root, "DvsGesture", "user02_led.aedat"));
  assert.throws(
    () => openDvsGesture(root),
    /trials_to_train\.txt lists user02_led\.aedat, but .*user02_led\.aedat does not exist/,
  );
  assert.throws(() => openDvsGesture(join(tmp, "none")), /DvsGesture\/ folder not found/);
});

test("DVS128 Gesture samples load in worker threads from their refs, with the same frames", async () => {
  const { WorkerFrames } = await import("../../src/data/frame-workers.js");
  const root = join(tmp, "g4");
  buildDataset(root);
  const ds = openDvsGesture(root);
  const pipeline = framePipeline({ mode: "timeWindow", dt: 2000, frames: 4 });
  const pool = new WorkerFrames(2);
  try {
    for (const s of [...ds.splits.train!, ...ds.splits.test!]) {
      const here = await directFrames.frames(s, pipeline);
      const there = await pool.frames(s, pipeline);
      assert.deepEqual(there, here, s.id);
    }
    assert.equal(pool.inThread, 0);
  } finally {
    await pool.close();
  }
});

test("end to end: a DvsGesture.tar.gz served over HTTP is downloaded, verified, extracted, split and batched", async () => {
  const { createServer } = await import("node:http");
  const { createHash } = await import("node:crypto");
  const { readdirSync, readFileSync } = await import("node:fs");
  const { makeTarGz } = await import("./archive-fixtures.js");
  const { fetchDataset } = await import("../../src/data/fetch-dataset.js");
  const { DATASETS } = await import("../../src/data/registry.js");
  const src = join(tmp, "e2e-src");
  buildDataset(src);
  const entries = readdirSync(join(src, "DvsGesture")).map((f) => ({
    name: `DvsGesture/${f}`,
    data: readFileSync(join(src, "DvsGesture", f)),
  }));
  const archive = makeTarGz(entries);
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": archive.length });
    res.end(archive);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const real = DATASETS["dvs128-gesture"];
    const spec = {
      ...real,
      resources: [
        {
          ...real.resources[0]!,
          url: `http://127.0.0.1:${(server.address() as { port: number }).port}/DvsGesture.tar.gz`,
          md5: createHash("md5").update(archive).digest("hex"),
        },
      ],
    };
    const root = join(tmp, "e2e");
    const got = await fetchDataset(spec, root, { progress: false, log: () => {} });
    assert.deepEqual(
      got.map((g) => [g.status, g.extractedFiles]),
      [["downloaded", entries.length]],
    );
    const ds = await openData({ dataset: "dvs128-gesture", data: root });
    assert.equal(ds.splits.train!.length, 4);
    const data = new FramesData({
      samples: ds.splits.train!,
      classes: ds.classes,
      pipeline: framePipeline({ mode: "timeWindow", dt: 5000, frames: 2 }),
      source: directFrames,
      T: 2,
      frameShape: [2, 128, 128],
      preprocessing: {},
    });
    const { batch } = (await epochBatches(data, 0, { batchSize: 4, seed: 0 }).next()).value!;
    assert.deepEqual(batch.input.shape, [2, 4, 2, 128, 128]);
    assert.deepEqual(
      [...batch.labels].sort((a, b) => a - b),
      [0, 7, 7, 10],
    );
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

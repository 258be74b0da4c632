import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { directFrames } from "../../src/data/cache/frame-cache.js";
import { openDvsGesture } from "../../src/data/datasets/dvs-gesture.js";
import { epochBatches, FramesData } from "../../src/data/frames-data.js";
import { openData } from "../../src/data/open.js";
import { framePipeline } from "../../src/data/pipeline.js";
import { buildGestureDataset } from "./dataset-fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-gesture-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("DVS128 Gesture: split from the trial lists, one sample per CSV row, cut as t_start <= t < t_end", async () => {
  const root = join(tmp, "g");
  buildGestureDataset(root);
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
  buildGestureDataset(root);
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
  buildGestureDataset(root);
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
  buildGestureDataset(root);
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
  buildGestureDataset(src);
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

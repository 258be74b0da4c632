import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { directFrames, type FrameSource } from "../../src/data/cache/frame-cache.js";
import { WorkerFrames } from "../../src/data/frame-workers.js";
import { epochBatches, FramesData } from "../../src/data/frames-data.js";
import { openData } from "../../src/data/open.js";
import { framePipeline } from "../../src/data/pipeline.js";
import { sharedDataDir } from "../../src/util/paths.js";
import { buildShdDataset } from "./dataset-fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-shd-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = join(sharedDataDir(), "shd", "SYNTHETIC_layout_fixture");
const expected = JSON.parse(readFileSync(join(fixtures, "synthetic_shd_layout_f16.expected.json"), "utf8"));

function shdRoot(): string {
  const root = join(tmp, "shd");
  buildShdDataset(root);
  return root;
}

test("SHD: the splits are the files; labels and lengths as in the fixture; batches [T,B,1,1,700]", async () => {
  const root = shdRoot();
  const ds = await openData({ dataset: "shd", data: root });
  assert.deepEqual(Object.keys(ds.splits), ["train", "test"]);
  assert.deepEqual(
    ds.splits.train!.map((s) => s.label),
    expected.labels,
  );
  const lengths = await Promise.all(ds.splits.train!.map(async (s) => (await s.load()).t.length));
  assert.deepEqual(lengths, expected.len);
  assert.deepEqual(ds.sensor, { width: 700, height: 1, polarities: 1 });
  const pipeline = framePipeline({ mode: "timeWindow", dt: 14_000, frames: 20 }, { sensor: ds.sensor });
  const pool = new WorkerFrames(1);
  const first = async (source: FrameSource) => {
    const data = new FramesData({
      samples: ds.splits.train!,
      classes: ds.classes,
      pipeline,
      source,
      T: 20,
      frameShape: [1, 1, 700],
      preprocessing: {},
    });
    return (await epochBatches(data, 0, { batchSize: 8, seed: 0 }).next()).value!.batch;
  };
  try {
    const a = await first(directFrames);
    const b = await first(pool);
    assert.deepEqual(a.input.shape, [20, 8, 1, 1, 700]);
    assert.deepEqual(b.input.data, a.input.data);
    assert.equal(pool.inThread, 0);
  } finally {
    await pool.close();
  }
  await assert.rejects(
    openData({ dataset: "ssc", data: root }),
    /ssc_train\.h5 not found.*razor-snn data download ssc/s,
  );
});

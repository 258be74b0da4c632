import assert from "node:assert/strict";
import { test } from "node:test";
import { directFrames } from "../../src/data/cache/frame-cache.js";
import { openNmnistSmall } from "../../src/data/datasets/nmnist.js";
import { WorkerFrames } from "../../src/data/frame-workers.js";
import { framePipeline, pipelineFromPlan } from "../../src/data/pipeline.js";
import { planOf, rebuildTransform } from "../../src/data/transform-plan.js";
import { makeEventStream } from "../../src/events/stream.js";
import { denoise, dropEvents, refractory } from "../../src/events/transforms/filters.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import {
  centerCrop,
  crop,
  downsample,
  flipLR,
  flipPolarity,
  flipUD,
  mergePolarities,
  sumPoolFrames,
} from "../../src/events/transforms/geometry.js";
import { backgroundNoiseWindow } from "../../src/events/transforms/noise.js";
import { randomSlice, timeJitter } from "../../src/events/transforms/time.js";
import { Rng } from "../../src/util/rng.js";

const sensor = { width: 34, height: 34, polarities: 2 };

function stream(n: number, seed: number) {
  const r = new Rng(seed);
  const t = Float64Array.from({ length: n }, (_, i) => i * 300 + r.int(300));
  return makeEventStream(
    t,
    Uint16Array.from({ length: n }, () => r.int(34)),
    Uint16Array.from({ length: n }, () => r.int(34)),
    Uint8Array.from({ length: n }, () => r.int(2)),
    sensor,
  );
}

test("every event transform survives the trip to plain data and back, with the same output", () => {
  const all = [
    denoise(5000),
    refractory(1000),
    dropEvents(0.3),
    downsample(4, 2),
    crop(2, 3, 20, 25),
    centerCrop(30, 30),
    flipLR(),
    flipUD(),
    mergePolarities(),
    flipPolarity(),
    backgroundNoiseWindow(600_000, 2),
    timeJitter(100, false),
    randomSlice(50_000),
  ];
  const ev = stream(400, 1);
  for (const t of all) {
    const plan = JSON.parse(JSON.stringify(planOf(t)));
    const back = rebuildTransform(plan);
    assert.equal(back.name, t.name);
    assert.deepEqual(back.params, t.params);
    assert.deepEqual(back.apply(ev, new Rng(3)), t.apply(ev, new Rng(3)), t.name);
  }
  assert.throws(() => rebuildTransform({ name: "toString", params: {} }), /unknown event transform 'toString'/);
});

test("a pipeline with downsampling equals sum-pooling the full frames (TA-SNN's 128→32 rule)", () => {
  const ev = stream(3000, 2);
  const spec = { mode: "timeWindow" as const, dt: 20_000, frames: 10 };
  const pooled = framePipeline(spec, { transforms: [downsample(4)] }).toFrames(ev);
  const reference = sumPoolFrames(toFrames(ev, spec), 4);
  assert.deepEqual(pooled.shape, [10, 2, 9, 9]);
  assert.deepEqual(pooled, reference);
});

test("random transforms are seeded per sample: same id same frames, other id or seed other frames", () => {
  const ev = stream(2000, 3);
  const noisy = (seed: number) =>
    framePipeline(
      { mode: "timeWindow", dt: 30_000, frames: 20 },
      { transforms: [backgroundNoiseWindow(600_000, 1)], seed },
    );
  const a = noisy(1).toFrames(ev, { id: "a" });
  assert.deepEqual(noisy(1).toFrames(ev, { id: "a" }), a);
  assert.notDeepEqual(noisy(1).toFrames(ev, { id: "b" }).data, a.data);
  assert.notDeepEqual(noisy(2).toFrames(ev, { id: "a" }).data, a.data);
  assert.notDeepEqual(noisy(1).key, noisy(2).key, "the seed is part of the cache key");
  const p = noisy(1);
  assert.deepEqual(pipelineFromPlan(JSON.parse(JSON.stringify(p.recipe!.args[0]))).toFrames(ev, { id: "a" }), a);
});

test("audio binning pipelines give [T, 1, 1, channels] frames", () => {
  const n = 50;
  const ev = makeEventStream(
    Float64Array.from({ length: n }, (_, i) => i * 10_000),
    Uint16Array.from({ length: n }, (_, i) => (i * 37) % 700),
    new Uint16Array(n),
    new Uint8Array(n),
    { width: 700, height: 1, polarities: 1 },
  );
  const f = framePipeline({ mode: "audio", channelBin: 7, dt: 100_000, frames: 5 }).toFrames(ev);
  assert.deepEqual(f.shape, [5, 1, 1, 100]);
  assert.equal(
    f.data.reduce((s, v) => s + v, 0),
    50,
  );
});

test("workers rebuild pipelines with transforms from their plan and give the same frames", async () => {
  const samples = openNmnistSmall().splits.valid!.slice(0, 6);
  const pipeline = framePipeline(
    { mode: "timeWindow", dt: 30_000, frames: 20 },
    {
      sensor: { width: 17, height: 17, polarities: 2 },
      transforms: [backgroundNoiseWindow(600_000, 0.5), downsample(2)],
      seed: 4,
    },
  );
  const pool = new WorkerFrames(2);
  try {
    for (const s of samples)
      assert.deepEqual(await pool.frames(s, pipeline), await directFrames.frames(s, pipeline), s.id);
    assert.equal(pool.inThread, 0);
  } finally {
    await pool.close();
  }
});

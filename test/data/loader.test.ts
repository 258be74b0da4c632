import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { canonicalJson } from "../../src/data/cache/canonical-json.js";
import { decodeFrames, encodeFrames } from "../../src/data/cache/frame-codec.js";
import { FrameCache, directFrames, frameCacheKey } from "../../src/data/cache/frame-cache.js";
import { openNmnistSmall } from "../../src/data/datasets/nmnist.js";
import { BatchLoader } from "../../src/data/loader.js";
import { framePipeline } from "../../src/data/pipeline.js";
import { fileSample } from "../../src/data/recording-sample.js";
import type { Frames, Sample } from "../../src/data/sample.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import { makeEventStream } from "../../src/events/stream.js";
import { writeAtis40 } from "../../src/events/writers/atis40.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-loader-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sensor = { width: 34, height: 34, polarities: 2 };

test("canonical JSON ignores key order and undefined members, refuses functions", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, 2], c: undefined } }), canonicalJson({ a: { d: [1, 2] }, b: 1 }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: 1.5 }));
  assert.equal(canonicalJson(new Float32Array([1, 2])), "[1,2]");
  assert.throws(() => canonicalJson({ f: () => 1 }), /\$\.f is a function/);
});

test("frame codec round-trips u8, u16 and float frames exactly", () => {
  for (const values of [
    [0, 1, 255],
    [0, 300, 65535],
    [0, 0.5, -2, 1e6],
  ]) {
    const data = Float32Array.from({ length: 2 * 2 * 3 * 5 }, (_, i) => values[i % values.length]!);
    const f: Frames = { data, shape: [2, 2, 3, 5] };
    const back = decodeFrames(encodeFrames(f), "x");
    assert.deepEqual(back.shape, f.shape);
    assert.deepEqual(back.data, f.data);
  }
  assert.throws(() => decodeFrames(new Uint8Array(40), "bad.rzf"), /bad\.rzf: not a frame cache record/);
});

test("the frame cache is keyed by every pipeline parameter and by the file; it rebuilds when either changes", async () => {
  const path = join(tmp, "rec.bin");
  const n = 500;
  const write = (shift: number): void => {
    const ev = makeEventStream(
      Float64Array.from({ length: n }, (_, i) => i * 200),
      Uint16Array.from({ length: n }, (_, i) => (i + shift) % 34),
      Uint16Array.from({ length: n }, (_, i) => (i * 5) % 34),
      Uint8Array.from({ length: n }, (_, i) => i & 1),
      sensor,
    );
    writeFileSync(path, writeAtis40(ev));
  };
  write(0);
  const sample = fileSample(path, "rec", 3, { format: "atis40", sensor });
  const cache = new FrameCache(join(tmp, "cache"));
  const p10 = framePipeline({ mode: "timeBins", bins: 10 });
  const first = await cache.frames(sample, p10);
  const direct = toFrames(await sample.load(), { mode: "timeBins", bins: 10 });
  assert.deepEqual(first.data, direct.data);
  assert.equal(cache.misses, 1);
  const again = await cache.frames(sample, p10);
  assert.equal(cache.hits, 1);
  assert.deepEqual(again.data, first.data);
  // The same parameters spelled in another key order hit the cache.
  await cache.frames(sample, framePipeline({ bins: 10, mode: "timeBins" } as never));
  assert.equal(cache.hits, 2);
  // Any parameter change misses: bins, convention, mode.
  const p12 = await cache.frames(sample, framePipeline({ mode: "timeBins", bins: 12 }));
  assert.equal(p12.shape[0], 12);
  await cache.frames(sample, framePipeline({ mode: "timeBins", bins: 10, convention: "tonic" }));
  await cache.frames(sample, framePipeline({ mode: "timeWindow", dt: 10_000, frames: 10 }));
  assert.equal(cache.misses, 4);
  // A changed file (new content and mtime) misses and gives the new frames.
  write(5);
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  const changed = await cache.frames(sample, p10);
  assert.equal(cache.misses, 5);
  assert.notDeepEqual(changed.data, first.data);
  assert.notEqual(frameCacheKey(sample, p10), frameCacheKey(fileSample(path, "rec", 3), p10));
});

/** In-memory samples with known frames: frame t of sample i is filled with i*100 + t. */
function syntheticSamples(
  n: number,
  T: number,
): { samples: Sample[]; pipeline: import("../../src/data/sample.js").FramePipeline } {
  const samples: Sample[] = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    label: i % 3,
    identity: () => `synthetic-${i}`,
    load: async () =>
      makeEventStream(new Float64Array([i]), new Uint16Array([0]), new Uint16Array([0]), new Uint8Array([0]), {
        width: 2,
        height: 1,
        polarities: 1,
      }),
  }));
  const pipeline = {
    key: { synthetic: T },
    toFrames(ev: ReturnType<typeof makeEventStream>): Frames {
      const i = ev.t[0]!;
      const data = new Float32Array(T * 2);
      for (let t = 0; t < T; t++) data.fill(i * 100 + t, t * 2, t * 2 + 2);
      return { data, shape: [T, 1, 1, 2] };
    },
  };
  return { samples, pipeline };
}

async function collect(loader: BatchLoader, epoch: number): Promise<{ x: number[]; y: number[]; ids: string[] }[]> {
  const out = [];
  for await (const b of loader.epoch(epoch)) out.push({ x: Array.from(b.x), y: Array.from(b.y), ids: b.ids });
  return out;
}

test("batches are time-major [T,B,C,H,W] with the right labels; the order is a permutation", async () => {
  const { samples, pipeline } = syntheticSamples(10, 3);
  const loader = new BatchLoader({ samples, pipeline, batchSize: 4, source: directFrames, seed: 1 });
  assert.equal(loader.batchesPerEpoch, 3);
  const seen: string[] = [];
  let batches = 0;
  for await (const b of loader.epoch(0)) {
    batches++;
    assert.deepEqual([b.T, b.C, b.H, b.W], [3, 1, 1, 2]);
    assert.equal(b.x.length, b.T * b.B * 2);
    for (let bi = 0; bi < b.B; bi++) {
      const i = Number(b.ids[bi]!.slice(1));
      assert.equal(b.y[bi], i % 3);
      for (let t = 0; t < b.T; t++) {
        const at = (t * b.B + bi) * 2;
        assert.deepEqual([b.x[at], b.x[at + 1]], [i * 100 + t, i * 100 + t], `x[t=${t}, b=${bi}]`);
      }
    }
    seen.push(...b.ids);
  }
  assert.equal(batches, 3);
  assert.deepEqual([...seen].sort(), samples.map((s) => s.id).sort());
  const dropped = new BatchLoader({ samples, pipeline, batchSize: 4, source: directFrames, dropLast: true });
  assert.equal((await collect(dropped, 0)).length, 2);
});

test("the same seed gives bit-identical epochs whatever the prefetch depth; seeds and epochs differ", async () => {
  const { samples, pipeline } = syntheticSamples(23, 4);
  const augment = (f: Frames, rng: import("../../src/util/rng.js").Rng): Frames => {
    // a random consecutive slice of 2 frames, as training windows do
    const [T, C, H, W] = f.shape;
    const start = rng.int(T - 1);
    const chw = C * H * W;
    return { data: f.data.slice(start * chw, (start + 2) * chw), shape: [2, C, H, W] };
  };
  const make = (seed: number, prefetch: number): BatchLoader =>
    new BatchLoader({
      samples,
      pipeline,
      batchSize: 5,
      source: directFrames,
      seed,
      prefetch,
      augment,
      memory: prefetch > 2,
    });
  const a = await collect(make(42, 0), 3);
  const b = await collect(make(42, 6), 3);
  assert.deepEqual(b, a);
  const again = make(42, 2);
  await collect(again, 0);
  assert.deepEqual(await collect(again, 3), a, "an epoch does not depend on the epochs before it");
  assert.notDeepEqual(await collect(make(43, 2), 3), a);
  assert.notDeepEqual(await collect(make(42, 2), 4), a);
  const unshuffled = new BatchLoader({ samples, pipeline, batchSize: 5, source: directFrames, shuffle: false });
  assert.deepEqual(
    (await collect(unshuffled, 9)).flatMap((x) => x.ids),
    samples.map((s) => s.id),
  );
});

test("unequal frame counts are an error unless `steps` pads or cuts them", async () => {
  const { samples, pipeline } = syntheticSamples(2, 3);
  const short = {
    ...pipeline,
    key: "short",
    toFrames: (ev: Parameters<typeof pipeline.toFrames>[0]) => {
      const f = pipeline.toFrames(ev);
      return ev.t[0] === 1 ? { data: f.data.slice(0, 2), shape: [1, 1, 1, 2] as Frames["shape"] } : f;
    },
  };
  const strict = new BatchLoader({ samples, pipeline: short, batchSize: 2, source: directFrames, shuffle: false });
  await assert.rejects(collect(strict, 0), /sample s1 has 1 frames, s0 has 3/);
  const padded = new BatchLoader({
    samples,
    pipeline: short,
    batchSize: 2,
    source: directFrames,
    shuffle: false,
    steps: 2,
  });
  const [batch] = await collect(padded, 0);
  // [T=2, B=2, 2]: sample 0 keeps frames 0,1; sample 1 has frame 0 then an empty frame.
  assert.deepEqual(batch!.x, [0, 0, 100, 100, 1, 1, 0, 0]);
});

test("the loader reads the real N-MNIST small split through the disk cache, same batches cold and warm", async () => {
  const ds = openNmnistSmall();
  const samples = ds.splits.valid!.slice(0, 24);
  const pipeline = framePipeline({ mode: "timeWindow", dt: 20_000, frames: 15 }, { sensor });
  const cache = new FrameCache(join(tmp, "nmnist-cache"));
  const run = async (): Promise<{ x: number[]; y: number[]; ids: string[] }[]> =>
    collect(new BatchLoader({ samples, pipeline, batchSize: 8, source: cache, seed: 5 }), 0);
  const cold = await run();
  assert.equal(cache.misses, 24);
  const warm = await run();
  assert.equal(cache.hits, 24);
  assert.deepEqual(warm, cold);
  const [first] = cold;
  assert.equal(first!.x.length, 15 * 8 * 2 * 34 * 34);
  // Every event inside the 300 ms grid is counted once: compare with the decoder + integration directly.
  const total = first!.x.reduce((s, v) => s + v, 0);
  let expected = 0;
  for (const id of first!.ids) {
    const ev = await samples.find((s) => s.id === id)!.load();
    expected += toFrames(ev, { mode: "timeWindow", dt: 20_000, frames: 15 }, sensor).data.reduce((s, v) => s + v, 0);
  }
  assert.equal(total, expected);
});

test("worker threads make the same frames and batches as this thread; samples without a ref stay here", async () => {
  const { WorkerFrames } = await import("../../src/data/frame-workers.js");
  const ds = openNmnistSmall();
  const samples = ds.splits.train!.slice(0, 20);
  const pipeline = framePipeline({ mode: "timeWindow", dt: 20_000, frames: 15 }, { sensor });
  const pool = new WorkerFrames(2);
  try {
    const viaWorkers = await collect(new BatchLoader({ samples, pipeline, batchSize: 6, source: pool, seed: 9 }), 1);
    const here = await collect(new BatchLoader({ samples, pipeline, batchSize: 6, source: directFrames, seed: 9 }), 1);
    assert.deepEqual(viaWorkers, here);
    assert.equal(pool.inThread, 0);
    const { samples: synthetic, pipeline: noRecipe } = syntheticSamples(2, 2);
    await pool.frames(synthetic[0]!, noRecipe);
    assert.equal(pool.inThread, 1);
    const broken = fileSample(join(tmp, "does-not-exist.bin"), "gone", 0, { format: "atis40" });
    await assert.rejects(pool.frames(broken, pipeline), /does-not-exist\.bin.*no such file/);
  } finally {
    await pool.close();
  }
});

test("randomFrameSlice picks every possible start, keeps consecutive frames, and passes short recordings", async () => {
  const { randomFrameSlice } = await import("../../src/data/augment.js");
  const { Rng } = await import("../../src/util/rng.js");
  const T = 6;
  const f: Frames = { data: Float32Array.from({ length: T * 2 }, (_, i) => Math.floor(i / 2)), shape: [T, 1, 1, 2] };
  const slice = randomFrameSlice(4);
  const rng = new Rng(1);
  const starts = new Set<number>();
  for (let k = 0; k < 200; k++) {
    const s = slice(f, rng);
    assert.deepEqual(s.shape, [4, 1, 1, 2]);
    const first = s.data[0]!;
    assert.deepEqual(Array.from(s.data), [
      first,
      first,
      first + 1,
      first + 1,
      first + 2,
      first + 2,
      first + 3,
      first + 3,
    ]);
    starts.add(first);
  }
  assert.deepEqual([...starts].sort(), [0, 1, 2]);
  assert.equal(randomFrameSlice(8)(f, rng), f);
});

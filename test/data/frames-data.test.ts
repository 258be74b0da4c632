import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { canonicalJson } from "../../src/data/cache/canonical-json.js";
import { decodeFrames, encodeFrames } from "../../src/data/cache/frame-codec.js";
import { FrameCache, type FrameSource, directFrames, frameCacheKey } from "../../src/data/cache/frame-cache.js";
import { openNmnistSmall } from "../../src/data/datasets/nmnist.js";
import { type EpochOptions, epochBatches, FramesData } from "../../src/data/frames-data.js";
import { framePipeline } from "../../src/data/pipeline.js";
import { fileSample } from "../../src/data/recording-sample.js";
import type { Frames, Sample } from "../../src/data/sample.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import { makeEventStream } from "../../src/events/stream.js";
import { writeAtis40 } from "../../src/events/writers/atis40.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-frames-data-"));
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

type Opts = Omit<ConstructorParameters<typeof FramesData>[0], "classes" | "preprocessing">;

function framesData(o: Opts, classes = 3): FramesData {
  return new FramesData({ classes: Array.from({ length: classes }, (_, i) => `c${i}`), preprocessing: {}, ...o });
}

type Plain = { x: number[]; y: number[]; ids: string[] };

async function collect(data: FramesData, epoch: number, opts: EpochOptions): Promise<Plain[]> {
  const out = [];
  for await (const { indices, batch } of epochBatches(data, epoch, opts)) {
    out.push({
      x: Array.from(batch.input.data),
      y: Array.from(batch.labels),
      ids: Array.from(indices, (i) => data.sampleId(i)),
    });
  }
  return out;
}

test("batches are time-major [T,B,C,H,W] with the right labels; the order is a permutation", async () => {
  const { samples, pipeline } = syntheticSamples(10, 3);
  const data = framesData({ samples, pipeline, source: directFrames, T: 3, frameShape: [1, 1, 2] });
  const seen: string[] = [];
  let batches = 0;
  for await (const { indices, batch } of epochBatches(data, 0, { batchSize: 4, seed: 1 })) {
    batches++;
    const [T, B, C, H, W] = batch.input.shape as number[];
    assert.deepEqual([T, C, H, W], [3, 1, 1, 2]);
    assert.equal(B, indices.length);
    const x = batch.input.data;
    assert.equal(x.length, T! * B! * 2);
    for (let bi = 0; bi < B!; bi++) {
      const i = indices[bi]!;
      assert.equal(batch.labels[bi], i % 3);
      for (let t = 0; t < T!; t++) {
        const at = (t * B! + bi) * 2;
        assert.deepEqual([x[at], x[at + 1]], [i * 100 + t, i * 100 + t], `x[t=${t}, b=${bi}]`);
      }
    }
    seen.push(...Array.from(indices, (i) => data.sampleId(i)));
  }
  assert.equal(batches, 3);
  assert.deepEqual([...seen].sort(), samples.map((s) => s.id).sort());
  assert.equal((await collect(data, 0, { batchSize: 4, seed: 1, dropLast: true })).length, 2);
  assert.equal((await collect(data, 0, { batchSize: 5, seed: 1, dropLast: true })).length, 2, "nothing to drop");
  assert.throws(
    () => framesData({ samples, pipeline, source: directFrames, T: 3, frameShape: [1, 1, 2] }, 2),
    /s2: label 2 is not one of the 2 classes/,
  );
});

test("the same seed gives bit-identical epochs whatever the prefetch depth; seeds and epochs differ", async () => {
  const { samples, pipeline } = syntheticSamples(23, 4);
  // training takes a random window of 2 of the 4 frames, drawn from the batch's derived generator
  const make = (): FramesData =>
    framesData({ samples, pipeline, source: directFrames, T: 2, frameShape: [1, 1, 2], randomSlice: true });
  const opts = (seed: number, prefetch: number): EpochOptions => ({ batchSize: 5, seed, prefetch });
  const a = await collect(make(), 3, opts(42, 0));
  const b = await collect(make(), 3, opts(42, 6));
  assert.deepEqual(b, a);
  // frame t = 0 of every sample: its window's start
  const starts = new Set(a.flatMap((batch) => batch.ids.map((_, b) => batch.x[b * 2]! % 100)));
  assert.deepEqual([...starts].sort(), [0, 1, 2], "windows start at every frame that fits");
  const again = make();
  await collect(again, 0, opts(42, 2));
  assert.deepEqual(await collect(again, 3, opts(42, 2)), a, "an epoch does not depend on the epochs before it");
  assert.notDeepEqual(await collect(make(), 3, opts(43, 2)), a);
  assert.notDeepEqual(await collect(make(), 4, opts(42, 2)), a);
  const unshuffled = await collect(make(), 9, { batchSize: 5, seed: 0, shuffle: false, training: false });
  assert.deepEqual(
    unshuffled.flatMap((x) => x.ids),
    samples.map((s) => s.id),
  );
  // the evaluation view takes each recording's first frames
  assert.deepEqual(unshuffled[0]!.x.slice(0, 10), [0, 0, 100, 100, 200, 200, 300, 300, 400, 400]);
});

test("samples are padded with empty frames (also into given memory) or cut to T; another frame size is an error naming the sample", async () => {
  const { samples, pipeline } = syntheticSamples(2, 3);
  const short = {
    ...pipeline,
    key: "short",
    toFrames: (ev: Parameters<typeof pipeline.toFrames>[0]) => {
      const f = pipeline.toFrames(ev);
      return ev.t[0] === 1 ? { data: f.data.slice(0, 2), shape: [1, 1, 1, 2] as Frames["shape"] } : f;
    },
  };
  const padded = framesData({ samples, pipeline: short, source: directFrames, T: 2, frameShape: [1, 1, 2] });
  const [batch] = await collect(padded, 0, { batchSize: 2, seed: 0, shuffle: false, training: false });
  // [T=2, B=2, 2]: sample 0 keeps frames 0,1; sample 1 has frame 0 then an empty frame.
  assert.deepEqual(batch!.x, [0, 0, 100, 100, 1, 1, 0, 0]);
  // into memory that holds anything (BatchOptions.alloc, as the trainer's engine arrays): every element written
  const given: Float32Array[] = [];
  const alloc = (n: number): Float32Array => {
    given.push(new Float32Array(n).fill(Number.NaN));
    return given[given.length - 1]!;
  };
  const [into] = await collect(padded, 0, { batchSize: 2, seed: 0, shuffle: false, training: false, alloc });
  assert.deepEqual(into!.x, batch!.x);
  assert.equal(given.length, 1);
  const wrong = framesData({ samples, pipeline, source: directFrames, T: 2, frameShape: [2, 1, 1] });
  await assert.rejects(
    collect(wrong, 0, { batchSize: 2, seed: 0, shuffle: false }),
    /sample s0: frames of 1×1×2 but the model takes 2×1×1/,
  );
});

test("the batcher reads the real N-MNIST small split through the disk cache, same batches cold and warm", async () => {
  const ds = openNmnistSmall();
  const samples = ds.splits.valid!.slice(0, 24);
  const pipeline = framePipeline({ mode: "timeWindow", dt: 20_000, frames: 15 }, { sensor });
  const cache = new FrameCache(join(tmp, "nmnist-cache"));
  const run = async (): Promise<Plain[]> =>
    collect(framesData({ samples, pipeline, source: cache, T: 15, frameShape: [2, 34, 34] }, 10), 0, {
      batchSize: 8,
      seed: 5,
    });
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
  const data = (source: FrameSource): FramesData =>
    framesData({ samples, pipeline, source, T: 15, frameShape: [2, 34, 34] }, 10);
  try {
    const viaWorkers = await collect(data(pool), 1, { batchSize: 6, seed: 9 });
    const here = await collect(data(directFrames), 1, { batchSize: 6, seed: 9 });
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

test("a batch that fails is reported in its turn, after the batches before it, whatever the prefetch", async () => {
  const { samples, pipeline } = syntheticSamples(6, 2);
  const data = framesData({ samples, pipeline, source: directFrames, T: 2, frameShape: [1, 1, 2] });
  const failing = Object.assign(Object.create(data) as FramesData, {
    batch(indices: Int32Array, o: Parameters<FramesData["batch"]>[1]) {
      if (indices.includes(4)) throw new Error("sample s4: broken");
      return data.batch(indices, o);
    },
  });
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const b of epochBatches(failing, 0, { batchSize: 2, seed: 0, shuffle: false, prefetch: 3 })) {
      seen.push(b.batchNo);
    }
  }, /sample s4: broken/);
  assert.deepEqual(seen, [1, 2]);
});

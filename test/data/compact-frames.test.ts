import assert from "node:assert/strict";
import { test } from "node:test";
import { compactFrames, isSparse, writeFrame } from "../../src/data/compact-frames.js";
import type { FrameSource } from "../../src/data/cache/frame-cache.js";
import { FramesData } from "../../src/data/frames-data.js";
import type { FramePipeline, Frames, Sample } from "../../src/data/sample.js";
import { eventIndices } from "../../src/engine/reference-lists.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import { i32Slot } from "../../src/nn/buffers.js";
import { countsToSpikeList } from "../../src/nn/event-list.js";
import { Rng } from "../../src/util/rng.js";
import type { Seq } from "../../src/nn/module.js";
import { engine, useEngine } from "../../src/engine/current.js";
import "../../src/engine/index.js";

/** Count frames [frames, size] with `density` of positions active, counts 1..maxCount. */
function countFrames(frames: number, size: number, density: number, maxCount: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: frames * size }, () => (rng.uniform() < density ? 1 + rng.int(maxCount) : 0));
}

/** Every frame of f written into NaN-filled memory, one after another. */
function written(f: ReturnType<typeof compactFrames>, size: number): Float32Array {
  const x = new Float32Array(f.frames * size).fill(Number.NaN);
  for (let i = 0; i < f.frames; i++) writeFrame(f, i, x, i * size, size);
  return x;
}

test("frames are kept in the smallest exact form (sparse lists, bytes, 16 bits, float) and written back exactly", () => {
  const rng = new Rng(5);
  const cases: [string, Float32Array, number, string][] = [
    ["sparse", countFrames(7, 700, 0.02, 3, rng), 700, "Uint16Array"],
    ["sparse, positions past 16 bits", countFrames(2, 70_000, 0.001, 2, rng), 70_000, "Uint32Array"],
    ["dense bytes", countFrames(5, 64, 0.6, 200, rng), 64, "Uint8Array"],
    ["dense 16 bits", Float32Array.from(countFrames(5, 64, 0.7, 3, rng), (v) => v * 300), 64, "Uint16Array"],
    ["not counts", Float32Array.from(countFrames(3, 10, 0.5, 2, rng), (v) => v / 2), 10, "Float32Array"],
    ["empty frames", new Float32Array(4 * 9), 9, "Uint16Array"],
  ];
  for (const [name, data, size, type] of cases) {
    const f = compactFrames(data, data.length / size);
    assert.equal(isSparse(f), name.startsWith("sparse") || name === "empty frames", name);
    assert.equal((isSparse(f) ? f.idx : f.data).constructor.name, type, name);
    assert.deepEqual(written(f, size), data, name);
  }
  // a sparse form is chosen only when smaller: SHD-like frames take a few % of their bytes
  const shd = compactFrames(countFrames(100, 700, 0.015, 1, rng), 100);
  assert.ok(isSparse(shd) && shd.idx.byteLength + shd.offsets.byteLength < 0.05 * 100 * 700);
});

/** A data set of the given frames [n, size] (one per sample, frames of shape [size]), labels 0. */
function dataOf(frames: Float32Array[], size: number, T: number, randomSlice: boolean): FramesData {
  const samples = frames.map((_, i) => ({ id: `s${i}`, label: 0 }) as unknown as Sample);
  const source: FrameSource = {
    frames: async (s) => {
      const data = frames[Number(s.id.slice(1))]!;
      return { data, shape: [data.length / size, 1, 1, size] } as Frames;
    },
  };
  const pipeline = {} as FramePipeline;
  return new FramesData({
    samples,
    classes: ["a"],
    pipeline,
    source,
    T,
    frameShape: [size],
    preprocessing: {},
    randomSlice,
  });
}

test("a batch of sparse samples lists its events as eventIndices would (windows, padding); a dense sample leaves it unlisted", async () => {
  const rng = new Rng(9);
  const size = 50;
  const T = 6;
  // recordings longer than T (random windows), exactly T, and shorter (padded), with counts up to 3
  const frames = [9, 6, 4, 11, 2].map((n) => countFrames(n, size, 0.05, 3, rng));
  const sparse = dataOf(frames, size, T, true);
  for (let round = 0; round < 4; round++) {
    const batch = await sparse.batch(Int32Array.from([0, 1, 2, 3, 4]), { rng: new Rng(round) });
    const { data, events } = batch.input;
    assert.ok(events !== undefined, "all samples sparse: listed");
    const rows = T * 5;
    const want = { rows, rowLen: size, idx: new Int32Array(data.length), offsets: new Int32Array(rows + 1) };
    assert.ok(eventIndices(data, want, data.length));
    assert.deepEqual(events.offsets, want.offsets);
    assert.deepEqual(events.idx, want.idx.subarray(0, want.offsets[rows]));
    assert.equal(events.rows, rows);
    assert.equal(events.rowLen, size);
  }
  const mixed = dataOf([...frames, countFrames(6, size, 0.9, 3, rng)], size, T, false);
  const batch = await mixed.batch(Int32Array.from([0, 5]), { rng: null });
  assert.equal(batch.input.events, undefined);
});

test("a network given its input's events computes and learns what it does from the frames alone, bit for bit (reference and 2-thread wasm engines)", async () => {
  const { createWasmEngine } = await import("../../src/engine/wasm.js");
  const reference = engine();
  const wasm = await createWasmEngine({ threads: 2 });
  const config = loadModelConfig("shd", { variant: "razor", frames: { T: 8 } });
  const run = (x: Seq) => {
    const rng = new Rng(1);
    const model = buildModel(config);
    const y = model.forward(x, { training: true, rng });
    const out = Float32Array.from(y.data);
    model.zeroGrad();
    const gy = Float32Array.from(y.data, (_, i) => ((i * 7) % 5) - 2);
    model.backward({ data: gy, shape: y.shape }, { training: true, rng });
    const grads = model.parameters().map((p) => Float32Array.from(p.grad));
    const path = model.layers[0]!.synapse.lastPath;
    model.dispose();
    return { out, grads, path };
  };
  const rng = new Rng(3);
  const frames = Array.from({ length: 4 }, () => countFrames(8, 700, 0.03, 2, rng));
  const batch = await dataOf(frames, 700, 8, false).batch(Int32Array.from([0, 1, 2, 3]), { rng: null });
  const events = batch.input.events!;
  assert.ok(events !== undefined);
  const plain = { data: batch.input.data, shape: batch.input.shape };
  try {
    for (const e of [reference, wasm]) {
      useEngine(e);
      const given = run(batch.input);
      const scanned = run(plain);
      assert.equal(given.path, "events");
      assert.equal(scanned.path, "events");
      assert.deepEqual(given.out, scanned.out);
      assert.deepEqual(given.grads, scanned.grads);
    }
  } finally {
    useEngine(reference);
    wasm.close();
  }
  // a list with more events than the event-driven path takes is not used; a list of other rows is an error
  assert.equal(countsToSpikeList(plain.data, 32, 700, events.offsets[32]! - 1, i32Slot(), i32Slot(), events), null);
  assert.equal(countsToSpikeList(plain.data, 32, 700, events.offsets[32]!, i32Slot(), i32Slot(), events), events);
  assert.throws(
    () => countsToSpikeList(plain.data, 16, 1400, 1e9, i32Slot(), i32Slot(), events),
    /input events: a list of 32 rows of 700 for input of 16 frames of 1400/,
  );
});

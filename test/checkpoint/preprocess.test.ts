import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { readEventFile } from "../../src/events/read-file.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { parsePreprocessing, pipelineFor, preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { sharedDataDir } from "../../src/util/paths.js";

const file = join(sharedDataDir(), "nmnist", "small", "1.bs2");
const sensor = { width: 34, height: 34, polarities: 2 };

test("N-MNIST preprocessing: 15 frames of 20 ms from the first event; events past 300 ms are left out", async () => {
  const ev = (await readEventFile(file, { format: "atis40", sensor })).stream;
  const pre = preprocessingFor(loadModelConfig("nmnist"), sensor);
  assert.deepEqual([pre.T, pre.dtUs, pre.framing], [15, 20000, "time-window"]);
  const f = pipelineFor(pre).toFrames(ev, { id: "1" });
  assert.deepEqual(f.shape, [15, 2, 34, 34]);
  const total = f.data.reduce((a, b) => a + b, 0);
  // 1.bs2: 4 681 events from t = 893 to 305 924 µs; the grid [893, 300 893) leaves out the last few
  const inGrid = ev.t.filter((t) => t - ev.t[0]! < 300000).length;
  assert.equal(ev.t.length, 4681);
  assert.ok(inGrid < 4681 && inGrid > 4600);
  assert.equal(total, inGrid);
  assert.deepEqual(parsePreprocessing(JSON.parse(JSON.stringify(pre)), "x"), pre);
});

test("noise window: the recording sits at a per-sample offset inside twice the time, with background noise", async () => {
  const ev = (await readEventFile(file, { format: "atis40", sensor })).stream;
  const config = loadModelConfig("nmnist", { frames: { T: 30 } });
  const pre = preprocessingFor(config, sensor, { window: { spanUs: 300000, factor: 2, noiseHz: 5, seed: 1 } });
  const pipe = pipelineFor(pre);
  const a = pipe.toFrames(ev, { id: "1" });
  assert.deepEqual(a.shape, [30, 2, 34, 34]);
  const perFrame = Array.from({ length: 30 }, (_, t) =>
    a.data.subarray(t * 2312, (t + 1) * 2312).reduce((s, v) => s + v, 0),
  );
  const total = perFrame.reduce((s, v) => s + v, 0);
  // about 5 Hz × 1156 pixels × 0.6 s ≈ 3 468 noise events on top of the recording's 4 681 (cut at the window end)
  assert.ok(total > 4681 + 2800 && total < 4681 + 4200, `total ${total}`);
  const quiet = perFrame.filter((n) => n < 200).length;
  assert.ok(quiet >= 10, `${quiet} noise-only frames (the recording covers about half the window)`);
  assert.deepEqual(pipe.toFrames(ev, { id: "1" }).data, a.data, "same sample, same placement");
  assert.notDeepEqual(pipe.toFrames(ev, { id: "2" }).data, a.data, "another sample id, another placement");
});

test("a recording from a larger sensor is rejected with both sizes named", async () => {
  const ev = (await readEventFile(file, { format: "atis40", sensor })).stream;
  const pre = preprocessingFor(loadModelConfig("nmnist"), { width: 32, height: 32, polarities: 2 });
  assert.throws(() => pipelineFor(pre).toFrames(ev, { id: "1" }), /34×34 sensor, but the network was trained on 32×32/);
});

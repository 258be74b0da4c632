import assert from "node:assert/strict";
import { test } from "node:test";
import "../../src/engine/index.js";
import { makeEventStream } from "../../src/events/stream.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import { type ModelConfig, resolveModelConfig } from "../../src/models/config.js";
import { buildModel } from "../../src/models/index.js";
import { encodeCheckpoint } from "../../src/checkpoint/checkpoint.js";
import { preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { Rng } from "../../src/util/rng.js";
import { frameBoundaries, loadViewerModel, modelFrames, runViewerModel } from "../../src/web/model-runner.js";

function randomEvents(rng: Rng, n: number, w: number, h: number, spanUs: number) {
  const t = Float64Array.from({ length: n }, () => Math.floor(rng.uniform() * spanUs)).sort();
  const x = Uint16Array.from({ length: n }, () => rng.int(w));
  const y = Uint16Array.from({ length: n }, () => rng.int(h));
  const p = Uint8Array.from({ length: n }, () => rng.int(2));
  return makeEventStream(t, x, y, p, { width: w, height: h, polarities: 2 });
}

function tinyConfig(over: Record<string, unknown> = {}): ModelConfig {
  return resolveModelConfig(
    {
      name: "tiny",
      dataset: "test",
      variant: "razor",
      input: [2, 5, 4],
      classes: 3,
      frames: { T: 6, dtMs: 1, mode: "time-window", downsample: 2 },
      layers: [
        { type: "conv", out: 4, kernel: 3, bn: true },
        { type: "fc", out: 8, bn: true },
        { type: "fc", out: 8, bn: true },
        { type: "fc", out: 3, bn: false },
      ],
      seed: 4,
      ...over,
    },
    {},
    "tiny",
  );
}

const sensor = { width: 8, height: 10, polarities: 2 };

test("modelFrames: the checkpoint's pipeline (2×2 downsampling, T windows of dt), shape checked against the model", () => {
  const rng = new Rng(3);
  // sensor 7×9 fits the 8×10 the network was trained on; the last row/column of blocks are partial
  const ev = randomEvents(rng, 400, 7, 9, 6500);
  const config = tinyConfig();
  const { data, shape } = modelFrames(preprocessingFor(config, sensor), config, ev, "rec");
  assert.deepEqual(shape, [6, 2, 5, 4]);
  const full = toFrames(ev, { mode: "timeWindow", dt: 1000, frames: 6 }, sensor);
  const expected = new Float32Array(data.length);
  for (let t = 0; t < 6; t++)
    for (let p = 0; p < 2; p++)
      for (let y = 0; y < 10; y++)
        for (let x = 0; x < 8; x++)
          expected[((t * 2 + p) * 5 + (y >> 1)) * 4 + (x >> 1)]! += full.data[((t * 2 + p) * 10 + y) * 8 + x]!;
  assert.deepEqual(data, expected);
  // every event inside the T·dt grid is counted once
  const inGrid = ev.t.filter((v) => v - ev.t[0]! < 6000).length;
  assert.equal(
    data.reduce((a, b) => a + b, 0),
    inGrid,
  );
  const tooBig = randomEvents(rng, 10, 12, 12, 100);
  assert.throws(
    () => modelFrames(preprocessingFor(config, sensor), config, tooBig, "big.bin"),
    /big\.bin: recording from a 12×12 sensor, but the network was trained on 8×10/,
  );
  const oneChannel = tinyConfig({ input: [1, 5, 4] });
  assert.throws(
    () => modelFrames(preprocessingFor(oneChannel, sensor), oneChannel, ev, "rec"),
    /rec: the preprocessing makes frames of 2×5×4, the model takes \[1, 5, 4\]/,
  );
});

test("runViewerModel: θ = 0 keeps every frame and equals the unmasked run; higher θ keeps fewer, scores unchanged in the first masked layer", () => {
  const config = tinyConfig();
  const bytes = encodeCheckpoint(buildModel(config), {
    model: config as never,
    preprocessing: preprocessingFor(config, sensor) as never,
    thresholds: null,
    training: {},
  });
  const vm = loadViewerModel(bytes, "tiny.safetensors");
  assert.deepEqual(vm.info.maskedLayers, ["layers.1", "layers.2"]);
  assert.deepEqual(vm.info.thresholds, [0, 0]);
  assert.equal(vm.info.timesteps, 6);
  const ev = randomEvents(new Rng(9), 3000, 8, 10, 6000);

  const r0 = runViewerModel(vm, ev, 7, [0, 0], "rec");
  assert.equal(r0.handle, 7);
  assert.deepEqual(
    r0.layers.map((l) => l.kept),
    [6, 6],
  );
  assert.deepEqual(r0.masked.outputs, r0.unmasked.outputs);
  assert.equal(r0.masked.sops, r0.unmasked.sops);
  assert.deepEqual(r0.frameShape, [6, 2, 5, 4]);

  // hierarchical masks: kept frames never grow with θ, and layer 2 keeps a subset of layer 1
  const scores = r0.layers[0]!.scores;
  const sorted = [...scores].sort((a, b) => a - b);
  let previous = [6, 6];
  for (const theta of [sorted[1]!, sorted[3]!, sorted[5]! + 1e-6]) {
    const r = runViewerModel(vm, ev, 7, [theta, theta], "rec");
    assert.deepEqual(r.layers[0]!.scores, scores, "layer 1 scores come from unmasked input");
    const expectKept = [...scores].filter((s) => s >= theta).length;
    assert.equal(r.layers[0]!.kept, expectKept);
    for (let t = 0; t < 6; t++) assert.ok(r.layers[1]!.mask[t]! <= r.layers[0]!.mask[t]!);
    assert.ok(r.layers[0]!.kept <= previous[0]! && r.layers[1]!.kept <= previous[1]!);
    assert.ok(r.masked.sops <= r.unmasked.sops);
    assert.deepEqual(r.unmasked.outputs, r0.unmasked.outputs, "unmasked run does not depend on θ");
    previous = r.layers.map((l) => l.kept);
  }
  assert.deepEqual(previous, [0, 0]);
  assert.throws(() => runViewerModel(vm, ev, 7, [0.5], "rec"), /expected 2 thresholds/);
});

test("loadViewerModel: a safetensors file without razor-snn metadata gets a clear error", () => {
  const header = new TextEncoder().encode(JSON.stringify({ __metadata__: {} }));
  const bytes = new Uint8Array(8 + header.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  assert.throws(() => loadViewerModel(bytes, "plain.safetensors"), /plain\.safetensors: .*not a razor-snn checkpoint/);
});

test("frameBoundaries: model frames in the recording's time, as the framing places them; null for a noise window", () => {
  const ev = makeEventStream(
    new Float64Array([1000, 1500, 9000]),
    new Uint16Array(3),
    new Uint16Array(3),
    new Uint8Array(3),
    { width: 8, height: 10, polarities: 2 },
  );
  const windowed = preprocessingFor(tinyConfig(), sensor);
  assert.deepEqual([...frameBoundaries(windowed, 6, ev)!], [1000, 2000, 3000, 4000, 5000, 6000, 7000]);
  const spread = preprocessingFor(tinyConfig({ frames: { T: 4, dtMs: null, mode: "spread", downsample: 2 } }), sensor);
  // 4 bins of floor(8000 / 4) µs from the first event, as the timeBins framing cuts them
  assert.deepEqual([...frameBoundaries(spread, 4, ev)!], [1000, 3000, 5000, 7000, 9000]);
  const noisy = preprocessingFor(tinyConfig(), sensor, { window: { spanUs: 6000, factor: 2, noiseHz: 5, seed: 1 } });
  assert.equal(frameBoundaries(noisy, 6, ev), null);
});

/**
 * SHD pipeline end to end on the synthetic-layout fixture (random spikes in the real SHD layout: no accuracy
 * claim): HDF5 -> events -> frames -> SHD Razor network -> 2 epochs -> checkpoint -> reload -> eval and sweep.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Sample } from "../../src/data/sample.js";
import { openShd } from "../../src/events/shd-node.js";
import { buildModel } from "../../src/models/index.js";
import { releaseEngine, selectEngine } from "../../src/cli/engine-option.js";
import { evaluate } from "../../src/train/evaluate.js";
import { loadCheckpointModel } from "../../src/checkpoint/load-model.js";
import { RunDir } from "../../src/cli/run-dir.js";
import { framesData, makePreprocessing, resolveConfig } from "../../src/experiments/setup.js";
import { thresholdSweep } from "../../src/experiments/sweep.js";
import { train } from "../../src/train/trainer.js";
import { sharedDataDir } from "../../src/util/paths.js";

test("SHD pipeline runs end to end on the synthetic-layout fixture (no accuracy claim)", async () => {
  const threads = await selectEngine(2);
  const dir = mkdtempSync(join(tmpdir(), "razor-shd-"));
  const path = join(sharedDataDir(), "shd", "SYNTHETIC_layout_fixture", "synthetic_shd_layout_f16.h5");
  const file = await openShd(path);
  try {
    const samples: Sample[] = Array.from({ length: file.length }, (_, i) => ({
      id: `fixture#${i}`,
      label: file.labels[i]!,
      identity: () => `${path}#${i}`,
      load: async () => file.sample(i),
    }));
    const classes = Array.from({ length: 20 }, (_, i) => `class ${i}`);
    const sensor = file.sample(0).sensor;
    assert.deepEqual(sensor, { width: 700, height: 1, polarities: 1 });
    const config = resolveConfig({ configName: "shd", variant: "razor", set: ["frames.T=40"] }, 20, sensor, () => {});
    const pre = makePreprocessing(config, sensor, null);
    const data = framesData(samples, classes, pre, { training: true, cache: false });
    const evalData = framesData(samples, classes, pre, { training: false, cache: false });
    const model = buildModel(config);
    const opts = { epochs: 2, batchSize: 4, lr: 1e-3, loss: "mse" as const, seed: 1, threads, progress: false };
    const summary = await train(model, data, evalData, opts, new RunDir(dir, false));
    assert.equal(summary.epochs.length, 2);
    assert.ok(summary.epochs.every((e) => Number.isFinite(e.trainLoss)));
    const inMemory = await evaluate(model, evalData, { batchSize: 4 });
    const loaded = loadCheckpointModel(join(dir, "last.safetensors"));
    assert.equal(loaded.pre.T, 40);
    assert.deepEqual(loaded.pre.sensor, sensor);
    assert.equal(loaded.pre.dtUs, 14000);
    const reloaded = await evaluate(loaded.model, evalData, { batchSize: 4 });
    assert.deepEqual([...reloaded.predictions], [...inMemory.predictions], "the checkpoint reproduces the model");
    const sweep = await thresholdSweep(loaded.model, evalData, { batchSize: 4, targets: [0, 0.5], calibration: null });
    assert.equal(sweep.baseline.accuracy, reloaded.accuracy);
    const half = sweep.points[1]!;
    assert.equal(half.pruned.dropPerLayer.length, 3);
    for (const c of ["random", "stride", "gate"] as const) {
      half.controls[c]!.dropPerLayer.forEach((d, i) => {
        assert.ok(Math.abs(d - half.pruned.dropPerLayer[i]!) < 0.01, `${c} layer ${i}: ${d}`);
      });
    }
    model.dispose();
    loaded.model.dispose();
  } finally {
    file.close();
    releaseEngine();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Learned pruning end to end on a tiny fixture: a real Razor network trained with sampled binary masks and a
 * keep-rate target moves its achieved keep rate toward the target, and the comparison (learned masks, post-hoc θ,
 * controls at the same per-layer rates) has every row, in text and in JSON.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import "../../src/engine/index.js";
import { buildModel, resolveModelConfig } from "../../src/models/index.js";
import {
  compareLearned,
  learnedKeepRates,
  learnedMaskPolicy,
  learnedRows,
  learnedTable,
} from "../../src/experiments/learned.js";
import { runPolicy } from "../../src/experiments/sweep.js";
import { train } from "../../src/train/trainer.js";
import { SyntheticData } from "../train/synthetic-data.js";

const noSink = { saveEpoch() {}, log() {}, loadState: () => null };
const [T, F, K] = [8, 12, 3];

function tinyRazor(learnedPruning: { lambda: number; rho: number } | null) {
  return buildModel(
    resolveModelConfig({
      name: "tiny-fc",
      dataset: "synthetic",
      input: [F],
      classes: K,
      frames: { T, dtMs: 10, mode: "time-window", downsample: 1 },
      layers: [
        { type: "fc", out: 16, bn: true },
        { type: "fc", out: 16, bn: true },
        { type: "fc", out: 16, bn: true },
        { type: "fc", out: K, bn: false },
      ],
      razor: { K: 2, learnedPruning },
      seed: 5,
    }),
  );
}

test("learned pruning trains, its keep rate moves toward the target, and the comparison has every row", async () => {
  const rho = 0.35;
  const model = tinyRazor({ lambda: 4, rho });
  const trainSet = new SyntheticData(96, T, F, K, 31);
  const calib = new SyntheticData(30, T, F, K, 32);
  const test = new SyntheticData(45, T, F, K, 33);
  const keepOf = async (): Promise<number> => {
    const r = await runPolicy(model, calib, learnedMaskPolicy(0.5), 16);
    return 1 - r.dropPerLayer[1]!;
  };
  const before = await keepOf();
  const summary = await train(
    model,
    trainSet,
    calib,
    { epochs: 6, batchSize: 16, lr: 0.01, loss: "mse", seed: 2, threads: 1, progress: false },
    noSink,
  );
  const after = await keepOf();
  assert.ok(
    Math.abs(after - rho) < Math.abs(before - rho) - 0.1,
    `keep rate ${before.toFixed(2)} → ${after.toFixed(2)}, target ${rho}`,
  );
  assert.ok((summary.final.accuracy ?? 0) > 1 / K + 0.15, `trains: accuracy ${summary.final.accuracy}`);

  const reference = tinyRazor(null);
  const c = await compareLearned(model, test, {
    evalThreshold: 0.5,
    keepTarget: rho,
    batchSize: 16,
    calibration: calib,
    reference,
    seed: 1,
  });
  const rows = learnedRows(c).map((r) => r.method);
  assert.deepEqual(rows, [
    "unpruned (every frame)",
    "learned masks (d ≥ 0.5)",
    "post-hoc θ, same model",
    "post-hoc θ, reference model",
    "random frames",
    "fixed stride",
    "event-count gate",
  ]);
  // the controls drop exactly what the learned masks dropped, layer by layer
  for (const k of ["random", "stride", "gate"] as const) {
    assert.deepEqual(
      c.controls[k]!.dropPerLayer.map((d) => d.toFixed(6)),
      c.learned.dropPerLayer.map((d) => d.toFixed(6)),
      k,
    );
  }
  // post-hoc θ was calibrated to the learned rates on the calibration split (ties can shift it a few frames)
  assert.ok(Math.abs(c.posthoc.run.dropOverall - c.learned.dropOverall) < 0.15);
  assert.equal(c.unpruned.dropOverall, 0);
  assert.deepEqual(
    learnedKeepRates(c),
    c.learned.dropPerLayer.slice(1).map((d) => 1 - d),
  );
  const text = learnedTable(c);
  for (const r of rows) assert.ok(text.includes(`| ${r} |`), r);
  assert.match(text, /keep-rate target 35\.0 %/);
  const json = JSON.parse(JSON.stringify(c)) as typeof c;
  assert.equal(json.learned.n, 45);
  assert.ok(json.reference !== undefined && json.controls.gate !== undefined);
  model.dispose();
  reference.dispose();
});

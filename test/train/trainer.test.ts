import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/engine/index.js";
import { decodeCheckpoint } from "../../src/checkpoint/checkpoint.js";
import { RunDir } from "../../src/cli/run-dir.js";
import { cosineLr } from "../../src/train/schedule.js";
import { type TrainOptions, train } from "../../src/train/trainer.js";
import { SyntheticData } from "./synthetic-data.js";
import { TinyModel } from "./tiny-model.js";

const trainSet = new SyntheticData(48, 6, 12, 3, 11);
const valSet = new SyntheticData(30, 6, 12, 3, 12);
const opts: TrainOptions = { epochs: 3, batchSize: 8, lr: 0.05, loss: "mse", seed: 5, threads: 1, progress: false };

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "razor-train-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("training learns the synthetic task and logs every epoch; final and best are reported", async () => {
  await withDir(async (dir) => {
    const summary = await train(
      new TinyModel(12, 8, 3),
      trainSet,
      valSet,
      { ...opts, epochs: 5 },
      new RunDir(dir, false),
    );
    assert.equal(summary.epochs.length, 5);
    assert.ok(summary.epochs[4]!.trainLoss < summary.epochs[0]!.trainLoss, "loss goes down");
    assert.ok(summary.best.accuracy! >= 0.8, `best val accuracy ${summary.best.accuracy}`);
    assert.equal(summary.final.epoch, 5);
    const log = readFileSync(join(dir, "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      log.map((r) => r.epoch),
      [1, 2, 3, 4, 5],
    );
    assert.ok(log.every((r) => typeof r.valAccuracy === "number" && typeof r.samplesPerSecond === "number"));
    const best = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, "best.safetensors"))), "best");
    assert.equal((best.meta.training as { epoch: number }).epoch, summary.best.epoch);
    assert.deepEqual(best.meta.preprocessing, trainSet.preprocessing);
    assert.throws(() => new RunDir(dir, false), /already holds a training run .* --resume/);
  });
});

test("--resume after a kill continues bit-identically (2 epochs vs 1 + resume + 1)", async () => {
  const straight = await withDir(async (dir) => {
    await train(new TinyModel(12, 8, 3), trainSet, valSet, { ...opts, epochs: 2 }, new RunDir(dir, false));
    return ["last.safetensors", "train-state.safetensors"].map((f) => readFileSync(join(dir, f)));
  });
  const resumed = await withDir(async (dir) => {
    await train(
      new TinyModel(12, 8, 3),
      trainSet,
      valSet,
      { ...opts, epochs: 2, stopAfter: 1 },
      new RunDir(dir, false),
    );
    // a fresh process: a new model whose weights are scrambled, so everything must come from disk
    const fresh = new TinyModel(12, 8, 3);
    for (const p of fresh.parameters()) p.value.fill(0.123);
    await train(fresh, trainSet, valSet, { ...opts, epochs: 2 }, new RunDir(dir, true));
    const log = readFileSync(join(dir, "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      log.map((r) => r.epoch),
      [1, 2],
    );
    return ["last.safetensors", "train-state.safetensors"].map((f) => readFileSync(join(dir, f)));
  });
  assert.ok(straight[0]!.equals(resumed[0]!), "model checkpoint bytes identical");
  assert.ok(straight[1]!.equals(resumed[1]!), "training state bytes identical");
  const other = await withDir(async (dir) => {
    await train(new TinyModel(12, 8, 3), trainSet, valSet, { ...opts, epochs: 2, seed: 6 }, new RunDir(dir, false));
    return readFileSync(join(dir, "last.safetensors"));
  });
  assert.ok(!other.equals(straight[0]!), "another seed gives another model");
});

test("resuming with another seed or without a saved state is a clear error", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      async () => train(new TinyModel(12, 8, 3), trainSet, null, opts, new RunDir(dir, true)),
      /--resume: .* does not exist/,
    );
    await train(new TinyModel(12, 8, 3), trainSet, null, { ...opts, stopAfter: 1 }, new RunDir(dir, false));
    await assert.rejects(
      train(new TinyModel(12, 8, 3), trainSet, null, { ...opts, seed: 9 }, new RunDir(dir, true)),
      /saved run used seed 5, this one 9/,
    );
  });
});

test("cosine schedule: each epoch's rate is cosineLr, a resumed run continues it bit-identically, and its epoch count is fixed", async () => {
  const cosine: TrainOptions = { ...opts, epochs: 4, schedule: "cosine" };
  const straight = await withDir(async (dir) => {
    const summary = await train(new TinyModel(12, 8, 3), trainSet, valSet, cosine, new RunDir(dir, false));
    assert.deepEqual(
      summary.epochs.map((r) => r.lr),
      [0, 1, 2, 3].map((e) => cosineLr(opts.lr, e, 4)),
    );
    // the closed form: full rate first, half at mid-run, falling towards 0
    assert.equal(cosineLr(1, 0, 4), 1);
    assert.ok(Math.abs(cosineLr(1, 2, 4) - 0.5) < 1e-15);
    assert.ok(cosineLr(1, 3, 4) < 0.15);
    return readFileSync(join(dir, "train-state.safetensors"));
  });
  await withDir(async (dir) => {
    const model = new TinyModel(12, 8, 3);
    await train(model, trainSet, valSet, { ...cosine, stopAfter: 2 }, new RunDir(dir, false));
    await assert.rejects(
      train(new TinyModel(12, 8, 3), trainSet, valSet, { ...cosine, epochs: 6 }, new RunDir(dir, true)),
      /cannot resume: epochs was 4 in the saved run, 6 now/,
    );
    await train(new TinyModel(12, 8, 3), trainSet, valSet, cosine, new RunDir(dir, true));
    assert.ok(readFileSync(join(dir, "train-state.safetensors")).equals(straight), "training state bytes identical");
  });
  const plateau = await withDir(async (dir) => {
    await train(new TinyModel(12, 8, 3), trainSet, valSet, { ...opts, epochs: 4 }, new RunDir(dir, false));
    return readFileSync(join(dir, "train-state.safetensors"));
  });
  assert.ok(!plateau.equals(straight), "the schedule changes the training");
});

/**
 * --memory-budget: sizes parse or are refused in one line, the plan recomputes the largest layers first until the
 * estimate fits, refuses (naming the estimate) when nothing fits, and the estimate tracks the measured peak.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { join } from "node:path";
import "../../src/engine/index.js";
import { useEngine } from "../../src/engine/current.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { applyMemoryBudget } from "../../src/cli/memory-budget.js";
import { sizeOpt } from "../../src/cli/options.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import { estimatePeak, planRecompute } from "../../src/models/memory-plan.js";
import { layerBytes } from "../../src/nn/layer-memory.js";
import { Adam } from "../../src/train/optimizer.js";
import { Rng } from "../../src/util/rng.js";
import { projectRoot } from "../../src/util/paths.js";

const MiB = 2 ** 20;

test("sizes: binary units, decimals, bare bytes; anything else is refused in one line", () => {
  assert.equal(sizeOpt("memory-budget", "3GiB"), 3 * 2 ** 30);
  assert.equal(sizeOpt("memory-budget", "512MiB"), 512 * MiB);
  assert.equal(sizeOpt("memory-budget", "1.5g"), 1.5 * 2 ** 30);
  assert.equal(sizeOpt("memory-budget", "2048K"), 2 * MiB);
  assert.equal(sizeOpt("memory-budget", String(4 * MiB)), 4 * MiB);
  assert.equal(sizeOpt("memory-budget", undefined), undefined);
  for (const bad of ["3XB", "GiB", "-1GiB", "1e3MiB", "", "100KiB"]) {
    assert.throws(
      () => sizeOpt("memory-budget", bad),
      (e: Error) => e.message === `--memory-budget ${bad}: expected a size of at least 1MiB, such as 3GiB or 512MiB`,
    );
  }
});

test("the plan recomputes the largest layers first, only as many as the budget needs, and refuses the impossible", () => {
  const model = buildModel(loadModelConfig("dvs128-gesture", { variant: "razor" }));
  const [T, B] = [60, 32];
  const none = model.layers.map(() => false);
  const all = model.layers.map(() => true);
  const full = estimatePeak(model, T * B, none);
  const least = estimatePeak(model, T * B, all);
  assert.ok(least < 0.7 * full, `${least} vs ${full}`);
  assert.deepEqual(planRecompute(model, T, B, full).recompute, none);
  const freed = model.layers.map((l) => layerBytes(l, T * B).freed);
  const largest = freed.indexOf(Math.max(...freed));
  const one = planRecompute(model, T, B, full - 1);
  assert.deepEqual(
    one.recompute,
    none.map((_, i) => i === largest),
  );
  assert.ok(one.estimate <= full - 1);
  assert.deepEqual(planRecompute(model, T, B, least).recompute, all);
  assert.throws(
    () => planRecompute(model, T, B, least - 1),
    /--memory-budget \d\.\d\d GiB: a step at batch 32, T 60 needs about \d\.\d\d GiB even with every layer recomputing/,
  );
  const line = applyMemoryBudget(model, T, B, 4 * 2 ** 30);
  assert.match(line, /^memory budget 4\.00 GiB: recomputing layers [\d, ]+ \(estimated step peak \d\.\d\d GiB\)$/);
  assert.ok(model.layers.some((l) => l.recompute));
  model.dispose();
});

test("the estimate is within 0.8–1.5× of the measured peak of a training step, with and without recomputation", async () => {
  for (const recompute of [false, true]) {
    const e = await createWasmEngine({ threads: 2 });
    useEngine(e);
    const config = loadModelConfig("dvs128-gesture", { variant: "razor", frames: { T: 6 } });
    const model = buildModel(config);
    const which = model.layers.map(() => recompute);
    model.setRecompute(which);
    const adam = new Adam(model.parameters(), { lr: 1e-4 });
    const rng = new Rng(1);
    const B = 4;
    const x = new Float32Array(6 * B * 2048).map(() => (rng.uniform() < 0.02 ? 1 : 0));
    const out = model.forward({ data: x, shape: [6, B, 2, 32, 32] }, { training: true, rng });
    model.backward({ data: out.data.map(() => 0.1), shape: out.shape }, { training: true, rng });
    adam.update();
    const ratio = estimatePeak(model, 6 * B, which) / e.peakBytes();
    assert.ok(ratio > 0.8 && ratio < 1.5, `recompute ${recompute}: estimate / measured = ${ratio}`);
    adam.dispose();
    model.dispose();
    e.close();
  }
});

test("razor-snn train refuses a bad --memory-budget in one line before opening any data", () => {
  const r = spawnSync(
    process.execPath,
    [join(projectRoot(), "bin", "razor-snn.js"), "train", "--out", "/nonexistent/x", "--memory-budget", "3XB"],
    { encoding: "utf8" },
  );
  assert.notEqual(r.status, 0);
  assert.equal(
    r.stderr.trim(),
    "razor-snn: --memory-budget 3XB: expected a size of at least 1MiB, such as 3GiB or 512MiB",
  );
});

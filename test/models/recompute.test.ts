/**
 * Activation recomputation: one training step with every layer recomputing gives byte-identical parameter
 * gradients, outputs and BN running statistics to the step without it (every bundled config, scaled down, in all
 * three variants, on the reference engine and on the wasm engine split over 2 threads), and the engine's peak drops.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { listModelConfigs, loadModelConfig } from "../../src/models/config-file.js";
import { resolveModelConfig } from "../../src/models/index.js";
import { engines, scaledDown, step, variants } from "./step-helpers.js";

test("recomputation: gradients, outputs and running stats byte-identical for every bundled config and variant", async () => {
  for (const [engineName, make] of engines) {
    for (const name of listModelConfigs()) {
      for (const variant of variants) {
        const cfg = scaledDown(loadModelConfig(name, { variant }));
        const plain = await step(make, cfg, { recompute: false });
        const again = await step(make, cfg, { recompute: true });
        const what = `${engineName} ${name} ${variant}`;
        assert.deepEqual(again.out, plain.out, `${what}: output`);
        assert.deepEqual(again.grads, plain.grads, `${what}: gradients`);
        assert.deepEqual(again.buffers, plain.buffers, `${what}: running stats`);
      }
    }
  }
});

test("recomputation: learned pruning (sampled masks) and dropped frames give identical gradients too", async () => {
  const base = scaledDown(loadModelConfig("dvs128-gesture", { variant: "razor" }));
  const lp = resolveModelConfig({ ...base, razor: { ...base.razor, learnedPruning: { lambda: 0.5, rho: 0.5 } } });
  const th = resolveModelConfig({ ...base, inference: { ...base.inference, thresholds: [null, 0.5, 0.5, 0.5, null] } });
  for (const cfg of [lp, th]) {
    const plain = await step(engines[1]![1], cfg, { recompute: false });
    const again = await step(engines[1]![1], cfg, { recompute: true });
    assert.deepEqual(again.grads, plain.grads);
    assert.deepEqual(again.buffers, plain.buffers);
  }
});

test("recomputation lowers the engine's peak memory of a training step", async () => {
  const cfg = loadModelConfig("dvs128-gesture", { variant: "razor", frames: { T: 6 } });
  const plain = await step(engines[1]![1], cfg, { recompute: false });
  const again = await step(engines[1]![1], cfg, { recompute: true });
  assert.deepEqual(again.grads, plain.grads);
  assert.ok(again.peak < 0.8 * plain.peak, `peak ${again.peak} with recomputation vs ${plain.peak} without`);
});

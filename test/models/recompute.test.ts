/**
 * Activation recomputation: one training step with every layer recomputing gives byte-identical parameter
 * gradients, outputs and BN running statistics to the step without it (every bundled config, scaled down, in all
 * three variants, on the reference engine and on the wasm engine split over 2 threads), and the engine's peak drops.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Engine } from "../../src/engine/api.js";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { useEngine } from "../../src/engine/current.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { listModelConfigs, loadModelConfig } from "../../src/models/config-file.js";
import type { ModelConfig } from "../../src/models/config.js";
import { buildModel, resolveModelConfig, type Variant } from "../../src/models/index.js";
import { Rng } from "../../src/util/rng.js";

const variants: Variant[] = ["snn", "ta", "razor"];

/** The bundled network with at most 6 channels per hidden layer, T 4, and the smallest input its pools allow. */
function scaledDown(cfg: ModelConfig): ModelConfig {
  const n = cfg.layers.length;
  const layers = cfg.layers.map((l, i) => (i === n - 1 ? l : { ...l, out: Math.min(l.out, 6) }));
  const pools = cfg.layers.reduce((a, l) => a * (l.pool?.kernel ?? 1), 1);
  const side = Math.max(8, pools);
  const input = cfg.input.length === 3 ? [cfg.input[0]!, side, side] : [Math.min(cfg.input[0]!, 64)];
  return resolveModelConfig({ ...cfg, input, layers, frames: { ...cfg.frames, T: 4 } });
}

interface StepResult {
  out: Uint8Array;
  grads: Uint8Array[];
  buffers: Uint8Array[];
  peak: number;
}

const bytes = (a: Float32Array): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);

/** One training step (forward, a fixed projection as dL/dy, backward) of a fresh model on a fresh engine. */
async function step(makeEngine: () => Promise<Engine>, cfg: ModelConfig, recompute: boolean): Promise<StepResult> {
  const e = await makeEngine();
  useEngine(e);
  try {
    const model = buildModel(cfg);
    model.setRecompute(model.layers.map(() => recompute));
    const B = 3;
    const rng = new Rng(5);
    const frame = cfg.input.reduce((a, b) => a * b, 1);
    const data = new Float32Array(cfg.frames.T * B * frame);
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < 0.08 ? 1 + rng.int(2) : 0;
    const y = model.forward({ data, shape: [cfg.frames.T, B, ...cfg.input] }, { training: true, rng: new Rng(7) });
    const gy = Float32Array.from(y.data, (_, i) => Math.sin(i * 0.37));
    model.zeroGrad();
    model.backward({ data: gy, shape: y.shape }, { training: true, rng: new Rng(7) });
    const result = {
      out: bytes(y.data),
      grads: model.parameters().map((p) => bytes(p.grad)),
      buffers: model.buffers().map((b) => bytes(b.value)),
      peak: e.peakBytes(),
    };
    model.dispose();
    return result;
  } finally {
    (e as Engine & { close?: () => void }).close?.();
  }
}

const engines: [string, () => Promise<Engine>][] = [
  ["reference", async () => createReferenceEngine()],
  ["wasm 2 threads", async () => createWasmEngine({ threads: 2, alwaysSplit: true })],
];

test("recomputation: gradients, outputs and running stats byte-identical for every bundled config and variant", async () => {
  for (const [engineName, make] of engines) {
    for (const name of listModelConfigs()) {
      for (const variant of variants) {
        const cfg = scaledDown(loadModelConfig(name, { variant }));
        const plain = await step(make, cfg, false);
        const again = await step(make, cfg, true);
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
    const plain = await step(engines[1]![1], cfg, false);
    const again = await step(engines[1]![1], cfg, true);
    assert.deepEqual(again.grads, plain.grads);
    assert.deepEqual(again.buffers, plain.buffers);
  }
});

test("recomputation lowers the engine's peak memory of a training step", async () => {
  const cfg = loadModelConfig("dvs128-gesture", { variant: "razor", frames: { T: 6 } });
  const plain = await step(engines[1]![1], cfg, false);
  const again = await step(engines[1]![1], cfg, true);
  assert.deepEqual(again.grads, plain.grads);
  assert.ok(again.peak < 0.8 * plain.peak, `peak ${again.peak} with recomputation vs ${plain.peak} without`);
});

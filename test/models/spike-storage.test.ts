/**
 * Spike input kept as bytes (nn/spike-storage.ts): one training step gives byte-identical gradients, outputs and
 * running statistics to keeping the f32 copy, for every bundled config (scaled down) in all three variants, on the
 * reference engine and on the wasm engine split over 2 threads, with dense kernels forced (the path that reads the
 * stored input) and at the default event-driven thresholds, with and without recomputation; and the peak drops.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { listModelConfigs, loadModelConfig } from "../../src/models/config-file.js";
import { eventDrivenThresholds, setEventDrivenThresholds } from "../../src/nn/density.js";
import { Lif } from "../../src/nn/lif.js";
import { storedInput } from "../../src/nn/spike-storage.js";
import { useEngine } from "../../src/engine/current.js";
import { Rng } from "../../src/util/rng.js";
import { engines, scaledDown, step, variants } from "./step-helpers.js";

const defaults = { ...eventDrivenThresholds() };
after(() => setEventDrivenThresholds(defaults));

test("spike bytes: gradients byte-identical to f32 storage for every bundled config, variant and engine", async () => {
  for (const [engineName, make] of engines) {
    for (const name of listModelConfigs()) {
      for (const variant of variants) {
        const cfg = scaledDown(loadModelConfig(name, { variant }));
        for (const dense of [true, false]) {
          setEventDrivenThresholds(dense ? { linear: 0, conv: 0 } : defaults);
          const float = await step(make, cfg, { recompute: false, compact: false });
          const runs = dense ? [false, true] : [false];
          for (const recompute of runs) {
            const compact = await step(make, cfg, { recompute, compact: true });
            const what = `${engineName} ${name} ${variant} ${dense ? "dense" : "default thresholds"} recompute ${recompute}`;
            assert.deepEqual(compact.out, float.out, `${what}: output`);
            assert.deepEqual(compact.grads, float.grads, `${what}: gradients`);
            assert.deepEqual(compact.buffers, float.buffers, `${what}: running stats`);
          }
        }
      }
    }
  }
  setEventDrivenThresholds(defaults);
});

test("spike bytes lower the peak of a training step on dense kernels", async () => {
  setEventDrivenThresholds({ linear: 0, conv: 0 });
  const cfg = loadModelConfig("dvs128-gesture", { variant: "razor", frames: { T: 6 } });
  const float = await step(engines[1]![1], cfg, { recompute: false, compact: false });
  const compact = await step(engines[1]![1], cfg, { recompute: false, compact: true });
  setEventDrivenThresholds(defaults);
  assert.deepEqual(compact.grads, float.grads);
  // at least layer 0's f32 output (64 × 32 × 32 per frame, T 6 × B 3 frames) is no longer held at the peak
  const layer0 = 4 * 6 * 3 * 64 * 32 * 32;
  assert.ok(float.peak - compact.peak >= layer0, `peak ${compact.peak} with bytes vs ${float.peak} with f32`);
});

test("a synapse keeps LIF output as its bytes (exactly the f32 values) and any other input as floats", () => {
  useEngine(createReferenceEngine());
  const rng = new Rng(3);
  const lif = new Lif({ alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" });
  const current = Float32Array.from({ length: 2 * 3 * 10 }, () => rng.uniform() - 0.2);
  const s = lif.forward({ data: current, shape: [2, 3, 10] }, { training: true, rng });
  const kept = storedInput(s, "test");
  assert.ok(kept instanceof Uint8Array);
  assert.deepEqual(Float32Array.from(kept), s.data);
  assert.ok(s.data.some((v) => v === 1) && s.data.some((v) => v === 0));
  assert.equal(storedInput({ data: current, shape: [2, 3, 10] }, "test"), current);
  assert.throws(
    () => storedInput({ ...s, bytes: new Uint8Array(3) }, "layers.1.conv"),
    /layers\.1\.conv: input spike bytes hold 3 values, the input 60/,
  );
  lif.dispose();
});

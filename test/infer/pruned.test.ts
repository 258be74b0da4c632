import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Engine, engine, useEngine } from "../../src/engine/index.js";
import { createWasmEngine, type WasmEngine } from "../../src/engine/wasm.js";
import { PrunedRunner } from "../../src/infer/pruned.js";
import { buildModel } from "../../src/models/index.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import type { SnnModel } from "../../src/models/model.js";
import { setEventDrivenThresholds } from "../../src/nn/density.js";
import type { Seq } from "../../src/nn/module.js";
import { Rng } from "../../src/util/rng.js";

let wasm: WasmEngine;
let previous: Engine;
before(async () => {
  previous = engine();
  wasm = await createWasmEngine({ threads: 2 });
  useEngine(wasm);
});
after(() => {
  useEngine(previous);
  wasm.close();
  setEventDrivenThresholds({ linear: 0.3, conv: 0.3 });
});

/** Event-count frames with some empty frames and varying activity, as real recordings have. */
function randomInput(T: number, B: number, shape: number[], seed: number): Seq {
  const rng = new Rng(seed);
  const f = shape.reduce((a, v) => a * v, 1);
  const data = engine().allocF32(T * B * f);
  for (let r = 0; r < T * B; r++) {
    const rate = rng.uniform() < 0.3 ? 0 : rng.uniform() * 0.15;
    for (let i = 0; i < f; i++) if (rng.uniform() < rate) data[r * f + i] = 1 + rng.int(3);
  }
  return { data, shape: [T, B, ...shape] };
}

/** An untrained network barely fires past its first layers: louder weights make every layer spike. */
function amplify(model: SnnModel, k: number): SnnModel {
  for (const p of model.parameters())
    if (p.name.endsWith(".weight") && p.shape.length >= 2)
      p.value.forEach((v, i, a) => {
        a[i] = v * k;
      });
  return model;
}

/** Output spike counts [B × classes] of the dense masked model. */
function denseCounts(model: SnnModel, x: Seq): Float32Array {
  const out = model.eval().forward(x);
  const [T, B, classes] = out.shape as [number, number, number];
  const counts = new Float32Array(B * classes);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < classes; c++) counts[b * classes + c]! += out.data[(t * B + b) * classes + c]!;
    }
  }
  return counts;
}

/** θ per layer at the median score of a dense pass (about half the frames of each layer dropped). */
function medianThresholds(model: SnnModel, x: Seq): (number | null)[] {
  model.setThresholds(null);
  model.eval().forward(x);
  return model.scores().map((d, i) => {
    if (i === 0 || d === null) return null;
    const s = Float32Array.from(d).sort();
    return s[Math.floor(s.length / 2)]!;
  });
}

for (const variant of ["razor", "ta", "snn"] as const) {
  test(`pruned run equals the masked dense computation (${variant})`, () => {
    // same kernel family on both sides: the claim is about skipping frames, not about kernel arithmetic
    setEventDrivenThresholds({ linear: 1.01, conv: 1.01 });
    const model = amplify(buildModel(loadModelConfig("nmnist", { variant, frames: { T: 10 }, seed: 3 })), 4);
    const x = randomInput(10, 3, model.config.input, 11);
    if (variant !== "snn") model.setThresholds(medianThresholds(model, x));
    else {
      // plain SNN: drop every other frame from layer 2 on with a mask policy
      model.setMaskPolicy(({ T, B }) =>
        Uint8Array.from({ length: T * B }, (_, r) => (Math.floor(r / B) % 2 === 0 ? 1 : 0)),
      );
    }
    const expected = denseCounts(model, x);
    const expectedMasks = model.masks();
    const expectedSpikes = model.counts().map((c) => c.outputSpikes.reduce((a, v) => a + v, 0));
    const res = new PrunedRunner(model, { thresholds: "global" }).run(x);
    assert.deepEqual(Array.from(res.counts), Array.from(expected));
    let dropped = 0;
    res.layers.forEach((l, i) => {
      const m = expectedMasks[i];
      const want = m === null ? new Uint8Array(l.frames).fill(1) : m;
      assert.deepEqual(Array.from(l.executed), Array.from(want), `layer ${i} mask`);
      assert.equal(
        l.outputSpikes.reduce((a, v) => a + v, 0),
        expectedSpikes[i],
        `layer ${i} spikes`,
      );
      dropped += l.frames - l.framesExecuted;
    });
    assert.ok(dropped > 0, "the test must actually drop frames");
    assert.ok(
      expected.some((v) => v > 0),
      "the network must emit spikes for the comparison to mean something",
    );
    model.dispose();
  });
}

test("pruned run with nothing masked equals the dense model, with dense kernels too", () => {
  setEventDrivenThresholds({ linear: 0, conv: 0 });
  const model = buildModel(loadModelConfig("nmnist", { variant: "razor", frames: { T: 6 }, seed: 5 }));
  const x = randomInput(6, 2, model.config.input, 5);
  const expected = denseCounts(model, x);
  const res = new PrunedRunner(model, { thresholds: "global" }).run(x);
  assert.deepEqual(Array.from(res.counts), Array.from(expected));
  for (const l of res.layers) assert.equal(l.framesExecuted, l.frames);
  model.dispose();
});

test("memory does not grow over repeated pruned runs", () => {
  setEventDrivenThresholds({ linear: 0.3, conv: 0.3 });
  const model = buildModel(loadModelConfig("nmnist", { variant: "razor", frames: { T: 6 }, seed: 5 }));
  const x = randomInput(6, 2, model.config.input, 6);
  const runner = new PrunedRunner(model, { thresholds: "global" });
  runner.run(x);
  runner.run(x);
  const base = engine().bytesInUse();
  for (let i = 0; i < 10; i++) runner.run(x);
  assert.equal(engine().bytesInUse(), base);
  model.dispose();
});

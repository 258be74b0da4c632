import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Engine, engine, useEngine } from "../../src/engine/index.js";
import { createWasmEngine, type WasmEngine } from "../../src/engine/wasm.js";
import { type EventStream, sliceByIndex } from "../../src/events/stream.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import { readEventFile } from "../../src/events/read-file.js";
import { PrunedRunner } from "../../src/infer/pruned.js";
import { createStream, type FramePrediction } from "../../src/infer/stream.js";
import { buildModel } from "../../src/models/index.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import type { SnnModel } from "../../src/models/model.js";
import { sharedDataDir } from "../../src/util/paths.js";
import { Rng } from "../../src/util/rng.js";

let wasm: WasmEngine;
let previous: Engine;
let recording: EventStream;
before(async () => {
  previous = engine();
  wasm = await createWasmEngine({ threads: 2 });
  useEngine(wasm);
  recording = (await readEventFile(join(sharedDataDir(), "nmnist", "small", "1.bs2"))).stream;
});
after(() => {
  useEngine(previous);
  wasm.close();
});

function loudRazor(window: number, gapFloor: number | null): SnnModel {
  const model = buildModel(
    loadModelConfig("nmnist", { variant: "razor", razor: { window }, frames: { dtMs: 10 }, seed: 2 }),
  );
  for (const p of model.parameters()) {
    if (p.name.endsWith(".weight") && p.shape.length >= 2) p.value.forEach((v, i, a) => void (a[i] = v * 4));
  }
  model.setGapFloor(gapFloor);
  return model;
}

function runChunked(model: SnnModel, ev: EventStream, sizes: () => number): FramePrediction[] {
  const s = createStream(model);
  const out: FramePrediction[] = [];
  for (let i = 0; i < ev.t.length; ) {
    const n = Math.max(1, sizes());
    out.push(...s.push(sliceByIndex(ev, i, i + n)));
    i += n;
  }
  out.push(...s.flush());
  return out;
}

/** θ per layer at the median score of the recording's frames. */
function medianThresholds(model: SnnModel, frames: Float32Array, T: number): (number | null)[] {
  const x = engine().allocF32(frames.length);
  x.set(frames);
  model.setThresholds(null);
  model.eval().forward({ data: x, shape: [T, 1, ...model.config.input] });
  engine().free(x);
  return model.scores().map((d, i) => {
    if (i === 0 || d === null) return null;
    const s = Float32Array.from(d).sort();
    return s[Math.floor(s.length / 2)]!;
  });
}

for (const [window, gap] of [
  [1, null],
  [2, 2],
] as const) {
  test(`streaming in any chunking equals the pruned batch run (w=${window}, gap floor ${gap})`, () => {
    const model = loudRazor(window, gap);
    const dt = model.config.frames.dtMs! * 1000;
    const whole = runChunked(model, recording, () => recording.t.length);
    const T = whole.length;
    assert.equal(T, Math.floor((recording.t[recording.t.length - 1]! - recording.t[0]!) / dt) + 1);
    const frames = toFrames(recording, { mode: "timeWindow", dt, frames: T });
    const thresholds = medianThresholds(model, frames.data, T);
    model.setThresholds(thresholds);
    const ref = runChunked(model, recording, () => recording.t.length);
    const rng = new Rng(9);
    for (const sizes of [() => 1 + rng.int(7), () => 1 + rng.int(2000), () => 333]) {
      const got = runChunked(model, recording, sizes);
      assert.equal(got.length, ref.length);
      got.forEach((g, k) => {
        assert.deepEqual(g.computed, ref[k]!.computed, `frame ${k} kept flags`);
        assert.deepEqual(Array.from(g.counts), Array.from(ref[k]!.counts), `frame ${k} counts`);
      });
    }
    // the same frames through the batch runner
    const x = engine().allocF32(frames.data.length);
    x.set(frames.data);
    const batch = new PrunedRunner(model).run({ data: x, shape: [T, 1, ...model.config.input] });
    engine().free(x);
    assert.deepEqual(Array.from(batch.counts), Array.from(ref[T - 1]!.counts));
    batch.layers.forEach((l, n) => {
      assert.deepEqual(
        Array.from(l.executed),
        ref.map((f) => (f.computed[n] ? 1 : 0)),
        `layer ${n} frames`,
      );
    });
    const dropped = ref.reduce((a, f) => a + f.computed.filter((c) => !c).length, 0);
    assert.ok(dropped > 0, "the thresholds must drop frames");
    assert.ok(
      ref[T - 1]!.counts.some((c) => c > 0),
      "the network must produce output spikes",
    );
    model.dispose();
  });
}

test("a long stream keeps memory bounded", () => {
  const model = loudRazor(2, null);
  const s = createStream(model);
  const span = recording.t[recording.t.length - 1]! + 1;
  let base = -1;
  for (let rep = 0; rep < 12; rep++) {
    const t = Float64Array.from(recording.t, (v) => v + rep * span);
    s.push({ ...recording, t });
    if (rep === 1) base = engine().bytesInUse();
  }
  assert.equal(engine().bytesInUse(), base);
  model.dispose();
});

test("models that cannot stream say so", () => {
  const ta = buildModel(loadModelConfig("nmnist", { variant: "ta" }));
  assert.throws(() => createStream(ta), /TA models cannot stream/);
  const spread = buildModel(loadModelConfig("nmnist", { frames: { mode: "spread", dtMs: null } }));
  assert.throws(() => createStream(spread), /cannot stream/);
  const policy = buildModel(loadModelConfig("nmnist", {}));
  policy.setMaskPolicy(() => null);
  assert.throws(() => createStream(policy), /mask policies/);
  for (const m of [ta, spread, policy]) m.dispose();
});

test("events outside the model's input give a clear error", () => {
  const model = buildModel(loadModelConfig("nmnist", {}));
  const s = createStream(model);
  const ev: EventStream = {
    t: Float64Array.of(0, 10),
    x: Uint16Array.of(1, 40),
    y: Uint16Array.of(1, 1),
    p: Uint8Array.of(1, 0),
    sensor: { width: 64, height: 64, polarities: 2 },
  };
  assert.throws(() => s.push(ev), /outside the model's input 34×34/);
  model.dispose();
});

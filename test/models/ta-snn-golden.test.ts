/**
 * Regression against TA-SNN's reference SHD network: test/fixtures/ta-snn-shd-golden.safetensors was written once by
 * scripts/ta-snn-golden.py (PyTorch, built as the reference code builds TA_SNN_3: BN after every FC layer, TA on
 * every layer, batch-major), scaled down to 40 inputs, 16-16-20, T 10, B 4, dropout off. razor-snn's TA variant of
 * the bundled SHD config, with the same weights and input, must give identical spikes and gradients within 1e-5
 * relative (of each tensor's largest gradient, or of its layer's for the FC biases that BN cancels).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/engine/index.js";
import { decodeSafeTensors } from "../../src/checkpoint/safetensors.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import { outputLoss } from "../../src/train/loss.js";
import { projectRoot } from "../../src/util/paths.js";

const golden = decodeSafeTensors(
  new Uint8Array(readFileSync(join(projectRoot(), "test", "fixtures", "ta-snn-shd-golden.safetensors"))),
  "ta-snn-shd-golden.safetensors",
);

function f32(name: string): Float32Array {
  const t = golden.tensors.get(name);
  if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`golden file lacks F32 tensor ${name}`);
  return t.data;
}

test("the bundled SHD config has the reference architecture: BN after every FC layer, TA with r 5, width 0.25", () => {
  const c = loadModelConfig("shd", { variant: "ta" });
  assert.deepEqual(
    c.layers.map((l) => [l.type, l.out, l.bn]),
    [
      ["fc", 128, true],
      ["fc", 128, true],
      ["fc", 20, true],
    ],
  );
  assert.equal(c.ta.r, 5);
  assert.equal(c.lif.surrogateWidth, 0.25);
});

test("TA variant of the SHD network equals TA-SNN's reference code on the golden file (spikes, gradients)", () => {
  const md = golden.metadata;
  const T = Number(md.T);
  const B = Number(md.B);
  const hidden = Number(md.hidden);
  const bundled = loadModelConfig("shd");
  const config = loadModelConfig("shd", {
    variant: "ta",
    input: [Number(md.input)],
    frames: { T },
    ta: { r: Number(md.r) },
    layers: bundled.layers.map((l, i) => ({ ...l, out: i < 2 ? hidden : l.out, dropout: 0 })),
  });
  assert.equal(config.lif.vth, Number(md.vth));
  assert.equal(config.lif.alpha, Number(md.alpha));
  assert.equal(config.lif.surrogateWidth, Number(md.a));
  const model = buildModel(config);
  for (const t of [...model.parameters(), ...model.buffers()]) {
    if (t.name.endsWith("num_batches_tracked")) continue;
    t.value.set(f32(`init.${t.name}`));
  }
  model.train();
  model.zeroGrad();
  const x = f32("input");
  const out = model.forward({ data: Float32Array.from(x), shape: [T, B, config.input[0]!] });
  const want = f32("out");
  let differ = 0;
  for (let i = 0; i < want.length; i++) if (out.data[i] !== want[i]) differ++;
  assert.equal(differ, 0, `${differ} of ${want.length} output spikes differ from the reference`);
  const labels = golden.tensors.get("labels")!.data as Int32Array;
  const loss = outputLoss("mse", out.data, T, B, config.classes, labels);
  assert.ok(Math.abs(loss.loss - Number(md.loss)) < 1e-6, `loss ${loss.loss} vs the reference's ${md.loss}`);
  model.backward({ data: loss.grad, shape: out.shape });
  const maxAbs = (a: ArrayLike<number>): number => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
    return m;
  };
  for (const layer of model.layers) {
    const params = layer.parameters();
    const layerScale = Math.max(...params.map((p) => maxAbs(f32(`grad.${p.name}`))));
    for (const p of params) {
      const ref = f32(`grad.${p.name}`);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(p.grad[i]! - ref[i]!));
      const bound = 1e-5 * (maxAbs(ref) + (p.name.endsWith(".fc.bias") ? layerScale : 0));
      assert.ok(err <= bound, `${p.name}: gradient differs by ${err} (bound ${bound})`);
    }
  }
  model.dispose();
});

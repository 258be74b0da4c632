/**
 * Export → NIR file → import, both sides on the engine's float32 kernels: every bundled config and variant (plain
 * SNN with soft and hard reset), random spikes, 3 frames (the membrane carries over twice). TA and Razor export their backbone (the scorers have no NIR node), so the import is
 * compared with the same backbone run as a plain SNN.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/engine/index.js";
import { loadModelTensors } from "../../src/checkpoint/checkpoint.js";
import { listModelConfigs, loadModelConfig } from "../../src/models/config-file.js";
import { GraphModel } from "../../src/models/graph-model.js";
import { buildModel, type SnnModel, type Variant } from "../../src/models/index.js";
import { exportNir } from "../../src/nir/export.js";
import { importNir } from "../../src/nir/import.js";
import { loadNir, saveNir } from "../../src/nir/node.js";
import { Rng } from "../../src/util/rng.js";
import { randomizeBatchNorm } from "./random-bn.js";

const tmp = mkdtempSync(join(tmpdir(), "nir-roundtrip-"));
const T = 3;

/** The backbone of `model` as a plain SNN with the same weights and BN statistics. */
function backbone(model: SnnModel): SnnModel {
  const snn = buildModel({ ...model.config, variant: "snn" });
  const mine = new Map([...model.parameters(), ...model.buffers()].map((p) => [p.name, p.value]));
  for (const p of [...snn.parameters(), ...snn.buffers()]) p.value.set(mine.get(p.name)!);
  return snn.eval();
}

async function roundTrip(name: string, variant: Variant, reset: "soft" | "hard") {
  const model = buildModel(loadModelConfig(name, { variant, lif: { reset }, frames: { T } }));
  const rng = new Rng(17);
  randomizeBatchNorm(model, rng);
  model.eval();
  const path = join(tmp, `${name}-${variant}-${reset}.nir`);
  await saveNir(exportNir(model, 1e-3).file, path);
  const ref = variant === "snn" ? model : backbone(model);
  const frame = model.config.input.reduce((a, b) => a * b, 1);
  const x = new Float32Array(T * frame).map(() => (rng.uniform() < 0.15 ? 1 : 0));
  const want = Array.from(ref.forward({ data: x, shape: [T, 1, ...model.config.input] }).data);
  const wantLayers = ref.counts().map((c) => Array.from(c.outputSpikes));
  const { spec, tensors } = importNir(await loadNir(path), path, { dt: 1e-3 });
  const graph = new GraphModel(spec);
  loadModelTensors(graph, tensors, path);
  const got = Array.from(graph.forward({ data: x, shape: [T, 1, ...spec.input] }).data);
  const gotLayers = graph.counts().map((c) => Array.from(c.outputSpikes));
  graph.dispose();
  if (ref !== model) ref.dispose();
  model.dispose();
  return { want, got, wantLayers, gotLayers };
}

for (const name of listModelConfigs()) {
  test(`${name}: export → import runs on the same kernels and gives identical spikes (snn soft/hard, ta, razor)`, async () => {
    for (const variant of ["snn", "ta", "razor"] as const)
      for (const reset of variant === "snn" ? (["soft", "hard"] as const) : (["soft"] as const)) {
        const r = await roundTrip(name, variant, reset);
        assert.deepEqual(r.gotLayers, r.wantLayers, `${name} ${variant} ${reset}: spikes per layer and frame`);
        assert.deepEqual(r.got, r.want, `${name} ${variant} ${reset}: output spikes`);
        assert.ok(
          r.wantLayers.flat().some((s) => s > 0),
          "the random input drives the network",
        );
      }
  });
}

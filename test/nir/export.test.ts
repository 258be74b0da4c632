/** Export → file → import: the NIR graph of a razor-snn model spikes as the model does on random spikes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import "../../src/engine/index.js";
import { listModelConfigs, loadModelConfig } from "../../src/models/config-file.js";
import { buildModel, type Variant } from "../../src/models/index.js";
import { exportNir } from "../../src/nir/export.js";
import { NirNetwork } from "../../src/nir/network.js";
import { loadNir, saveNir } from "../../src/nir/node.js";
import { Rng } from "../../src/util/rng.js";
import { randomizeBatchNorm } from "./random-bn.js";

const tmp = mkdtempSync(join(tmpdir(), "nir-export-"));

async function roundTrip(name: string, variant: Variant, reset: "soft" | "hard") {
  const model = buildModel(loadModelConfig(name, { variant, lif: { reset }, frames: { T: 5 } }));
  const T = 5;
  const rng = new Rng(11);
  randomizeBatchNorm(model, rng);
  model.eval();
  const frame = model.config.input.reduce((a, b) => a * b, 1);
  const x = new Float32Array(T * frame);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.15 ? 1 : 0;
  const out = model.forward({ data: x, shape: [T, 1, ...model.config.input] });
  const classes = model.config.classes;
  const { file, warnings } = exportNir(model, 1e-3);
  const path = join(tmp, `${name}-${variant}-${reset}.nir`);
  await saveNir(file, path);
  const back = await loadNir(path);
  const net = new NirNetwork(back.graph, path, { dt: 1e-3 });
  // every layer's spike count per frame, model against the NIR graph's LIF nodes
  const counts = model.counts().map((c) => Array.from(c.outputSpikes));
  const layers = model.layers.length;
  model.dispose();
  const nirCounts: number[][] = Array.from({ length: layers }, () => []);
  let differ = 0;
  let spikes = 0;
  net.reset();
  for (let t = 0; t < T; t++) {
    const o = net.step(x.subarray(t * frame, (t + 1) * frame));
    for (let l = 0; l < layers; l++) nirCounts[l]!.push(net.valueOf(`layers.${l}.lif`).reduce((a, b) => a + b, 0));
    for (let k = 0; k < classes; k++) {
      spikes += out.data[t * classes + k]!;
      if (out.data[t * classes + k] !== o[k]) differ++;
    }
  }
  // TA/Razor scale each frame's current by the scorer; the exported backbone runs without it
  if (variant === "snn") assert.deepEqual(nirCounts, counts, `${name} ${reset}: spikes per layer and frame`);
  return { differ, spikes, warnings, back };
}

for (const name of listModelConfigs()) {
  test(`${name}: plain SNN → NIR → import spikes as the model (soft and hard reset, BN folded)`, async () => {
    for (const reset of ["soft", "hard"] as const) {
      const r = await roundTrip(name, "snn", reset);
      assert.equal(r.differ, 0, `${name} ${reset}: ${r.differ} output spikes differ (of ${r.spikes})`);
    }
  });
}

test("TA and Razor models export their backbone, the scorers' tensors in metadata, and say so", async () => {
  for (const variant of ["ta", "razor"] as const) {
    const r = await roundTrip("nmnist", variant, "soft");
    assert.ok(
      r.warnings.some((w) => w.includes("scorers have no NIR node")),
      r.warnings.join("; "),
    );
    const meta = r.back.graph.metadata ?? {};
    assert.ok(
      Object.keys(meta).some((k) => k.startsWith(`razor_snn.scorer.layers.`)),
      Object.keys(meta).join(","),
    );
    assert.equal(JSON.parse(meta["razor_snn.config"]!).variant, variant);
  }
});

test("an exported file reads in h5py as NIR's reader walks it", async (t) => {
  const py = "/usr/bin/python3";
  if (spawnSync(py, ["-c", "import h5py"]).status !== 0) {
    t.skip("python3 with h5py not available");
    return;
  }
  const model = buildModel(loadModelConfig("dvs128-gesture", { variant: "razor" }));
  const path = join(tmp, "gesture.nir");
  await saveNir(exportNir(model, 1e-3).file, path);
  model.dispose();
  const script = fileURLToPath(new URL("../../../scripts/check-nir.py", import.meta.url));
  const r = spawnSync(py, [script, path], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /ok: \d+ nodes, \d+ edges/);
});

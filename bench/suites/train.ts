/**
 * Training benchmark: samples/s of full training steps (forward, loss, BPTT, Adam) and the engine's peak memory for
 * the SHD network (700-128FC-128FC-20, batch 128, T 100) and the DVS128 Gesture network (64C3-128C3-AP2-128C3-AP2-
 * 256FC-11 on 2×32×32, batch 16, T 60), each as plain SNN, TA-SNN and Razor SNN, on the wasm engine with 2 threads.
 * Inputs are random event-count frames at a fixed density (SHD ≈ 1.5 % of channels per 14 ms bin, Gesture ≈ 2 % of
 * pixels per frame), labels random: speed does not depend on what is learnt. Baseline: the plain SNN of the same
 * network in the same run (each row gives its step-time ratio against it). --quick: Gesture at T 20 and fewer steps.
 */
import { createWasmEngine } from "../../src/engine/wasm.js";
import { useEngine } from "../../src/engine/current.js";
import type { Variant } from "../../src/models/config.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import { outputLoss } from "../../src/train/loss.js";
import { Adam } from "../../src/train/optimizer.js";
import { Rng } from "../../src/util/rng.js";
import type { BenchRow, Suite } from "../run.js";

interface NetCase {
  config: string;
  batch: number;
  T: number;
  density: number;
}

async function measure(c: NetCase, variant: Variant, steps: number, threads: number): Promise<BenchRow> {
  const engine = await createWasmEngine({ threads });
  useEngine(engine);
  try {
    const config = loadModelConfig(c.config, { variant, frames: { T: c.T } });
    const model = buildModel(config);
    const adam = new Adam(model.parameters(), { lr: 1e-4 });
    const rng = new Rng(1);
    const frame = config.input.reduce((a, b) => a * b, 1);
    const x = new Float32Array(c.T * c.batch * frame);
    for (let i = 0; i < x.length; i++) if (rng.uniform() < c.density) x[i] = 1;
    const labels = Int32Array.from({ length: c.batch }, () => rng.int(config.classes));
    const input = { data: x, shape: [c.T, c.batch, ...config.input] };
    const step = (): void => {
      adam.zeroGrad();
      const out = model.forward(input, { training: true, rng });
      const [t, b, k] = out.shape as [number, number, number];
      const l = outputLoss("mse", out.data, t, b, k, labels);
      model.backward({ data: l.grad, shape: out.shape }, { training: true, rng });
      adam.update();
    };
    step(); // warm-up: V8 tiers wasm up, buffers are allocated
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    const seconds = (performance.now() - t0) / 1000 / steps;
    const row: BenchRow = {
      network: c.config,
      variant,
      batch: c.batch,
      T: c.T,
      threads: engine.threads,
      "ms/step": Math.round(seconds * 1000),
      "samples/s": Math.round((c.batch / seconds) * 10) / 10,
      "peak MiB": Math.round((engine.peakBytes() / 2 ** 20) * 10) / 10,
    };
    adam.dispose();
    model.dispose();
    return row;
  } finally {
    engine.close();
  }
}

export const suite: Suite = async ({ quick }) => {
  const cases: NetCase[] = [
    { config: "shd", batch: 128, T: 100, density: 0.015 },
    { config: "dvs128-gesture", batch: 16, T: quick ? 20 : 60, density: 0.02 },
  ];
  const steps = quick ? 1 : 3;
  const rows: BenchRow[] = [];
  for (const c of cases) {
    const base = await measure(c, "snn", steps, 2);
    base["vs snn"] = 1;
    rows.push(base);
    for (const v of ["ta", "razor"] as const) {
      const r = await measure(c, v, steps, 2);
      r["vs snn"] = Math.round(((r["ms/step"] as number) / (base["ms/step"] as number)) * 100) / 100;
      rows.push(r);
    }
  }
  return {
    rows,
    notes: [
      "samples/s = batch / (forward + MSE loss + BPTT + Adam step), wasm engine, 2 threads; 'vs snn' = step time",
      "relative to the plain SNN of the same network in this run; peak MiB = the engine's peak allocated bytes",
      "(wasm32 limit 4096 MiB). Random inputs at fixed density; the machine may be shared, so timings are noisy.",
    ],
  };
};

/**
 * The memory budget of training: which layers recompute their forward during backward so that the estimated
 * peak of a step (parameters with their gradients and Adam moments, two batches of input, every layer's kept bytes, the freed bytes of
 * the layers that do not recompute, and the largest working set) fits the budget. Layers recompute largest first.
 */
import { layerBytes } from "../nn/layer-memory.js";
import type { SnnModel } from "./model.js";

export interface RecomputePlan {
  /** one entry per layer */
  recompute: boolean[];
  /** estimated peak bytes of a training step with this plan */
  estimate: number;
}

/** Estimated peak bytes of a training step at T·B frames with the given layers recomputing. */
export function estimatePeak(model: SnnModel, frames: number, recompute: readonly boolean[]): number {
  // value, gradient and Adam's two moments per parameter
  let total = 16 * model.parameters().reduce((a, p) => a + p.value.length, 0);
  // the batch being trained and the one loaded ahead, both in engine memory (train/engine-batches.ts)
  total += 2 * 4 * frames * model.config.input.reduce((a, b) => a * b, 1);
  let working = 0;
  model.layers.forEach((layer, i) => {
    const b = layerBytes(layer, frames);
    total += b.kept + (recompute[i] ? 0 : b.freed);
    working = Math.max(working, b.working);
  });
  return total + working;
}

/** The fewest layers (largest savings first) whose recomputation brings the estimate within `budget` bytes. */
export function planRecompute(model: SnnModel, T: number, B: number, budget: number): RecomputePlan {
  const frames = T * B;
  const recompute = model.layers.map(() => false);
  const order = model.layers
    .map((layer, i) => ({ i, freed: layerBytes(layer, frames).freed }))
    .sort((a, b) => b.freed - a.freed || a.i - b.i);
  let estimate = estimatePeak(model, frames, recompute);
  for (const { i } of order) {
    if (estimate <= budget) break;
    recompute[i] = true;
    estimate = estimatePeak(model, frames, recompute);
  }
  if (estimate > budget) {
    throw new Error(
      `--memory-budget ${formatBytes(budget)}: a step at batch ${B}, T ${T} needs about ${formatBytes(estimate)} ` +
        "even with every layer recomputing (lower --batch or frames.T)",
    );
  }
  return { recompute, estimate };
}

/** Bytes as MiB with one decimal, or GiB with two. */
export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

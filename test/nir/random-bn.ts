/** Test helper: non-trivial batch-norm statistics, so that export's folding is exercised. */
import type { SnnModel } from "../../src/models/index.js";
import type { Rng } from "../../src/util/rng.js";

export function randomizeBatchNorm(model: SnnModel, rng: Rng): void {
  for (const b of model.buffers()) {
    if (b.name.endsWith("running_mean"))
      for (let i = 0; i < b.value.length; i++) b.value[i] = (rng.uniform() - 0.5) * 0.2;
    if (b.name.endsWith("running_var")) for (let i = 0; i < b.value.length; i++) b.value[i] = 0.5 + rng.uniform();
  }
}

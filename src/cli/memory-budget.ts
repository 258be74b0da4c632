/** --memory-budget: plans which layers recompute, sets them on the model and says what it chose. */
import { formatBytes, planRecompute } from "../models/memory-plan.js";
import type { SnnModel } from "../models/model.js";

/** Sets the plan on the model; returns the line to print. Throws (one line) when the budget cannot be met. */
export function applyMemoryBudget(model: SnnModel, T: number, batch: number, budget: number): string {
  const plan = planRecompute(model, T, batch, budget);
  model.setRecompute(plan.recompute);
  const chosen = plan.recompute.flatMap((r, i) => (r ? [String(i)] : []));
  const which =
    chosen.length === 0
      ? "no layer recomputes"
      : `recomputing layer${chosen.length > 1 ? "s" : ""} ${chosen.join(", ")}`;
  return `memory budget ${formatBytes(budget)}: ${which} (estimated step peak ${formatBytes(plan.estimate)})`;
}

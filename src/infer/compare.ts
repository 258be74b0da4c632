/**
 * Masked against unmasked on the same runner: one warm-up pair (V8 tiers the wasm code up over the first calls),
 * then `rounds` interleaved pairs, best wall time of each. `mask` / `unmask` switch the model's masking (thresholds
 * or a mask policy); the model is left masked.
 */
import type { Seq } from "../nn/module.js";
import type { PrunedResult, PrunedRunner } from "./pruned.js";

export interface MaskedTiming {
  /** the last masked run, with its time replaced by the best masked time */
  result: PrunedResult;
  maskedMs: number;
  unmaskedMs: number;
}

export function timeMaskedVsUnmasked(
  runner: PrunedRunner,
  x: Seq,
  mask: () => void,
  unmask: () => void,
  rounds = 3,
): MaskedTiming {
  let maskedMs = Infinity;
  let unmaskedMs = Infinity;
  let result: PrunedResult | null = null;
  for (let i = 0; i <= rounds; i++) {
    unmask();
    const u = runner.run(x).ms;
    mask();
    result = runner.run(x);
    if (i > 0) {
      unmaskedMs = Math.min(unmaskedMs, u);
      maskedMs = Math.min(maskedMs, result.ms);
    }
  }
  return { result: { ...result!, ms: maskedMs }, maskedMs, unmaskedMs };
}

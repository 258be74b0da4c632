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
  /** the last unmasked run, likewise */
  unmasked: PrunedResult;
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
  let unmasked: PrunedResult | null = null;
  for (let i = 0; i <= rounds; i++) {
    unmask();
    unmasked = runner.run(x);
    mask();
    result = runner.run(x);
    if (i > 0) {
      unmaskedMs = Math.min(unmaskedMs, unmasked.ms);
      maskedMs = Math.min(maskedMs, result.ms);
    }
  }
  return { result: { ...result!, ms: maskedMs }, unmasked: { ...unmasked!, ms: unmaskedMs }, maskedMs, unmaskedMs };
}

/** Share of the frame-layers after the encoder that a masked run did not compute. */
export function frameLayersDropped(masked: PrunedResult): number {
  const later = masked.layers.filter((l) => l.layer > 0);
  const frames = later.reduce((a, l) => a + l.frames, 0);
  return frames === 0 ? 0 : 1 - later.reduce((a, l) => a + l.framesExecuted, 0) / frames;
}

/** Share of the SOPs after the encoder that a masked run saved against the unmasked one (0 when there were none). */
export function sopsDropped(masked: PrunedResult, unmasked: PrunedResult): number {
  const sops = (r: PrunedResult): number => r.layers.filter((l) => l.layer > 0).reduce((a, l) => a + l.sops, 0);
  const all = sops(unmasked);
  return all === 0 ? 0 : 1 - sops(masked) / all;
}

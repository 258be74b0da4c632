/**
 * The per-frame weights of a gated layer, Ĩ = w ⊙ I with w = M ⊙ d (or M alone under learned pruning's straight
 * through), and the gradient w.r.t. d (scaling a [T·B, features] array frame by frame is Engine.scaleRows).
 */
import { engine } from "../engine/current.js";
import { straightThroughWeights } from "./learned-pruning.js";

/**
 * w [T·B] for M (null = all ones) and d (null = none); null when neither is set (nothing to scale). With
 * `straightThrough`, w = M alone.
 */
export function frameWeights(
  mask: Uint8Array | null,
  d: Float32Array | null,
  frames: number,
  straightThrough: boolean,
): Float32Array | null {
  if (straightThrough) return straightThroughWeights(mask, frames);
  if (d === null && mask === null) return null;
  const w = new Float32Array(frames);
  for (let r = 0; r < frames; r++) w[r] = (mask === null ? 1 : mask[r]!) * (d === null ? 1 : d[r]!);
  return w;
}

/** gd[r] = M[r] · ⟨g[r, :], h[r, :]⟩ (M = null: all ones). */
export function frameDots(g: Float32Array, h: Float32Array, frames: number, mask: Uint8Array | null): Float32Array {
  const gd = new Float32Array(frames);
  engine().rowDots(g, h, mask, gd);
  return gd;
}

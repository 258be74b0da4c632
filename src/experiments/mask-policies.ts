/**
 * Mask policies: which frames a spiking layer computes. Frames are indexed r = t·B + b (time-major). A policy
 * returns the layer's own mask m^n (null = keep all); the model combines it with the upstream mask
 * (M^n = M^{n-1} ⊙ m^n). Per-layer arrays (θ, rates) are indexed by spiking-layer index (0 = the encoder).
 *
 * - threshold: m = 1[d ≥ θ_n] (Razor / TA), optionally with the causal gap floor (never more than G consecutive
 *   dropped frames in a sample).
 * - the three controls, each dropping exactly enough frames of the batch that the layer's total drop share is the
 *   target rate r_n (frames dropped upstream count towards it): random frames; fixed stride (evenly spaced frames
 *   along each sample's time axis); event-count gate (the frames with the fewest input events).
 * - top-k per sample (offline only: needs the whole sequence): keeps the k highest-scoring frames of each sample.
 */
import { decideFrames } from "../nn/frame-gate.js";
import type { Rng } from "../util/rng.js";
import type { MaskPolicy, MaskPolicyInput } from "../nn/frame-gate.js";

export type ControlName = "random" | "stride" | "gate";
export const CONTROLS: ControlName[] = ["random", "stride", "gate"];
export const CONTROL_LABELS: Record<ControlName, string> = {
  random: "random frames",
  stride: "fixed stride",
  gate: "event-count gate",
};

function keptUpstream(inp: MaskPolicyInput): number[] {
  const n = inp.T * inp.B;
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (inp.upstream === null || inp.upstream[i] !== 0) kept.push(i);
  return kept;
}

/** How many of the upstream-kept frames this layer must drop so its total drop share reaches `rate`. */
function extraDrops(inp: MaskPolicyInput, kept: number, rate: number): number {
  const n = inp.T * inp.B;
  const target = Math.round(rate * n);
  return Math.max(0, Math.min(kept, target - (n - kept)));
}

/** θ per spiking layer; a missing or null entry keeps every frame of that layer. */
export function thresholdPolicy(theta: (number | null)[], gapFloor: number | null = null): MaskPolicy {
  return (inp) => {
    const threshold = theta[inp.layer] ?? null;
    return decideFrames({ maskPolicy: null, threshold, gapFloor, fallbackThreshold: null }, inp, "threshold policy");
  };
}

/** A control at per-layer total drop rates `rates` (indexed by spiking layer). */
export function controlPolicy(name: ControlName, rates: number[], rng: Rng): MaskPolicy {
  return (inp) => {
    const rate = rates[inp.layer] ?? 0;
    const kept = keptUpstream(inp);
    const drops = extraDrops(inp, kept.length, rate);
    if (drops === 0) return null;
    let chosen: number[];
    if (name === "random") {
      const pool = kept.slice();
      for (let i = 0; i < drops; i++) {
        const j = i + rng.int(pool.length - i);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      chosen = pool.slice(0, drops);
    } else if (name === "gate") {
      // stable: ties broken by frame order, so the gate is deterministic
      chosen = kept
        .map((i, order) => ({ i, a: inp.activity[i], order }))
        .sort((x, y) => x.a - y.a || x.order - y.order)
        .slice(0, drops)
        .map((x) => x.i);
    } else chosen = strideChoice(inp, kept, drops);
    const m = new Uint8Array(inp.T * inp.B).fill(1);
    for (const i of chosen) m[i] = 0;
    return m;
  };
}

/** Evenly spaced drops along each sample's kept frames (a Bresenham pattern at the conditional rate). */
function strideChoice(inp: MaskPolicyInput, kept: number[], drops: number): number[] {
  const q = drops / kept.length;
  const chosen: number[] = [];
  const isKept = new Uint8Array(inp.T * inp.B);
  for (const i of kept) isKept[i] = 1;
  for (let s = 0; s < inp.B; s++) {
    let j = 0;
    for (let step = 0; step < inp.T; step++) {
      const i = step * inp.B + s;
      if (!isKept[i]) continue;
      if (Math.floor((j + 1) * q) > Math.floor(j * q)) chosen.push(i);
      j++;
    }
  }
  // per-sample rounding can miss the batch count by a few: trim, or top up from the latest frames
  if (chosen.length > drops) return chosen.slice(0, drops);
  if (chosen.length < drops) {
    const set = new Set(chosen);
    for (let k = kept.length - 1; k >= 0 && chosen.length < drops; k--) {
      if (!set.has(kept[k])) chosen.push(kept[k]);
    }
  }
  return chosen;
}

/** Keeps the round(keepFraction · T) highest-scoring upstream-kept frames of each sample (offline only). */
export function topKPolicy(keepFraction: number): MaskPolicy {
  return (inp) => {
    if (inp.scores === null) return null;
    const scores = inp.scores;
    const m = new Uint8Array(inp.T * inp.B).fill(1);
    const k = Math.round(keepFraction * inp.T);
    for (let s = 0; s < inp.B; s++) {
      const frames = Array.from({ length: inp.T }, (_, step) => step * inp.B + s)
        .filter((i) => inp.upstream === null || inp.upstream[i] !== 0)
        .sort((x, y) => scores[y] - scores[x] || x - y);
      for (const i of frames.slice(k)) m[i] = 0;
    }
    return m;
  };
}

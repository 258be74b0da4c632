/**
 * Mask policies: which frames a layer keeps. Frames are indexed t·B + b (time-major). Every policy returns the
 * layer's own mask m^n; the model combines it with the upstream mask (M^n = M^{n-1} ⊙ m^n).
 *
 * - threshold: m = 1[d ≥ θ_n] (Razor / TA), optionally with the causal gap floor (never more than G consecutive
 *   dropped frames in a sample).
 * - the three controls, each dropping exactly enough frames of the batch that the layer's total drop share is the
 *   target rate r_n (frames dropped upstream count towards it):
 *   random frames; fixed stride (evenly spaced frames along each sample's time axis); event-count gate (the frames
 *   with the fewest input events).
 * - top-k per sample (offline only: needs the whole sequence): keeps the k highest-scoring frames of each sample.
 */
import type { Rng } from "../util/rng.js";
import type { MaskPolicy, MaskPolicyInput } from "./model-api.js";

export type ControlName = "random" | "stride" | "gate";
export const CONTROLS: ControlName[] = ["random", "stride", "gate"];

function keptUpstream(inp: MaskPolicyInput): number[] {
  const n = inp.t * inp.b;
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (inp.upstream === null || inp.upstream[i] !== 0) kept.push(i);
  return kept;
}

/** How many of the upstream-kept frames this layer must drop so its total drop share reaches `rate`. */
function extraDrops(inp: MaskPolicyInput, kept: number, rate: number): number {
  const n = inp.t * inp.b;
  const target = Math.round(rate * n);
  return Math.max(0, Math.min(kept, target - (n - kept)));
}

export function thresholdPolicy(theta: number[], gapFloor: number | null = null): MaskPolicy {
  return (inp) => {
    if (inp.scores === null) return allOnes(inp.t * inp.b);
    const th = theta[inp.layer];
    if (th === undefined) throw new RangeError(`no threshold for maskable layer ${inp.layer} (have ${theta.length})`);
    const m = new Uint8Array(inp.t * inp.b);
    for (let i = 0; i < m.length; i++) m[i] = inp.scores[i] >= th ? 1 : 0;
    if (gapFloor !== null) applyGapFloor(m, inp.upstream, inp.t, inp.b, gapFloor);
    return m;
  };
}

/** Causal: walking forward in time, a frame is forced to run after `g` consecutive dropped frames of its sample. */
export function applyGapFloor(m: Uint8Array, upstream: Uint8Array | null, t: number, b: number, g: number): void {
  for (let s = 0; s < b; s++) {
    let run = 0;
    for (let step = 0; step < t; step++) {
      const i = step * b + s;
      const upKept = upstream === null || upstream[i] !== 0;
      if (m[i] !== 0 && upKept) run = 0;
      else if (upKept && run >= g) {
        m[i] = 1;
        run = 0;
      } else run++;
    }
  }
}

export function controlPolicy(name: ControlName, rates: number[], rng: Rng): MaskPolicy {
  return (inp) => {
    const rate = rates[inp.layer] ?? 0;
    const kept = keptUpstream(inp);
    const drops = extraDrops(inp, kept.length, rate);
    const m = allOnes(inp.t * inp.b);
    if (drops === 0) return m;
    let chosen: number[];
    if (name === "random") {
      const pool = kept.slice();
      for (let i = 0; i < drops; i++) {
        const j = i + rng.int(pool.length - i);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      chosen = pool.slice(0, drops);
    } else if (name === "gate") {
      // stable sort: ties broken by frame order, so the gate is deterministic
      chosen = kept
        .map((i, order) => ({ i, a: inp.activity[i], order }))
        .sort((x, y) => x.a - y.a || x.order - y.order)
        .slice(0, drops)
        .map((x) => x.i);
    } else chosen = strideChoice(inp, kept, drops);
    for (const i of chosen) m[i] = 0;
    return m;
  };
}

/** Evenly spaced drops along each sample's kept frames (Bresenham pattern at the conditional rate). */
function strideChoice(inp: MaskPolicyInput, kept: number[], drops: number): number[] {
  const q = drops / kept.length;
  const chosen: number[] = [];
  const isKept = new Uint8Array(inp.t * inp.b);
  for (const i of kept) isKept[i] = 1;
  for (let s = 0; s < inp.b; s++) {
    let j = 0;
    for (let step = 0; step < inp.t; step++) {
      const i = step * inp.b + s;
      if (!isKept[i]) continue;
      if (Math.floor((j + 1) * q) > Math.floor(j * q)) chosen.push(i);
      j++;
    }
  }
  // rounding per sample can miss the exact batch count by a few: trim or top up from the end of time
  if (chosen.length > drops) return chosen.slice(0, drops);
  if (chosen.length < drops) {
    const set = new Set(chosen);
    for (let k = kept.length - 1; k >= 0 && chosen.length < drops; k--) {
      if (!set.has(kept[k])) chosen.push(kept[k]);
    }
  }
  return chosen;
}

/** Keeps the k highest-scoring upstream-kept frames of each sample (offline evaluation only). */
export function topKPolicy(keepFraction: number): MaskPolicy {
  return (inp) => {
    const m = allOnes(inp.t * inp.b);
    if (inp.scores === null) return m;
    const k = Math.round(keepFraction * inp.t);
    for (let s = 0; s < inp.b; s++) {
      const frames = Array.from({ length: inp.t }, (_, step) => step * inp.b + s)
        .filter((i) => inp.upstream === null || inp.upstream[i] !== 0)
        .sort((x, y) => inp.scores![y] - inp.scores![x] || x - y);
      for (const i of frames.slice(k)) m[i] = 0;
    }
    return m;
  };
}

function allOnes(n: number): Uint8Array {
  return new Uint8Array(n).fill(1);
}

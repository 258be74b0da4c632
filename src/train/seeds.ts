/**
 * Derived seeds: every random stream of a training run is a pure function of (seed, epoch, batch), so a resumed
 * run draws exactly what the uninterrupted one would have, without saving generator state.
 */
import { Rng } from "../util/rng.js";

export function derivedRng(seed: number, ...path: number[]): Rng {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (const p of path) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x85ebca77) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return new Rng(h);
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  rng.shuffle(order);
  return order;
}

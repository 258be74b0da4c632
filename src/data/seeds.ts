/**
 * Seeds. Every random stream of a training run (epoch order, a batch's random windows, the model's own draws) is
 * a pure function of (seed, epoch, batch): a resumed run draws exactly what the uninterrupted one would have,
 * without saving generator state, and prefetching or the order in which loads finish changes nothing.
 * Browser-safe.
 */
import { Rng } from "../util/rng.js";

/** A generator for the stream at `path` (e.g. epoch, batch, purpose) under `seed`. */
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

/**
 * The seed of one sample's random event transforms (noise window, jitter): fixed per (pipeline seed, sample id),
 * so the transformed frames can be cached. Its hash is older than derivedRng and is kept: the frame cache is keyed
 * by the pipeline's plan, not by this function, so changing it would silently mix old and new frames.
 */
export function sampleTransformSeed(seed: number, sampleId: string): number {
  let h = 0x9e3779b9;
  for (const p of [seed, hashString(sampleId)]) {
    h = (h ^ (p >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** FNV-1a of a string's UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

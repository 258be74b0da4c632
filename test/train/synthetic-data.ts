/**
 * A small labelled set for the trainer tests: sample i of class c has T frames of F features; in "signal" frames
 * the features of block c are active, other frames hold only sparse background noise (the frames a pruner should
 * drop). Deterministic per seed.
 */
import type { Batch, BatchOptions, LabelledData } from "../../src/data/data-api.js";
import { Rng } from "../../src/util/rng.js";

export class SyntheticData implements LabelledData {
  readonly numClasses: number;
  readonly preprocessing;
  private readonly frames: Float32Array[];
  private readonly labels: Int32Array;

  constructor(
    readonly size: number,
    readonly t: number,
    readonly features: number,
    classes: number,
    seed: number,
    noise = 0.03,
  ) {
    this.numClasses = classes;
    this.preprocessing = {
      sensor: { width: features, height: 1, polarities: 1 },
      framing: { mode: "synthetic", T: t },
    };
    const rng = new Rng(seed);
    const block = Math.floor(features / classes);
    this.labels = Int32Array.from({ length: size }, (_, i) => i % classes);
    this.frames = [];
    for (let i = 0; i < size; i++) {
      const c = this.labels[i]!;
      const x = new Float32Array(t * features);
      for (let s = 0; s < t; s++) {
        const signal = rng.uniform() < 0.5;
        for (let f = 0; f < features; f++) {
          const inBlock = f >= c * block && f < (c + 1) * block;
          const p = signal && inBlock ? 0.7 : noise;
          x[s * features + f] = rng.uniform() < p ? 1 : 0;
        }
      }
      this.frames.push(x);
    }
  }

  label(i: number): number {
    return this.labels[i]!;
  }

  batch(indices: Int32Array, _opts: BatchOptions): Batch {
    const b = indices.length;
    const data = new Float32Array(this.t * b * this.features);
    indices.forEach((idx, j) => {
      const x = this.frames[idx]!;
      for (let s = 0; s < this.t; s++) {
        data.set(x.subarray(s * this.features, (s + 1) * this.features), (s * b + j) * this.features);
      }
    });
    return {
      input: { data, shape: [this.t, b, this.features] },
      labels: Int32Array.from(indices, (i) => this.labels[i]!),
    };
  }
}

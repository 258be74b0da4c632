/**
 * The batch loader: seeded shuffling, frames from a cache, background prefetch, and batches laid out time-major
 * as the network wants them: x is Float32Array [T, B, C, H, W], y is Int32Array [B].
 *
 * Determinism: the order of epoch e depends only on (seed, e); a sample's augmentation gets its own generator
 * seeded from (seed, e, sample index). So batches are bit-identical whatever the prefetch depth or the order in
 * which loads finish.
 */
import { Rng } from "../util/rng.js";
import type { FramePipeline, Frames, Sample } from "./sample.js";
import type { FrameSource } from "./cache/frame-cache.js";
import { mixSeed } from "./seeds.js";

export { mixSeed };

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  T: number;
  B: number;
  C: number;
  H: number;
  W: number;
  ids: string[];
  /** positions of these samples in the loader's sample list */
  indices: number[];
}

export interface LoaderOptions {
  samples: Sample[];
  pipeline: FramePipeline;
  batchSize: number;
  /** where frames come from (a FrameCache, or directFrames); required so the caller decides about the disk */
  source: FrameSource;
  /** shuffle every epoch (default true) */
  shuffle?: boolean;
  seed?: number;
  /** leave out the last, smaller batch (default false) */
  dropLast?: boolean;
  /** keep each sample's frames in memory after its first load, in a compact integer form when exact */
  memory?: boolean;
  /** batches prepared ahead of the one being used (default 2) */
  prefetch?: number;
  /** applied to each sample's frames after the cache, with a generator of its own (e.g. a random slice) */
  augment?: (frames: Frames, rng: Rng, sample: Sample) => Frames;
  /**
   * Frames per sample in a batch. Unset: every sample must have the same T (else a clear error). Set: shorter
   * samples get empty frames at the end, longer ones are cut to their first `steps` frames.
   */
  steps?: number;
}

interface Compact {
  data: Uint8Array | Uint16Array | Float32Array;
  shape: Frames["shape"];
}

function compact(f: Frames): Compact {
  let max = 0;
  for (const v of f.data) {
    if (!(v >= 0 && Math.floor(v) === v && v <= 65535)) return { shape: f.shape, data: f.data.slice() };
    if (v > max) max = v;
  }
  return { shape: f.shape, data: max <= 255 ? new Uint8Array(f.data) : new Uint16Array(f.data) };
}

export class BatchLoader {
  private readonly memory = new Map<number, Compact>();
  private readonly opts: Required<Omit<LoaderOptions, "augment" | "steps">> & Pick<LoaderOptions, "augment" | "steps">;

  constructor(opts: LoaderOptions) {
    if (!(opts.batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, got ${opts.batchSize}`);
    if (opts.samples.length === 0) throw new RangeError("the loader got no samples");
    this.opts = { shuffle: true, seed: 0, dropLast: false, memory: false, prefetch: 2, ...opts };
  }

  get size(): number {
    return this.opts.samples.length;
  }

  get batchesPerEpoch(): number {
    const n = this.opts.samples.length;
    const b = this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** Sample positions in the order epoch `epoch` visits them. */
  order(epoch: number): Int32Array {
    const idx = Int32Array.from({ length: this.opts.samples.length }, (_, i) => i);
    if (this.opts.shuffle) new Rng(mixSeed(this.opts.seed, epoch, 1)).shuffle(idx);
    return idx;
  }

  /** The batches of one epoch, prepared `prefetch` ahead in the background. */
  async *epoch(epoch = 0): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const nb = this.batchesPerEpoch;
    const b = this.opts.batchSize;
    const pending: Promise<Batch>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < nb && pending.length <= this.opts.prefetch) {
        const idx = Array.from(order.subarray(next * b, Math.min(order.length, (next + 1) * b)));
        const p = this.makeBatch(idx, epoch);
        p.catch(() => {}); // surfaced when awaited below; avoids an unhandled rejection meanwhile
        pending.push(p);
        next++;
      }
    };
    fill();
    while (pending.length > 0) {
      const batch = await pending.shift()!;
      fill();
      yield batch;
    }
  }

  /**
   * Makes (or reads) every sample's frames once, in dataset order, so that the cache and the memory store are
   * full before training shuffles. In dataset order the gestures of one recording are neighbours, so a recording
   * is decoded once. `onSample` is called after each (for a progress bar).
   */
  async warm(onSample?: (done: number, total: number) => void): Promise<void> {
    const n = this.opts.samples.length;
    for (let i = 0; i < n; i++) {
      await this.baseFrames(i);
      onSample?.(i + 1, n);
    }
  }

  /** Frames of one sample as the batches see them (cache, memory, augmentation), for inspection and tests. */
  async sampleFrames(index: number, epoch = 0): Promise<Frames> {
    const sample = this.opts.samples[index]!;
    let f = await this.baseFrames(index);
    if (this.opts.augment) f = this.opts.augment(f, new Rng(mixSeed(this.opts.seed, epoch, 2, index)), sample);
    return f;
  }

  private async baseFrames(index: number): Promise<Frames> {
    const kept = this.memory.get(index);
    if (kept) return { shape: kept.shape, data: new Float32Array(kept.data) };
    const sample = this.opts.samples[index]!;
    let f: Frames;
    try {
      f = await this.opts.source.frames(sample, this.opts.pipeline);
    } catch (err) {
      throw new Error(`sample ${sample.id}: ${(err as Error).message}`, { cause: err });
    }
    if (this.opts.memory) this.memory.set(index, compact(f));
    return f;
  }

  private async makeBatch(indices: number[], epoch: number): Promise<Batch> {
    const frames = await Promise.all(indices.map((i) => this.sampleFrames(i, epoch)));
    const [T0, C, H, W] = frames[0]!.shape;
    const T = this.opts.steps ?? T0;
    const B = frames.length;
    const chw = C * H * W;
    const x = new Float32Array(T * B * chw);
    const y = new Int32Array(B);
    frames.forEach((f, b) => {
      const sample = this.opts.samples[indices[b]!]!;
      const [fT, fC, fH, fW] = f.shape;
      if (fC !== C || fH !== H || fW !== W) {
        throw new Error(
          `sample ${sample.id} has frames of ${fC}x${fH}x${fW}, but ${this.opts.samples[indices[0]!]!.id} has ` +
            `${C}x${H}x${W}: the pipeline must give one frame size (crop, pad or resize the sensor)`,
        );
      }
      if (this.opts.steps === undefined && fT !== T) {
        throw new Error(
          `sample ${sample.id} has ${fT} frames, ${this.opts.samples[indices[0]!]!.id} has ${T}: ` +
            "set the loader's `steps` (pad/cut) or integrate into a fixed number of frames",
        );
      }
      const steps = Math.min(T, fT);
      for (let t = 0; t < steps; t++) x.set(f.data.subarray(t * chw, (t + 1) * chw), (t * B + b) * chw);
      y[b] = sample.label;
    });
    return { x, y, T, B, C, H, W, ids: indices.map((i) => this.opts.samples[i]!.id), indices };
  }
}

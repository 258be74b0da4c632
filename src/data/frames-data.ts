/**
 * LabelledData over a list of recordings (src/data Samples): each sample's events go through the frame pipeline
 * (via a FrameSource: the disk cache or direct), are kept in memory in a compact integer form, and are batched
 * time-major [T, B, C, H, W] as the models want them.
 *
 * Frames per sample: a recording with more frames than the model's T is cut — to its first T frames for
 * evaluation, to a random window of T consecutive frames for training when `randomSlice` is on (DVS128 Gesture);
 * with `clips` > 1 evaluation takes that many evenly spaced windows (the 10-clip protocol). A shorter recording is
 * padded with empty frames.
 *
 * The one batcher of the project: the trainer and evaluation call `batch` with index lists they order
 * themselves; `epochBatches` walks an epoch the way the trainer does (same seeded order, same per-batch
 * generators) for anyone else who wants batches.
 */
import type { FramePipeline, Frames, Sample } from "./sample.js";
import type { FrameSource } from "./cache/frame-cache.js";
import { type Batch, type BatchOptions, batchesOf, type EventListing, type LabelledData } from "./data-api.js";
import { zeroBytes } from "../util/zero-bytes.js";
import {
  addFrameEvents,
  type CompactFrames,
  compactFrames,
  frameEvents,
  isSparse,
  listFrame,
  type SparseFrames,
  writeFrame,
} from "./compact-frames.js";
import { derivedRng, permutation } from "./seeds.js";
import type { Json } from "../util/json.js";

export interface FramesDataOptions {
  samples: Sample[];
  classes: string[];
  pipeline: FramePipeline;
  /** where frames come from: a FrameCache (disk), WorkerFrames (threads) or directFrames */
  source: FrameSource;
  /** frames per sample fed to the model */
  T: number;
  /** expected frame shape [C, H, W] (a mismatch names the sample) */
  frameShape: number[];
  preprocessing: Json;
  /** training: a random window of T consecutive frames (when the recording is longer) */
  randomSlice?: boolean;
  /** evaluation clips per sample (default 1) */
  clips?: number;
}

export class FramesData implements LabelledData {
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: string[];
  readonly clips: number;
  readonly preprocessing: Json;
  private readonly memory = new Map<number, CompactFrames>();
  private readonly frameSize: number;

  constructor(private readonly opts: FramesDataOptions) {
    this.size = opts.samples.length;
    this.numClasses = opts.classes.length;
    this.classNames = opts.classes;
    this.clips = opts.clips ?? 1;
    this.preprocessing = opts.preprocessing;
    this.frameSize = opts.frameShape.reduce((a, b) => a * b, 1);
    for (const s of opts.samples) {
      if (!(s.label >= 0 && s.label < this.numClasses)) {
        throw new Error(`sample ${s.id}: label ${s.label} is not one of the ${this.numClasses} classes`);
      }
    }
  }

  label(i: number): number {
    return this.opts.samples[i]!.label;
  }

  sampleId(i: number): string {
    return this.opts.samples[i]!.id;
  }

  async batch(indices: Int32Array, o: BatchOptions): Promise<Batch> {
    const { T } = this.opts;
    const B = indices.length;
    const fs = this.frameSize;
    const x = o.alloc?.(T * B * fs) ?? new Float32Array(T * B * fs);
    const labels = new Int32Array(B);
    // settle all, then report the first failure in batch order, so the same bad file always gives the same message
    const settled = await Promise.allSettled(Array.from(indices, (i) => this.sampleFrames(i)));
    const failed = settled.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const frames = settled.map((r) => (r as PromiseFulfilledResult<CompactFrames>).value);
    const starts = frames.map((f) => this.windowStart(f.frames, o));
    const steps = frames.map((f, b) => Math.min(T, f.frames - starts[b]!));
    const input: Batch["input"] = { data: x, shape: [T, B, ...this.opts.frameShape] };
    if (frames.every(isSparse)) {
      // zeroed at once (8-byte words: fastest on the engine's shared memory), then the events added
      zeroBytes(x.buffer, x.byteOffset, x.byteLength);
      frames.forEach((f, b) => {
        for (let t = 0; t < steps[b]!; t++) addFrameEvents(f, starts[b]! + t, x, (t * B + b) * fs);
      });
      input.events = listEvents(frames, starts, steps, T, fs, o.allocI32 ?? ((n) => new Int32Array(n)));
    } else {
      frames.forEach((f, b) => {
        for (let t = 0; t < steps[b]!; t++) writeFrame(f, starts[b]! + t, x, (t * B + b) * fs, fs);
        // a shorter recording is padded with empty frames (written: the array may hold anything)
        for (let t = steps[b]!; t < T; t++) x.fill(0, (t * B + b) * fs, (t * B + b + 1) * fs);
      });
    }
    indices.forEach((i, b) => {
      labels[b] = this.label(i);
    });
    return { input, labels };
  }

  /**
   * Makes (or reads) every sample's frames once, in dataset order, so that the cache and memory are full before
   * an epoch shuffles: in dataset order the gestures of one DVS128 Gesture recording are neighbours, so the
   * recording is decoded once. `onSample` is called after each (for a progress bar).
   */
  async warm(onSample?: (done: number, total: number) => void): Promise<void> {
    for (let i = 0; i < this.size; i++) {
      await this.sampleFrames(i);
      onSample?.(i + 1, this.size);
    }
  }

  private windowStart(n: number, o: BatchOptions): number {
    const spare = n - this.opts.T;
    if (spare <= 0) return 0;
    if (o.rng !== null && this.opts.randomSlice === true) return o.rng.int(spare + 1);
    if (this.clips > 1) return Math.round(((o.clip ?? 0) * spare) / (this.clips - 1));
    return 0;
  }

  private async sampleFrames(i: number): Promise<CompactFrames> {
    const kept = this.memory.get(i);
    if (kept !== undefined) return kept;
    const sample = this.opts.samples[i]!;
    let f: Frames;
    try {
      f = await this.opts.source.frames(sample, this.opts.pipeline);
    } catch (err) {
      throw new Error(`sample ${sample.id}: ${(err as Error).message}`, { cause: err });
    }
    const [n, c, h, w] = f.shape;
    const want = this.opts.frameShape;
    if (c * h * w !== this.frameSize || (want.length === 3 && (want[0] !== c || want[1] !== h || want[2] !== w))) {
      throw new Error(
        `sample ${sample.id}: frames of ${c}×${h}×${w} but the model takes ${want.join("×")} ` +
          "(the recording's sensor differs from the one the network was built for)",
      );
    }
    const compact = compactFrames(f.data, n);
    this.memory.set(i, compact);
    return compact;
  }
}

/**
 * The events of a batch of sparse samples (`steps[b]` frames from `starts[b]`, then padding) listed per frame in the
 * batch's time-major order (row t·B + b), each position as often as its count: what the engine's eventIndices makes
 * of the batch's frames.
 */
function listEvents(
  frames: SparseFrames[],
  starts: number[],
  steps: number[],
  T: number,
  frameSize: number,
  alloc: (n: number) => Int32Array,
): EventListing {
  const B = frames.length;
  const offsets = alloc(T * B + 1);
  offsets[0] = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const n = t < steps[b]! ? frameEvents(frames[b]!, starts[b]! + t) : 0;
      offsets[t * B + b + 1] = offsets[t * B + b]! + n;
    }
  }
  const idx = alloc(offsets[T * B]!);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) if (t < steps[b]!) listFrame(frames[b]!, starts[b]! + t, idx, offsets[t * B + b]!);
  }
  return { rows: T * B, rowLen: frameSize, idx, offsets };
}

export interface EpochOptions {
  batchSize: number;
  /** the run's seed: the order is permutation(size, derivedRng(seed, epoch, 0)) as in training */
  seed: number;
  /** visit samples in dataset order instead (default true: shuffled) */
  shuffle?: boolean;
  /** leave out the last, smaller batch (default false) */
  dropLast?: boolean;
  /** batches loaded ahead of the one being used (default 1); results do not depend on it */
  prefetch?: number;
  /** the training view (random windows from the batch's generator; default) or evaluation's (null generator) */
  training?: boolean;
  /** where each batch's input goes (BatchOptions.alloc); the consumer owns (frees) it */
  alloc?: (n: number) => Float32Array;
  /** where each batch's event list goes (BatchOptions.allocI32); the consumer owns (frees) it */
  allocI32?: (n: number) => Int32Array;
}

export interface EpochBatch {
  /** 1-based number of the batch in its epoch, as the trainer's derived seeds count it */
  batchNo: number;
  /** the samples of this batch, positions in the data */
  indices: Int32Array;
  batch: Batch;
}

/**
 * The batches of one epoch, drawn exactly as training draws them: the shuffled order from (seed, epoch), and
 * batch k's random windows from derivedRng(seed, epoch, k, 1). So batches are bit-identical whatever the
 * prefetch depth or the order in which loads finish, and an epoch does not depend on the epochs before it.
 */
export async function* epochBatches(data: LabelledData, epoch: number, opts: EpochOptions): AsyncGenerator<EpochBatch> {
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) {
    throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  const order =
    opts.shuffle === false
      ? Int32Array.from({ length: data.size }, (_, i) => i)
      : permutation(data.size, derivedRng(opts.seed, epoch, 0));
  const groups = [...batchesOf(order, opts.batchSize)];
  if (opts.dropLast === true && groups.length > 0 && groups[groups.length - 1]!.length < opts.batchSize) groups.pop();
  const ahead = opts.prefetch ?? 1;
  const pending: Promise<EpochBatch>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < groups.length && pending.length <= ahead) {
      const batchNo = ++next;
      const indices = groups[batchNo - 1]!;
      const rng = opts.training === false ? null : derivedRng(opts.seed, epoch, batchNo, 1);
      // a batch() that throws at once rejects this promise: its error surfaces when its turn comes, not earlier
      const p = new Promise<Batch>((resolve) =>
        resolve(
          data.batch(indices, {
            rng,
            epoch,
            ...(opts.alloc ? { alloc: opts.alloc } : {}),
            ...(opts.allocI32 ? { allocI32: opts.allocI32 } : {}),
          }),
        ),
      ).then((batch) => ({
        batchNo,
        indices,
        batch,
      }));
      p.catch(() => {}); // surfaced when awaited below; avoids an unhandled rejection meanwhile
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const b = await pending.shift()!;
    fill();
    yield b;
  }
}

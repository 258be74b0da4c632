/**
 * Accuracy of a model on a labelled set: per-class counts and a confusion matrix. With several evaluation clips
 * per sample (the 10-clip protocol for DVS data) the spike counts of all clips are summed before the argmax.
 */
import { Rng } from "../util/rng.js";
import { batchesOf, type LabelledData } from "../data/data-api.js";
import { argmaxRows } from "../util/argmax.js";
import { EngineBatches } from "./engine-batches.js";
import { spikeCounts } from "./loss.js";
import type { TrainableModel } from "../models/model-api.js";

export interface ClassCount {
  class: number;
  name?: string;
  n: number;
  correct: number;
}

export interface EvalResult {
  /** fraction correct, 0..1 */
  accuracy: number;
  n: number;
  correct: number;
  clips: number;
  perClass: ClassCount[];
  /** confusion[true][predicted] */
  confusion: number[][];
  predictions: Int32Array;
}

export interface EvalOptions {
  batchSize: number;
  /** evaluate only these samples (default: all) */
  indices?: Int32Array;
  /** called after each batch's forward (efficiency accounting reads the model's layer records here) */
  onBatch?: (batchIndices: Int32Array, clip: number) => void;
}

export async function evaluate(model: TrainableModel, data: LabelledData, opts: EvalOptions): Promise<EvalResult> {
  const indices = opts.indices ?? Int32Array.from({ length: data.size }, (_, i) => i);
  const clips = data.clips ?? 1;
  // the model's outputs decide k; the data may use fewer classes (a labels file that lists only some of them)
  let k = 0;
  let counts = new Float64Array(0);
  const ctx = { training: false, rng: new Rng(0) };
  let offset = 0;
  const inEngine = new EngineBatches();
  try {
    for (const idx of batchesOf(indices, opts.batchSize)) {
      for (let clip = 0; clip < clips; clip++) {
        const batch = await data.batch(idx, { rng: null, clip, alloc: inEngine.alloc, allocI32: inEngine.allocI32 });
        const out = model.forward(batch.input, ctx);
        inEngine.release(batch);
        const [t, b, kk] = out.shape as [number, number, number];
        if (k === 0) {
          if (data.numClasses > kk) {
            throw new Error(`the data has ${data.numClasses} classes but the model only ${kk} outputs`);
          }
          k = kk;
          counts = new Float64Array(indices.length * k);
        }
        const c = spikeCounts(out.data, t, b, kk);
        for (let i = 0; i < c.length; i++) counts[offset * k + i] += c[i];
        opts.onBatch?.(idx, clip);
      }
      offset += idx.length;
    }
  } finally {
    inEngine.releaseAll();
  }
  const predictions = argmaxRows(counts, indices.length, k);
  return summarize(
    predictions,
    Int32Array.from(indices, (i) => data.label(i)),
    k,
    clips,
    data.classNames,
  );
}

export function summarize(
  predictions: Int32Array,
  labels: Int32Array,
  k: number,
  clips = 1,
  classNames?: string[],
): EvalResult {
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predictions[i]]++;
    if (labels[i] === predictions[i]) correct++;
  }
  const perClass = confusion.map((row, c) => ({
    class: c,
    ...(classNames?.[c] !== undefined ? { name: classNames[c] } : {}),
    n: row.reduce((a, b) => a + b, 0),
    correct: row[c],
  }));
  const n = labels.length;
  return { accuracy: n > 0 ? correct / n : 0, n, correct, clips, perClass, confusion, predictions };
}

/** The JSON form printed by `eval --json`. */
export function evalJson(r: EvalResult): Record<string, unknown> {
  return {
    accuracy: r.accuracy,
    n: r.n,
    correct: r.correct,
    clips: r.clips,
    perClass: r.perClass,
    confusion: r.confusion,
  };
}

/**
 * Losses on the network's output spikes o [T, B, K] (time-major). Both return the mean loss over the batch and
 * the gradient with respect to every output spike, so the model's backward can start from it.
 *
 * - "mse": rate-coding loss (TA-SNN): ŷ[b,k] = mean_t o[t,b,k]; L = mean over b,k of (ŷ - onehot)^2, as PyTorch's
 *   MSELoss with reduction "mean" over a [B, K] tensor.
 * - "ce": cross-entropy on spike counts c[b,k] = Σ_t o[t,b,k]; L = mean_b −log softmax(c[b])[label].
 */
import { argmaxRows } from "../util/argmax.js";

export type LossName = "mse" | "ce";

export interface LossResult {
  loss: number;
  /** dL/do, [T, B, K] */
  grad: Float32Array;
  /** argmax of the spike counts per sample (ties: lowest class index) */
  predictions: Int32Array;
}

export function outputLoss(
  name: LossName,
  out: Float32Array,
  t: number,
  b: number,
  k: number,
  labels: Int32Array,
): LossResult {
  if (out.length !== t * b * k) throw new RangeError(`output has ${out.length} values, expected T·B·K = ${t * b * k}`);
  if (labels.length !== b) throw new RangeError(`${labels.length} labels for a batch of ${b}`);
  const counts = spikeCounts(out, t, b, k);
  const gSample = new Float64Array(b * k);
  let loss = 0;
  if (name === "mse") {
    const scale = 1 / (b * k);
    for (let i = 0; i < b; i++) {
      const label = checkLabel(labels[i]!, k);
      for (let j = 0; j < k; j++) {
        const diff = counts[i * k + j]! / t - (j === label ? 1 : 0);
        loss += diff * diff * scale;
        gSample[i * k + j] = (2 * diff * scale) / t;
      }
    }
  } else {
    for (let i = 0; i < b; i++) {
      const label = checkLabel(labels[i]!, k);
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) max = Math.max(max, counts[i * k + j]!);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(counts[i * k + j]! - max);
      const logSum = max + Math.log(sum);
      loss += (logSum - counts[i * k + label]!) / b;
      for (let j = 0; j < k; j++) {
        const p = Math.exp(counts[i * k + j]! - logSum);
        gSample[i * k + j] = (p - (j === label ? 1 : 0)) / b;
      }
    }
  }
  // every time step contributes to the count (or rate) alike
  const grad = new Float32Array(t * b * k);
  for (let s = 0; s < t; s++) grad.set(Float32Array.from(gSample), s * b * k);
  return { loss, grad, predictions: argmaxRows(counts, b, k) };
}

/** c[b,k] = Σ_t o[t,b,k], summed in float64 in a fixed order. */
export function spikeCounts(out: Float32Array, t: number, b: number, k: number): Float64Array {
  const counts = new Float64Array(b * k);
  for (let s = 0; s < t; s++) {
    const base = s * b * k;
    for (let i = 0; i < b * k; i++) counts[i]! += out[base + i]!;
  }
  return counts;
}

function checkLabel(label: number, k: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= k) {
    throw new RangeError(`label ${label} is outside the model's ${k} classes (0..${k - 1})`);
  }
  return label;
}

/**
 * Intervals for reported accuracies: a 95 % Wilson interval for one model's accuracy on n test samples (the
 * sampling error of the test set), and a 95 % Student-t interval for a mean over seeds (training variance).
 */

export interface Interval {
  mean: number;
  low: number;
  high: number;
}

const Z95 = 1.959964;
/** two-sided 95 % Student-t quantiles for 1..10 degrees of freedom; beyond that the normal value is close enough */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Wilson score interval of an accuracy measured on `n` samples. */
export function wilson(accuracy: number, n: number): Interval {
  if (n <= 0) return { mean: accuracy, low: 0, high: 1 };
  const z2 = Z95 * Z95;
  const centre = (accuracy + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((accuracy * (1 - accuracy)) / n + z2 / (4 * n * n));
  return { mean: accuracy, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Mean of per-seed values with a 95 % t interval (a single value has no interval: low = high = the value). */
export function meanInterval(values: number[]): Interval {
  if (values.length === 0) throw new RangeError("meanInterval: no values");
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const t = n - 1 <= T95.length ? T95[n - 2]! : Z95;
  const half = t * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half };
}

/** "81.6 % [79.1, 83.9]" (percent, one decimal). */
export function formatInterval(i: Interval): string {
  const p = (x: number): string => (100 * x).toFixed(1);
  return `${p(i.mean)} % [${p(i.low)}, ${p(i.high)}]`;
}

/**
 * The fixed train/test split of N-MNIST-emu and the rule that keeps the real N-MNIST sample recordings out of
 * training. Browser-safe.
 *
 * - test: the last TEST_PER_CLASS package digits of every class (1 000 in all);
 * - train: all the others (9 000);
 * - excludeRealOverlap: also leaves out of train the first n_c digits of class c, n_c = NMNIST_SMALL_CLASS_COUNTS[c].
 *   The 1 000 real recordings in shared/data/nmnist/small are N-MNIST training samples 1..1000, i.e. MNIST training
 *   images 1..1000, and the package holds the MNIST training images of each class in their original order, so
 *   real recording k of class c (the j-th of its class among ids 1..k) is package digit (c, j − 1).
 *
 * Order: class round-robin (0, 1, …, 9, 0, 1, …), each class in package order, so the first `count` digits of a
 * split have (nearly) equal numbers per class. A class that runs out is skipped.
 */

export type EmuSplit = "train" | "test";

export const TEST_PER_CLASS = 100;

/**
 * Labels of MNIST training images 1..1000 counted per class (= the class histogram of N-MNIST training samples
 * 1..1000, shared/data/nmnist/small/train1K.txt; a test checks it against that file).
 */
export const NMNIST_SMALL_CLASS_COUNTS: readonly number[] = Object.freeze([97, 116, 99, 93, 105, 92, 94, 117, 87, 100]);

/** A package digit: its class and its index among the package's digits of that class. */
export interface DigitRef {
  label: number;
  index: number;
}

/** True when package digit (c, j) is the image of one of the 1 000 real N-MNIST sample recordings. */
export function isRealOverlap(label: number, index: number): boolean {
  return index < (NMNIST_SMALL_CLASS_COUNTS[label] ?? 0);
}

/** Index range [start, end) of class c's digits in a split. */
export function splitRange(classCount: number, label: number, split: EmuSplit, excludeRealOverlap: boolean) {
  if (classCount <= TEST_PER_CLASS) throw new RangeError(`class ${label} has only ${classCount} digits`);
  if (split === "test") return { start: classCount - TEST_PER_CLASS, end: classCount };
  const start = excludeRealOverlap ? (NMNIST_SMALL_CLASS_COUNTS[label] ?? 0) : 0;
  return { start, end: classCount - TEST_PER_CLASS };
}

/** The digits of a split in its fixed order (class round-robin), the first `count` of them (default all). */
export function splitDigits(
  classCounts: readonly number[],
  split: EmuSplit,
  excludeRealOverlap = false,
  count = Number.POSITIVE_INFINITY,
): DigitRef[] {
  const ranges = classCounts.map((n, c) => splitRange(n, c, split, excludeRealOverlap));
  const next = ranges.map((r) => r.start);
  const out: DigitRef[] = [];
  let progressed = true;
  while (out.length < count && progressed) {
    progressed = false;
    for (let c = 0; c < ranges.length && out.length < count; c++) {
      if (next[c]! < ranges[c]!.end) {
        out.push({ label: c, index: next[c]!++ });
        progressed = true;
      }
    }
  }
  return out;
}

/**
 * The package digit behind each real recording, given the recordings' labels in id order (ids 1, 2, …):
 * recording k ↦ (label_k, number of earlier recordings with that label).
 */
export function realRecordingDigits(labelsInIdOrder: readonly number[]): DigitRef[] {
  const seen = new Map<number, number>();
  return labelsInIdOrder.map((label) => {
    const index = seen.get(label) ?? 0;
    seen.set(label, index + 1);
    return { label, index };
  });
}

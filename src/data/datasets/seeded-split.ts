/**
 * A per-class random split for datasets that have no official one (CIFAR10-DVS, N-Caltech101). It is written to
 * disk with its seed the first time and read back afterwards, so every run and every later reader uses the same
 * split, and the file can be cited. Node only.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { Rng } from "../../util/rng.js";
import type { Sample } from "../sample.js";

export interface SplitFile {
  dataset: string;
  method: string;
  seed: number;
  trainFraction: number;
  train: string[];
  test: string[];
}

/**
 * Splits each class's samples (given in a fixed order) with a seeded shuffle: the first round(n·trainFraction)
 * of the shuffled list train, the rest test. Reads `file` instead when it exists and was made with the same seed
 * and fraction; every id in it must still exist.
 */
export function seededClassSplit(
  dataset: string,
  byClass: Sample[][],
  seed: number,
  trainFraction: number,
  file: string,
): { train: Sample[]; test: Sample[] } {
  const all = new Map(byClass.flat().map((s) => [s.id, s]));
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as SplitFile;
    if (saved.seed === seed && saved.trainFraction === trainFraction) {
      const pick = (ids: string[]): Sample[] =>
        ids.map((id) => {
          const s = all.get(id);
          if (s === undefined) {
            throw new Error(
              `${file} names sample '${id}', which is not in the dataset folder; delete the file to redo the split`,
            );
          }
          return s;
        });
      return { train: pick(saved.train), test: pick(saved.test) };
    }
  }
  const train: Sample[] = [];
  const test: Sample[] = [];
  byClass.forEach((samples, label) => {
    const order = samples.slice();
    new Rng((seed ^ Math.imul(label + 1, 0x9e3779b1)) >>> 0).shuffle(order);
    const n = Math.round(order.length * trainFraction);
    train.push(...order.slice(0, n));
    test.push(...order.slice(n));
  });
  const saved: SplitFile = {
    dataset,
    method: `per class: seeded Fisher-Yates shuffle (razor-snn Rng, seed xor label-mix), first ${trainFraction} train`,
    seed,
    trainFraction,
    train: train.map((s) => s.id),
    test: test.map((s) => s.id),
  };
  writeFileAtomic(file, `${JSON.stringify(saved, null, 1)}\n`);
  return { train, test };
}

/** Parsing of command-line options: each names the option and what it expected. */
import type { DataArgs } from "../experiments/setup.js";
import type { Variant } from "../models/config.js";

export function intOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} ${s}: expected a whole number`);
  return n;
}

/** A count that must be at least 1 (a batch size, a chunk, a number of epochs or samples): 0 would loop forever. */
export function countOpt(name: string, s: string | undefined): number | undefined {
  const n = intOpt(name, s);
  if (n === 0) throw new Error(`--${name} 0: expected at least 1`);
  return n;
}

export function numOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`--${name} ${s}: expected a number`);
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
};

/** A size in bytes such as 3GiB, 512MiB, 1.5G or 65536 (binary units; K/M/G mean KiB/MiB/GiB); at least 1 MiB. */
export function sizeOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s.trim());
  const unit = m === null ? undefined : SIZE_UNITS[m[2]!.toLowerCase()];
  const bytes = m === null || unit === undefined ? Number.NaN : Math.floor(Number(m[1]) * unit);
  if (!(bytes >= 2 ** 20)) throw new Error(`--${name} ${s}: expected a size of at least 1MiB, such as 3GiB or 512MiB`);
  return bytes;
}

/** --model: one of the three variants, or undefined (the config's). */
export function variantOpt(s: string | undefined): Variant | undefined {
  if (s !== undefined && !["razor", "ta", "snn"].includes(s))
    throw new Error(`--model ${s}: expected razor, ta or snn`);
  return s as Variant | undefined;
}

/** The data options train and export-frames share (--dataset, --data, --labels, --valid, --limit-train/val). */
export function dataArgsOf(v: {
  dataset?: string;
  data?: string;
  labels?: string;
  valid?: string;
  "limit-train"?: string;
  "limit-val"?: string;
}): DataArgs {
  return {
    dataset: v.dataset,
    data: v.data,
    labels: v.labels,
    valid: intOpt("valid", v.valid),
    limitTrain: countOpt("limit-train", v["limit-train"]),
    limitVal: countOpt("limit-val", v["limit-val"]),
  };
}

/** Default weight λ of the keep-rate target λ(mean d − ρ)² (our choice: the order of the rate loss's gradients). */
export const DEFAULT_KEEP_WEIGHT = 1;

/**
 * --learned-pruning KEEP [--keep-weight λ] as a config override (razor.learnedPruning), or [] when KEEP is absent.
 * KEEP is the target share of frames each Razor layer keeps, in (0, 1].
 */
export function learnedPruningSet(keep: string | undefined, weight: string | undefined): string[] {
  if (keep === undefined) {
    if (weight !== undefined) throw new Error("--keep-weight needs --learned-pruning KEEP");
    return [];
  }
  const rho = numOpt("learned-pruning", keep)!;
  if (!(rho > 0 && rho <= 1)) throw new Error(`--learned-pruning ${keep}: expected a keep rate in (0, 1], e.g. 0.5`);
  const lambda = numOpt("keep-weight", weight) ?? DEFAULT_KEEP_WEIGHT;
  if (!(lambda >= 0)) throw new Error(`--keep-weight ${weight}: expected a weight >= 0`);
  return [`razor.learnedPruning=${JSON.stringify({ lambda, rho })}`];
}

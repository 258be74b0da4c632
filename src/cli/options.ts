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

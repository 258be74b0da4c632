/**
 * Learned pruning against post-hoc pruning (issue #13, item 3). A model trained with learned pruning (sampled binary
 * masks, straight-through, keep-rate target ρ) prunes at evaluation with d ≥ evalThreshold in every Razor layer:
 * its *learned masks*. Beside them, at the same per-layer drop rates:
 *   - post-hoc θ on the same model's scores (θ_n chosen on the calibration split for the learned rates);
 *   - optionally post-hoc θ on a reference model (e.g. a soft Razor model trained without learned pruning);
 *   - the three controls (random frames, fixed stride, event-count gate).
 * The rates are the learned masks' per-layer total drop shares: measured on the calibration split for the θ
 * calibration, on the evaluated split for the controls (so the controls drop exactly what the learned masks did).
 */
import type { LabelledData } from "../data/data-api.js";
import { derivedRng } from "../data/seeds.js";
import type { PrunableModel } from "../models/model-api.js";
import { decideFrames, type MaskPolicy } from "../nn/frame-gate.js";
import { CONTROL_LABELS, CONTROLS, type ControlName, controlPolicy, thresholdPolicy } from "./mask-policies.js";
import { formatInterval, wilson } from "./stats.js";
import { chooseThresholds, type PolicyRun, runPolicy, scoredLayers, sopsSaved } from "./sweep.js";

/** The learned masks: d ≥ θ in every scored layer (what a learned-pruning layer does with no threshold set). */
export function learnedMaskPolicy(evalThreshold: number): MaskPolicy {
  const rule = { maskPolicy: null, threshold: evalThreshold, gapFloor: null, fallbackThreshold: null };
  return (inp) => decideFrames(rule, inp, "learned masks");
}

export interface PosthocRun {
  /** θ per spiking layer, chosen on the calibration split for the learned per-layer rates */
  thetas: (number | null)[];
  run: PolicyRun;
}

export interface LearnedComparison {
  /** θ the learned masks use (the config's razor.learnedPruning.evalThreshold) */
  evalThreshold: number;
  /** the keep-rate target ρ the model was trained for */
  keepTarget: number;
  /** every frame kept */
  unpruned: PolicyRun;
  learned: PolicyRun;
  /** the learned masks' per-layer total drop shares on the calibration split (what θ is calibrated to) */
  calibrationRates: number[];
  posthoc: PosthocRun;
  /** post-hoc θ on the reference model at the same rates, with its own unpruned accuracy */
  reference?: PosthocRun & { unpruned: PolicyRun };
  controls: Partial<Record<ControlName, PolicyRun>>;
}

export interface LearnedOptions {
  evalThreshold: number;
  keepTarget: number;
  batchSize: number;
  /** where post-hoc θ is chosen (never the evaluated split) */
  calibration: LabelledData;
  reference?: PrunableModel;
  seed?: number;
}

/** Post-hoc θ on `model` at the per-scored-layer total drop `rates`, chosen on `calib`, evaluated on `data`. */
export async function posthocAtRates(
  model: PrunableModel,
  data: LabelledData,
  calib: LabelledData,
  rates: number[],
  batchSize: number,
  base: PolicyRun,
): Promise<PosthocRun> {
  const scored = await scoredLayers(model, calib, batchSize);
  const thetas = await chooseThresholds(model, calib, scoredRates(rates, scored), batchSize, null, scored);
  return { thetas, run: await measured(model, data, thresholdPolicy(thetas), batchSize, base) };
}

/** rates per spiking layer (index 0 = the encoder) → one per scored layer. */
function scoredRates(perLayer: number[], scored: number[]): number[] {
  return scored.map((n) => perLayer[n] ?? 0);
}

async function measured(
  model: PrunableModel,
  data: LabelledData,
  policy: MaskPolicy | null,
  batchSize: number,
  base: PolicyRun | null,
): Promise<PolicyRun> {
  const r = await runPolicy(model, data, policy, batchSize);
  r.sopsDropped = base === null ? 0 : sopsSaved(r.efficiency, base.efficiency);
  return r;
}

export async function compareLearned(
  model: PrunableModel,
  data: LabelledData,
  o: LearnedOptions,
): Promise<LearnedComparison> {
  const unpruned = await measured(model, data, null, o.batchSize, null);
  const policy = learnedMaskPolicy(o.evalThreshold);
  const learned = await measured(model, data, policy, o.batchSize, unpruned);
  const calibrationRates = (await runPolicy(model, o.calibration, policy, o.batchSize)).dropPerLayer;
  const posthoc = await posthocAtRates(model, data, o.calibration, calibrationRates, o.batchSize, unpruned);
  const controls: Partial<Record<ControlName, PolicyRun>> = {};
  for (const [ci, c] of CONTROLS.entries()) {
    const rng = derivedRng(o.seed ?? 1, 0, ci);
    controls[c] = await measured(model, data, controlPolicy(c, learned.dropPerLayer, rng), o.batchSize, unpruned);
  }
  const result: LearnedComparison = {
    evalThreshold: o.evalThreshold,
    keepTarget: o.keepTarget,
    unpruned,
    learned,
    calibrationRates,
    posthoc,
    controls,
  };
  if (o.reference !== undefined) {
    const refBase = await measured(o.reference, data, null, o.batchSize, null);
    const ref = await posthocAtRates(o.reference, data, o.calibration, calibrationRates, o.batchSize, refBase);
    result.reference = { ...ref, unpruned: refBase };
  }
  return result;
}

/** Achieved keep rate of the learned masks per Razor layer (1 − drop share), the encoder left out. */
export function learnedKeepRates(c: LearnedComparison): number[] {
  return c.learned.dropPerLayer.slice(1).map((d) => 1 - d);
}

/** The comparison as rows: one per method, each at the learned masks' per-layer rates. */
export function learnedRows(c: LearnedComparison): { method: string; run: PolicyRun }[] {
  const rows = [
    { method: "unpruned (every frame)", run: c.unpruned },
    { method: `learned masks (d ≥ ${c.evalThreshold})`, run: c.learned },
    { method: "post-hoc θ, same model", run: c.posthoc.run },
  ];
  if (c.reference !== undefined) rows.push({ method: "post-hoc θ, reference model", run: c.reference.run });
  for (const k of CONTROLS) {
    const r = c.controls[k];
    if (r !== undefined) rows.push({ method: CONTROL_LABELS[k], run: r });
  }
  return rows;
}

/** A markdown table of the comparison (accuracy with its 95 % Wilson interval, drops per layer, SOPs). */
export function learnedTable(c: LearnedComparison): string {
  const pct = (x: number): string => (100 * x).toFixed(1);
  const keep = learnedKeepRates(c).map(pct).join("/");
  return [
    `learned pruning: keep-rate target ${pct(c.keepTarget)} %, achieved keep per Razor layer ${keep} % ` +
      `(evaluation θ ${c.evalThreshold}); every row at the learned masks' per-layer drop rates`,
    "",
    "| method | accuracy % [95 %] | frame-layers dropped % (per layer) | SOPs dropped % |",
    "|---|---|---|---|",
    ...learnedRows(c).map(
      ({ method, run }) =>
        `| ${method} | ${formatInterval(wilson(run.accuracy, run.n)).replace(" %", "")} | ` +
        `${pct(run.dropOverall)} (${run.dropPerLayer.slice(1).map(pct).join("/")}) | ${pct(run.sopsDropped ?? 0)} |`,
    ),
  ].join("\n");
}

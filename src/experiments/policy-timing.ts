/**
 * Wall-clock cost of a mask policy: the pruned runner on one fixed batch, masked against unmasked (interleaved
 * pairs, best of each), once with the event-driven kernels chosen by input density (the CPU inference path) and
 * once with the dense kernels forced everywhere (what a GPU or dense accelerator pays: a dropped frame saves its
 * whole frame-layer, a quiet kept frame costs as much as a busy one).
 */
import { timeMaskedVsUnmasked } from "../infer/compare.js";
import { INFERENCE_THRESHOLDS } from "../infer/layer-step.js";
import { PrunedRunner } from "../infer/pruned.js";
import type { SnnModel } from "../models/model.js";
import type { EventDrivenThresholds } from "../nn/density.js";
import type { MaskPolicy } from "../nn/frame-gate.js";
import type { Seq } from "../nn/module.js";

export interface BackendTiming {
  maskedMs: number;
  unmaskedMs: number;
  /** unmasked / masked wall time */
  speedup: number;
}

export interface PolicyTiming {
  samples: number;
  eventDriven: BackendTiming;
  dense: BackendTiming;
}

export type PolicyTimer = (policy: MaskPolicy) => PolicyTiming;

/** 0 density thresholds: every layer takes its dense kernel. */
export const DENSE_ONLY: EventDrivenThresholds = { conv: 0, linear: 0 };

const keepAll: MaskPolicy = () => null;

/** A timer over batch `x` (frames × samples): each call times one policy on both backends. */
export function policyTimer(model: SnnModel, x: Seq, rounds = 2): PolicyTimer {
  const backends = {
    eventDriven: new PrunedRunner(model, { thresholds: INFERENCE_THRESHOLDS }),
    dense: new PrunedRunner(model, { thresholds: DENSE_ONLY }),
  };
  return (policy) => {
    const time = (runner: PrunedRunner): BackendTiming => {
      try {
        const t = timeMaskedVsUnmasked(
          runner,
          x,
          () => model.setMaskPolicy(policy),
          () => model.setMaskPolicy(keepAll),
          rounds,
        );
        return { maskedMs: t.maskedMs, unmaskedMs: t.unmaskedMs, speedup: t.unmaskedMs / t.maskedMs };
      } finally {
        model.setMaskPolicy(null);
      }
    };
    return { samples: x.shape[1]!, eventDriven: time(backends.eventDriven), dense: time(backends.dense) };
  };
}

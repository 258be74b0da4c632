/**
 * Event transforms as plain data ({name, params}) and back, so a pipeline can be rebuilt in a worker thread and
 * named in a checkpoint. The table maps each of the events module's transforms to its factory; a transform not in
 * it still works in the thread that made it. Browser-safe.
 */
import { denoise, dropEvents, refractory } from "../events/transforms/filters.js";
import {
  centerCrop,
  crop,
  downsample,
  flipLR,
  flipPolarity,
  flipUD,
  mergePolarities,
} from "../events/transforms/geometry.js";
import { backgroundNoiseWindow } from "../events/transforms/noise.js";
import { randomSlice, timeJitter } from "../events/transforms/time.js";
import type { EventTransform, TransformParams } from "../events/transforms/types.js";

export interface TransformPlan {
  name: string;
  params: TransformParams;
}

function num(plan: TransformPlan, key: string): number {
  const v = plan.params[key];
  if (typeof v !== "number")
    throw new Error(`transform ${plan.name}: parameter ${key} must be a number, got ${String(v)}`);
  return v;
}

const BUILDERS: Record<string, (p: TransformPlan) => EventTransform> = {
  denoise: (p) => denoise(num(p, "filterTime")),
  refractory: (p) => refractory(num(p, "period")),
  dropEvents: (p) => dropEvents(num(p, "probability")),
  downsample: (p) => downsample(num(p, "kx"), num(p, "ky")),
  crop: (p) => crop(num(p, "x0"), num(p, "y0"), num(p, "width"), num(p, "height")),
  centerCrop: (p) => centerCrop(num(p, "width"), num(p, "height")),
  flipLR: () => flipLR(),
  flipUD: () => flipUD(),
  mergePolarities: () => mergePolarities(),
  flipPolarity: () => flipPolarity(),
  backgroundNoiseWindow: (p) => backgroundNoiseWindow(num(p, "duration"), num(p, "rateHz")),
  timeJitter: (p) => timeJitter(num(p, "std"), p.params.clipNegative !== false),
  randomSlice: (p) => randomSlice(num(p, "duration")),
};

export function planOf(t: EventTransform): TransformPlan {
  return { name: t.name, params: { ...t.params } };
}

export function canRebuild(plan: TransformPlan): boolean {
  return Object.hasOwn(BUILDERS, plan.name);
}

export function rebuildTransform(plan: TransformPlan): EventTransform {
  const make = BUILDERS[plan.name];
  if (make === undefined || !Object.hasOwn(BUILDERS, plan.name)) {
    throw new Error(`unknown event transform '${plan.name}': expected one of ${Object.keys(BUILDERS).join(", ")}`);
  }
  return make(plan);
}

/**
 * The training state for `--resume`: a checkpoint file (src/checkpoint/checkpoint.ts) whose tensors are the model's
 * plus the Adam moments (`optimizer.exp_avg.<param>`, `optimizer.exp_avg_sq.<param>`), and whose metadata adds
 * `razor_snn.train_state`: the step, learning rate, schedule and epoch. Browser-safe.
 */
import {
  type CheckpointMeta,
  decodeCheckpoint,
  type LoadedCheckpoint,
  metaStrings,
  modelTensors,
  TRAIN_STATE_KEY,
} from "../checkpoint/checkpoint.js";
import { encodeSafeTensors } from "../checkpoint/safetensors.js";
import type { TrainableModel } from "../models/model-api.js";
import type { Json } from "../util/json.js";
import type { AdamState } from "./optimizer.js";
import type { PlateauState } from "./schedule.js";

export interface TrainState {
  /** epochs completed */
  epoch: number;
  lr: number;
  adam: AdamState;
  schedule: PlateauState;
  /** run bookkeeping (seed, threads, best epoch, history) */
  run: Json;
}

export function encodeTrainState(model: TrainableModel, meta: CheckpointMeta, state: TrainState): Uint8Array {
  const tensors = modelTensors(model);
  for (const [name, mv] of state.adam.moments) {
    const shape = [mv.m.length];
    tensors.set(`optimizer.exp_avg.${name}`, { dtype: "F32", shape, data: mv.m });
    tensors.set(`optimizer.exp_avg_sq.${name}`, { dtype: "F32", shape, data: mv.v });
  }
  const strings = metaStrings(meta);
  strings[TRAIN_STATE_KEY] = JSON.stringify({
    epoch: state.epoch,
    lr: state.lr,
    step: state.adam.step,
    // Infinity is not JSON: keep the plateau best as a string
    schedule: { best: String(state.schedule.best), badEpochs: state.schedule.badEpochs },
    run: state.run,
  });
  return encodeSafeTensors(tensors, strings);
}

export function decodeTrainState(bytes: Uint8Array, source: string): LoadedCheckpoint & { state: TrainState } {
  const ck = decodeCheckpoint(bytes, source);
  const s = ck.raw.metadata[TRAIN_STATE_KEY];
  if (s === undefined) throw new Error(`${source}: not a training-state file (no razor_snn.train_state)`);
  const j = parseTrainState(s, source);
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const [name, t] of ck.tensors) {
    if (!name.startsWith("optimizer.exp_avg.")) continue;
    const p = name.slice("optimizer.exp_avg.".length);
    const v = ck.tensors.get(`optimizer.exp_avg_sq.${p}`);
    if (v === undefined) throw new Error(`${source}: optimizer.exp_avg_sq.${p} is missing`);
    if (t.dtype !== "F32" || v.dtype !== "F32") throw new Error(`${source}: optimizer moments of ${p} must be F32`);
    moments.set(p, { m: t.data as Float32Array, v: v.data as Float32Array });
  }
  for (const name of [...ck.tensors.keys()]) if (name.startsWith("optimizer.")) ck.tensors.delete(name);
  const state: TrainState = {
    epoch: j.epoch,
    lr: j.lr,
    adam: { step: j.step, moments },
    schedule: { best: Number(j.schedule.best), badEpochs: j.schedule.badEpochs },
    run: j.run,
  };
  return { ...ck, state };
}

interface SavedTrainState {
  epoch: number;
  lr: number;
  step: number;
  schedule: { best: string; badEpochs: number };
  run: Json;
}

/** The `razor_snn.train_state` JSON, every field checked (a bad field is named). */
function parseTrainState(text: string, source: string): SavedTrainState {
  const bad = (field: string, expected: string): never => {
    throw new Error(`${source}: ${TRAIN_STATE_KEY}.${field} must be ${expected}`);
  };
  let j: Partial<SavedTrainState>;
  try {
    j = JSON.parse(text) as Partial<SavedTrainState>;
  } catch {
    return bad("", "JSON");
  }
  if (j === null || typeof j !== "object") return bad("", "an object");
  const count = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0;
  if (!count(j.epoch)) bad("epoch", "a whole number >= 0");
  if (!(typeof j.lr === "number" && Number.isFinite(j.lr) && j.lr > 0)) bad("lr", "a number > 0");
  if (!count(j.step)) bad("step", "a whole number >= 0");
  if (j.schedule === null || typeof j.schedule !== "object" || typeof j.schedule.best !== "string") {
    bad("schedule", "{best, badEpochs}");
  }
  if (!count(j.schedule!.badEpochs)) bad("schedule.badEpochs", "a whole number >= 0");
  if (j.run === null || typeof j.run !== "object" || Array.isArray(j.run)) bad("run", "an object");
  return j as SavedTrainState;
}

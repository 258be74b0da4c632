/** Node: a model and its preprocessing from a checkpoint file. */
import { resolveModelConfig } from "../models/config.js";
import { buildModel, type SnnModel } from "../models/index.js";
import { type CheckpointMeta, decodeCheckpoint, loadModelTensors } from "./checkpoint.js";
import { readCheckpointBytes } from "./checkpoint-file.js";
import { type Preprocessing, parsePreprocessing } from "./preprocess.js";

export interface LoadedModel {
  model: SnnModel;
  meta: CheckpointMeta;
  pre: Preprocessing;
}

export function loadCheckpointModel(path: string): LoadedModel {
  const ck = decodeCheckpoint(readCheckpointBytes(path), path);
  const config = resolveModelConfig(ck.meta.model, {}, `${path}: model config`);
  const model = buildModel(config);
  loadModelTensors(model, ck.tensors, path);
  if (ck.meta.thresholds !== null) model.setThresholds(ck.meta.thresholds);
  model.eval();
  return { model, meta: ck.meta, pre: parsePreprocessing(ck.meta.preprocessing, path) };
}

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
  // everything in the metadata is checked before the model allocates anything from it
  const config = resolveModelConfig(ck.meta.model, {}, `${path}: model config`);
  const pre = parsePreprocessing(ck.meta.preprocessing, path);
  if (pre.input.join(",") !== config.input.join(",")) {
    throw new Error(`${path}: preprocessing.input [${pre.input}] does not match the model's input [${config.input}]`);
  }
  const th = ck.meta.thresholds;
  if (th !== null && th.length !== config.layers.length) {
    throw new Error(`${path}: razor_snn.thresholds has ${th.length} entries, the model ${config.layers.length} layers`);
  }
  const model = buildModel(config);
  try {
    loadModelTensors(model, ck.tensors, path);
  } catch (err) {
    model.dispose();
    throw err;
  }
  if (th !== null) model.setThresholds(th);
  model.eval();
  return { model, meta: ck.meta, pre };
}

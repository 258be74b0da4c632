/** The model a decoded checkpoint describes (browser-safe): a per-dataset model or an imported NIR graph. */
import { resolveModelConfig } from "../models/config.js";
import { GraphModel } from "../models/graph-model.js";
import { isGraphSpecJson, resolveGraphSpec } from "../models/graph-spec.js";
import { buildModel, type SnnModel } from "../models/index.js";
import { type CheckpointMeta, type LoadedCheckpoint, loadModelTensors } from "./checkpoint.js";
import { type Preprocessing, parsePreprocessing } from "./preprocess.js";

export interface LoadedModel<M = SnnModel> {
  model: M;
  meta: CheckpointMeta;
  pre: Preprocessing;
}

/** Builds the model a decoded checkpoint describes; everything in the metadata is checked before allocation. */
export function modelFromCheckpoint(ck: LoadedCheckpoint, path: string): LoadedModel<SnnModel | GraphModel> {
  const pre = parsePreprocessing(ck.meta.preprocessing, path);
  const inputOf = (input: number[]): void => {
    if (pre.input.join(",") !== input.join(",")) {
      throw new Error(`${path}: preprocessing.input [${pre.input}] does not match the model's input [${input}]`);
    }
  };
  const th = ck.meta.thresholds;
  if (isGraphSpecJson(ck.meta.model)) {
    const spec = resolveGraphSpec(ck.meta.model, `${path}: model`);
    inputOf(spec.input);
    if (th !== null) throw new Error(`${path}: razor_snn.thresholds must be null for an imported graph (no scorer)`);
    return { model: withTensors(new GraphModel(spec), ck, path), meta: ck.meta, pre };
  }
  const config = resolveModelConfig(ck.meta.model, {}, `${path}: model config`);
  inputOf(config.input);
  if (th !== null && th.length !== config.layers.length) {
    throw new Error(`${path}: razor_snn.thresholds has ${th.length} entries, the model ${config.layers.length} layers`);
  }
  const model = withTensors(buildModel(config), ck, path);
  if (th !== null) model.setThresholds(th);
  model.eval();
  return { model, meta: ck.meta, pre };
}

function withTensors<M extends SnnModel | GraphModel>(model: M, ck: LoadedCheckpoint, path: string): M {
  try {
    loadModelTensors(model, ck.tensors, path);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** Node: a model and its preprocessing from a checkpoint file. */
import { GraphModel, pruningDoesNotApply } from "../models/graph-model.js";
import type { SnnModel } from "../models/index.js";
import { decodeCheckpoint } from "./checkpoint.js";
import { readCheckpointBytes } from "./checkpoint-file.js";
import { type LoadedModel, modelFromCheckpoint } from "./model-from-checkpoint.js";

/** A per-dataset model (the pruning tools: sweep, ablate, export); an imported graph is refused in one line. */
export function loadCheckpointModel(path: string, tool = "this command"): LoadedModel {
  const loaded = loadAnyCheckpointModel(path);
  if (loaded.model instanceof GraphModel) {
    loaded.model.dispose();
    throw new Error(pruningDoesNotApply(`${tool} ${path}`));
  }
  return loaded as LoadedModel;
}

/** Any checkpoint: a per-dataset model or an imported NIR graph (GraphModel), in evaluation mode. */
export function loadAnyCheckpointModel(path: string): LoadedModel<SnnModel | GraphModel> {
  return modelFromCheckpoint(decodeCheckpoint(readCheckpointBytes(path), path), path);
}

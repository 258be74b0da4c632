/**
 * Models: the per-dataset spiking networks (plain SNN, TA-SNN, Razor SNN) built from JSON configs.
 *
 *   const config = loadModelConfig("nmnist", { variant: "razor", razor: { K: 4 } });   // Node (configs/*.json)
 *   const model = buildModel(config);                                 // or resolveModelConfig(json) in a browser
 *   const out = model.forward({ data, shape: [T, B, 2, 34, 34] });    // output spikes [T, B, classes]
 *   model.zeroGrad(); model.backward({ data: dLdOut, shape: out.shape });
 *   model.setRecompute([true, true, false, false]);   // layers that replay their forward in backward (less memory)
 *   model.parameters()   // {name: "layers.0.conv.weight", value, grad, shape, lrScale?}, PyTorch names/layouts
 *   model.buffers()      // BN running_mean / running_var / num_batches_tracked
 *   model.eval(); model.setThresholds([null, 0.4, 0.5, null]); model.setGapFloor(null);
 *   model.setMaskPolicy(({ layer, scores, activity, upstream, T, B }) => mask /* Uint8Array [T·B] or null *\/);
 *   model.scores(); model.masks(); model.layerMasks(); model.counts();   // from the last forward
 *   model.dispose();
 *
 * Frames are time-major everywhere: frame r = t·B + b. See docs/models.md.
 */
export * from "./config.js";
export * from "./model.js";

import type { ModelConfig } from "./config.js";
import { type ModelOptions, SnnModel } from "./model.js";

/** Builds the network of a resolved config (weights initialised as PyTorch does, seeded by config.seed). */
export function buildModel(config: ModelConfig, options: ModelOptions = {}): SnnModel {
  return new SnnModel(config, options);
}

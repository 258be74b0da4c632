/**
 * An estimate of the engine bytes one spiking layer holds in a training step, from its shapes alone (what the
 * memory budget plans with; the bench measures the real peak). Per frame (T·B frames), in f32 elements:
 * - kept in both modes from forward to backward: the output spikes (u8; the next layer's weight gradient reads
 *   these too, nn/spike-storage.ts) and their index list;
 * - freed by recomputation: u, the synapse output (BN's input) when BN or pooling follows it, the dropout output,
 *   and I when frame scores need it for their gradient;
 * - working set while the layer runs (forward, replay or backward): the input's f32 copy where a linear synapse or
 *   dropout reads it (dropped once the synapse has run) with the dropout and synapse outputs, then the synapse and
 *   BN outputs with pooled I, u and the output's f32 copy (alive until the next layer no longer reads it); in
 *   backward, the synapse output, the pooling gradient and the input gradient.
 */
import type { SpikingLayer } from "./spiking-layer.js";

export interface LayerBytes {
  /** held from forward to backward whether or not the layer recomputes */
  kept: number;
  /** held from forward to backward only without recomputation */
  freed: number;
  /** the most the layer has alive at once while it runs */
  working: number;
}

/** Share of output neurons assumed to spike per frame, for the index list (4 bytes each, 1.5× reserve). */
const LIST_DENSITY = 0.1;

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function layerBytes(layer: SpikingLayer, frames: number): LayerBytes {
  const input = count(layer.opts.inShape);
  const out = count(layer.outShape);
  const synOut = layer.poolOp === null ? out : out * layer.poolOp.opts.kernel * layer.poolOp.opts.kernel;
  const f32 = 4 * frames;
  const spikes = frames * out * (1 + 4 * 1.5 * LIST_DENSITY);
  // the input's f32 copy, while a linear synapse or dropout reads it (a conv reads the spike bytes); the network's
  // input (layer 0) is the caller's array, not the engine's
  const valuesRead = layer.dropout !== null || !layer.synapse.forwardReadsBytes;
  const inputCopy = layer.opts.index > 0 && valuesRead ? input : 0;
  const synapseHeld = layer.bn !== null || layer.poolOp !== null ? synOut : 0;
  const dropoutHeld = layer.dropout !== null && layer.dropout.p > 0 ? input : 0;
  const scoresHeld = layer.scorer !== null ? out : 0;
  const readSet = inputCopy + dropoutHeld + synOut;
  const forwardSet = Math.max(readSet, synOut + (layer.bn !== null ? synOut : 0) + out + out + out);
  const backwardSet = synOut + (layer.poolOp !== null ? synOut : 0) + out + (layer.opts.inputGrad ? input : 0);
  return {
    kept: spikes,
    freed: f32 * (out + synapseHeld + dropoutHeld + scoresHeld),
    working: f32 * Math.max(forwardSet, backwardSet),
  };
}

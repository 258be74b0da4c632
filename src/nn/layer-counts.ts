/**
 * Synaptic-operation (SOP) accounting of a spiking layer: an input spike drives `fanOut` synapses, and a frame the
 * layer did not compute costs nothing. The training forward (SpikingLayer.counts) and pruned inference count alike.
 */
import { type Seq, seqDims } from "./module.js";

/** What a layer did in its last forward, for SOP and efficiency accounting. */
export interface LayerCounts {
  /** 0-based layer index */
  layer: number;
  T: number;
  B: number;
  /** input spikes per frame [T·B] (events for the encoder, the sum of its input counts) */
  inputEvents: Float32Array;
  /** mean number of synapses each input spike drives (exact for conv borders) */
  fanOut: number;
  /** output spikes per frame [T·B] */
  outputSpikes: Float32Array;
  /** neurons per frame */
  neurons: number;
  /** frames this layer computed, M^n [T·B] (1 = computed); null = all */
  executed: Uint8Array | null;
  framesExecuted: number;
  frames: number;
  /** Σ over executed frames of inputEvents × fanOut */
  sops: number;
}

/** Frames computed and SOPs over them (frame order), from input spikes per frame and M^n (null = all). */
export function executedSops(
  activity: Float32Array,
  executed: Uint8Array | null,
  fanOut: number,
): { framesExecuted: number; sops: number } {
  let framesExecuted = 0;
  let sops = 0;
  for (let r = 0; r < activity.length; r++) {
    if (executed !== null && executed[r] === 0) continue;
    framesExecuted++;
    sops += activity[r]! * fanOut;
  }
  return { framesExecuted, sops };
}

/** Input spikes (or summed input counts) per frame. */
export function inputActivity(x: Seq): Float32Array {
  const { frames, features } = seqDims(x);
  const a = new Float32Array(frames);
  const list = x.spikes;
  if (list) {
    for (let r = 0; r < frames; r++) a[r] = list.offsets[r + 1]! - list.offsets[r]!;
    return a;
  }
  for (let r = 0; r < frames; r++) {
    let s = 0;
    for (let i = r * features; i < (r + 1) * features; i++) s += Math.abs(x.data[i]!);
    a[r] = s;
  }
  return a;
}

/**
 * Efficiency figures (method.md), accumulated over the batches of an evaluation from the model's per-layer
 * counts: per layer and overall the share of frames dropped, effective frames processed, synaptic operations
 * (SOPs = Σ input spikes × fan-out, on frames that ran), firing rates, and an energy ESTIMATE at the 45 nm figures
 * common in the SNN literature: 0.9 pJ per accumulate for spiking layers; the encoder's input is event counts, not
 * binary spikes, so its operations are priced as multiply-accumulates at 4.6 pJ (an upper bound). It is an
 * estimate, not a measurement.
 */
import type { LayerCounts } from "../nn/layer-counts.js";

export const PJ_PER_AC = 0.9;
export const PJ_PER_MAC = 4.6;
export const ENERGY_NOTE =
  `estimate, not a measurement: ${PJ_PER_AC} pJ per accumulate (spiking layers), ${PJ_PER_MAC} pJ per ` +
  "multiply-accumulate (the encoder, whose input is event counts), 45 nm figures";

export interface LayerEfficiency {
  layer: number;
  frames: number;
  framesRun: number;
  dropShare: number;
  sops: number;
  /** output spikes / (neurons × all frames) */
  firingRate: number;
  energyPJ: number;
}

export interface Efficiency {
  layers: LayerEfficiency[];
  /** over the spiking layers after the encoder: dropped frame-layers / all frame-layers */
  dropShare: number;
  /** frames processed per sample, summed over layers (effective frames) */
  effectiveFramesPerSample: number;
  sops: number;
  energyPJ: number;
  energyPerSamplePJ: number;
  energyNote: string;
  samples: number;
}

interface Acc {
  frames: number;
  run: number;
  sops: number;
  spikes: number;
  neuronFrames: number;
}

export class EfficiencyMeter {
  private readonly acc: Acc[] = [];
  private samples = 0;

  /** Adds the counts of one forward over `batch` samples. */
  add(counts: LayerCounts[], batch: number): void {
    this.samples += batch;
    for (const c of counts) {
      let a = this.acc[c.layer];
      if (a === undefined) {
        a = { frames: 0, run: 0, sops: 0, spikes: 0, neuronFrames: 0 };
        this.acc[c.layer] = a;
      }
      a.frames += c.frames;
      a.run += c.framesExecuted;
      a.sops += c.sops;
      for (let i = 0; i < c.outputSpikes.length; i++) a.spikes += c.outputSpikes[i];
      a.neuronFrames += c.neurons * c.frames;
    }
  }

  result(): Efficiency {
    const layers: LayerEfficiency[] = this.acc.map((a, layer) => ({
      layer,
      frames: a.frames,
      framesRun: a.run,
      dropShare: a.frames > 0 ? 1 - a.run / a.frames : 0,
      sops: a.sops,
      firingRate: a.neuronFrames > 0 ? a.spikes / a.neuronFrames : 0,
      energyPJ: a.sops * (layer === 0 ? PJ_PER_MAC : PJ_PER_AC),
    }));
    const later = layers.filter((l) => l.layer > 0);
    const frames = later.reduce((s, l) => s + l.frames, 0);
    const run = later.reduce((s, l) => s + l.framesRun, 0);
    const energy = layers.reduce((s, l) => s + l.energyPJ, 0);
    return {
      layers,
      dropShare: frames > 0 ? 1 - run / frames : 0,
      effectiveFramesPerSample: this.samples > 0 ? layers.reduce((s, l) => s + l.framesRun, 0) / this.samples : 0,
      sops: layers.reduce((s, l) => s + l.sops, 0),
      energyPJ: energy,
      energyPerSamplePJ: this.samples > 0 ? energy / this.samples : 0,
      energyNote: ENERGY_NOTE,
      samples: this.samples,
    };
  }
}

/** Drop share of every spiking layer, indexed by layer (the per-layer rates the controls must match). */
export function layerDropShares(e: Efficiency): number[] {
  return e.layers.map((l) => l.dropShare);
}

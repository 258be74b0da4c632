/**
 * Efficiency figures (method.md), accumulated over the batches of an evaluation from the model's layer records:
 * per layer and overall the share of frames dropped, effective frames processed, synaptic operations
 * (SOPs = Σ input spikes × fan-out, on frames that ran), firing rates and an energy ESTIMATE:
 * 0.9 pJ per accumulate (spiking layers) and 4.6 pJ per multiply-accumulate (the encoder, whose input is event
 * counts, run densely), the 45 nm figures commonly used in the SNN literature. It is an estimate, not a measurement.
 */
import type { LayerRecord } from "./model-api.js";

export const PJ_PER_AC = 0.9;
export const PJ_PER_MAC = 4.6;

export interface LayerEfficiency {
  name: string;
  maskable: boolean;
  module: boolean;
  frames: number;
  framesRun: number;
  dropShare: number;
  sops: number;
  macs: number;
  /** output spikes / (neurons × all frames) */
  firingRate: number;
  energyPJ: number;
}

export interface Efficiency {
  layers: LayerEfficiency[];
  /** over the maskable layers: dropped frame-layers / all frame-layers */
  dropShare: number;
  /** dropped dense work (MACs per frame weighted) over the maskable layers */
  workDropShare: number;
  sops: number;
  macs: number;
  energyPJ: number;
  energyNote: string;
  samples: number;
}

export class EfficiencyMeter {
  private acc: {
    name: string;
    maskable: boolean;
    module: boolean;
    frames: number;
    run: number;
    sops: number;
    macs: number;
    spikes: number;
    neuronFrames: number;
    densePerFrame: number;
  }[] = [];
  private samples = 0;

  /** Adds the records of one forward over `batch` samples. */
  add(records: LayerRecord[], batch: number): void {
    this.samples += batch;
    records.forEach((r, li) => {
      let a = this.acc[li];
      if (a === undefined) {
        a = {
          name: r.name,
          maskable: r.maskable,
          module: r.module,
          frames: 0,
          run: 0,
          sops: 0,
          macs: 0,
          spikes: 0,
          neuronFrames: 0,
          densePerFrame: r.macsPerFrame,
        };
        this.acc[li] = a;
      }
      const n = r.inputSpikes.length;
      a.frames += n;
      for (let i = 0; i < n; i++) {
        const ran = r.mask === null || r.mask[i] !== 0;
        if (!ran) continue;
        a.run++;
        // the encoder's input is event-count frames: dense MACs; later layers take binary spikes: accumulates
        if (li === 0) a.macs += r.macsPerFrame;
        else a.sops += r.inputSpikes[i] * r.fanOut;
      }
      for (let i = 0; i < r.outputSpikes.length; i++) a.spikes += r.outputSpikes[i];
      a.neuronFrames += r.neurons * n;
    });
  }

  result(): Efficiency {
    const layers: LayerEfficiency[] = this.acc.map((a) => ({
      name: a.name,
      maskable: a.maskable,
      module: a.module,
      frames: a.frames,
      framesRun: a.run,
      dropShare: a.frames > 0 ? 1 - a.run / a.frames : 0,
      sops: a.sops,
      macs: a.macs,
      firingRate: a.neuronFrames > 0 ? a.spikes / a.neuronFrames : 0,
      energyPJ: a.sops * PJ_PER_AC + a.macs * PJ_PER_MAC,
    }));
    const maskable = this.acc.filter((a) => a.maskable);
    const frames = maskable.reduce((s, a) => s + a.frames, 0);
    const run = maskable.reduce((s, a) => s + a.run, 0);
    const work = maskable.reduce((s, a) => s + a.frames * a.densePerFrame, 0);
    const workRun = maskable.reduce((s, a) => s + a.run * a.densePerFrame, 0);
    const sops = layers.reduce((s, l) => s + l.sops, 0);
    const macs = layers.reduce((s, l) => s + l.macs, 0);
    return {
      layers,
      dropShare: frames > 0 ? 1 - run / frames : 0,
      workDropShare: work > 0 ? 1 - workRun / work : 0,
      sops,
      macs,
      energyPJ: sops * PJ_PER_AC + macs * PJ_PER_MAC,
      energyNote: `estimate: ${PJ_PER_AC} pJ/AC (spiking layers), ${PJ_PER_MAC} pJ/MAC (encoder), 45 nm figures`,
      samples: this.samples,
    };
  }
}

/** Drop shares of the layers with a module, in order (the per-layer rates the controls must match). */
export function moduleDropShares(e: Efficiency): number[] {
  return e.layers.filter((l) => l.module).map((l) => l.dropShare);
}

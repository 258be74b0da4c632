/**
 * Efficiency of inference runs, counted on what actually ran: frames computed per layer, SOPs, firing rates and
 * the energy ESTIMATE of infer/efficiency.ts (0.9 pJ per accumulate, 4.6 pJ per multiply-accumulate for the
 * encoder, 45 nm figures; an estimate, not a measurement).
 */
import type { LayerCounts } from "../nn/layer-counts.js";
import { type Efficiency, EfficiencyMeter } from "./efficiency.js";

export interface EfficiencySummary {
  /** synaptic operations executed */
  sops: number;
  /** dropped frame-layers / all frame-layers over the layers after the encoder */
  dropShare: number;
  /** energy estimate in pJ (null where not computed) */
  energyPJ: number | null;
  energyNote: string;
  /** per layer detail (batch runs) */
  detail?: Efficiency;
}

/** Summary of one pruned run over `samples` samples. */
export function summarizeEfficiency(layers: LayerCounts[], samples: number): EfficiencySummary {
  const meter = new EfficiencyMeter();
  meter.add(layers, samples);
  const e = meter.result();
  return { sops: e.sops, dropShare: e.dropShare, energyPJ: e.energyPJ, energyNote: e.energyNote, detail: e };
}

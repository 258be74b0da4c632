/**
 * Pure-TS twins of the spiking kernels (LIF scan, spike lists, event-driven linear/conv).
 * Placeholder until the spike kernels land: every function says it is not built yet.
 */
import type { Kernels } from "./api.js";

export type SpikeKernelName =
  | "lifForward"
  | "lifBackward"
  | "spikeIndices"
  | "linearSpikeForward"
  | "linearSpikeWeightGrad"
  | "conv2dSpikeForward"
  | "conv2dSpikeWeightGrad";

function notBuilt(name: string): never {
  throw new Error(`spike kernel ${name} is not built yet`);
}

export const spikeReferenceKernels: Pick<Kernels, SpikeKernelName> = {
  lifForward: () => notBuilt("lifForward"),
  lifBackward: () => notBuilt("lifBackward"),
  spikeIndices: () => notBuilt("spikeIndices"),
  linearSpikeForward: () => notBuilt("linearSpikeForward"),
  linearSpikeWeightGrad: () => notBuilt("linearSpikeWeightGrad"),
  conv2dSpikeForward: () => notBuilt("conv2dSpikeForward"),
  conv2dSpikeWeightGrad: () => notBuilt("conv2dSpikeWeightGrad"),
};

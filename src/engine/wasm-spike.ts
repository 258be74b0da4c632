/** Wrappers of the wasm spiking kernels (assembly/spike.ts, assembly/lif.ts). Placeholder until they land. */
import type { Kernels } from "./api.js";
import { type SpikeKernelName, spikeReferenceKernels } from "./reference-spike.js";
import type { WasmRuntime } from "./runtime.js";

export function makeSpikeKernels(_rt: WasmRuntime): Pick<Kernels, SpikeKernelName> {
  return spikeReferenceKernels;
}

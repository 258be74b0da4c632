export * from "./api.js";
export * from "./current.js";
export { AllocatorError } from "./allocator.js";
export {
  KERNEL_GROUPS,
  type KernelGroup,
  type KernelProfile,
  type KernelTime,
  profileKernels,
} from "./kernel-profile.js";
export { createReferenceEngine, denseReferenceKernels } from "./reference.js";
export type { TypedView, WasmRuntime } from "./runtime.js";
export { createWasmEngine, type WasmEngine, type WasmEngineOptions, type WasmPlatform } from "./wasm.js";
export { webWorkerPlatform } from "./wasm-browser.js";

import { setDefaultEngineFactory } from "./current.js";
import { createReferenceEngine } from "./reference.js";

setDefaultEngineFactory(createReferenceEngine);

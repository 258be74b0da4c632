// Entry point of the wasm module: re-exports every kernel file.
export * from "./gemm";
export * from "./conv";
export * from "./pool";
export * from "./batchnorm";
export * from "./batchnorm-rows";
export * from "./elementwise";
export * from "./lif";
export * from "./spike-lists";
export * from "./spike-floats";
export * from "./razor-grad";
export * from "./razor-score";
export * from "./spike-linear";
export * from "./spike-conv";
export { addTransposed, packTransposed } from "./weight-packing";
export * from "./gap-lif";

/** First byte after the module's static data: the engine's allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}

// Entry point of the wasm module: re-exports every kernel file.
export * from "./dense";
export * from "./lif";
export * from "./spike";

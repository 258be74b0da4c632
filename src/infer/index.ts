/**
 * Inference: pruned batch runs whose skipped frames cost nothing (PrunedRunner), streaming (createStream), and
 * efficiency accounting. See docs/inference.md.
 */
export * from "./frame-accumulator.js";
export * from "./gap-lif.js";
export * from "./pruned.js";
export * from "./stream.js";
export * from "./accounting.js";
export * from "./compare.js";

/** Emulated event datasets (browser-safe part). The Node loader with the disk cache is ./load.ts. */
export * from "./codec.js";
export * from "./digits.js";
export * from "./nmnist-emu.js";
export * from "./recording-stats.js";
export * from "./saccades.js";
export * from "./split.js";

/** razor-snn browser entry: everything that needs no Node built-ins. */
export * from "./engine/index.js";
export * from "./events/index.js";
export * from "./events/emulator/index.js";
export * from "./data/emulated/index.js";
export * from "./nn/index.js";
export * from "./models/index.js";
export * from "./infer/index.js";
export * from "./nir/index.js";
export * from "./web/index.js";

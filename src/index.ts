/** razor-snn public API (Node). The browser entry is ./browser.ts. */
export * from "./events/index.js";
export * from "./events/node.js";
export * from "./events/emulator/index.js";
export * from "./events/emulator/image-files.js";
export * from "./data/index.js";
export * from "./data/emulated/index.js";
export * from "./data/emulated/load.js";
export * from "./engine/index.js";
export * from "./nn/index.js";
export * from "./models/index.js";
export * from "./models/config-file.js";
export * from "./infer/index.js";
export * from "./nir/index.js";
export * from "./nir/node.js";
export * from "./util/index.js";

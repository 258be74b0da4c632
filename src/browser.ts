/** razor-snn browser entry: everything that needs no Node built-ins. */
export * from "./events/index.js";
export * from "./engine/index.js";
export * from "./web/index.js";

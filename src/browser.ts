/** razor-snn browser entry: everything that needs no Node built-ins. */
export * from "./events/stream.js";
export * from "./engine/index.js";

export * from "./errors.js";
export * from "./stream.js";

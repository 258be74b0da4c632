export * from "./argmax.js";
export * from "./rng.js";

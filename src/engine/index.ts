export * from "./api.js";
export * from "./current.js";

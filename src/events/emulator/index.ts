/** Event-camera emulator (browser-safe part). Frame files: ./image-files.ts (Node). */
export * from "./emulator.js";
export * from "./grayscale.js";
export * from "./params.js";

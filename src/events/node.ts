/** Node-only parts of the events API (file access). The rest is in ./index.ts and also runs in browsers. */
export * from "./read-file.js";
export * from "./shd-node.js";

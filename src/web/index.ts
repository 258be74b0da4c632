/** The browser viewer's reusable parts: the Worker protocol, host and client, model runner, time index, painting. */
export * from "./model-runner.js";
export * from "./protocol.js";
export * from "./render.js";
export * from "./timeline.js";
export * from "./worker-client.js";
export * from "./worker-host.js";

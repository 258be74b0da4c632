/** The browser viewer's reusable parts: the Worker protocol, its host and client, time index and painting. */
export * from "./protocol.js";
export * from "./render.js";
export * from "./timeline.js";
export * from "./worker-client.js";
export * from "./worker-host.js";

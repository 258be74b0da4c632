// Entry point of the event-decoding wasm module (build/events.wasm): hot loops of the decoders in
// src/events/decoders/, each the twin of a JS loop there. The module owns its memory; the JS side lays out
// inputs and outputs above heapBase().
export * from "./lz4";
export * from "./aedat4";
export * from "./evt3";
export * from "./npy";
export * from "./dat";
export * from "./atis40";
export * from "./aedat3";
export * from "./frames";

/** First byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

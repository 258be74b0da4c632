/**
 * The engine the modules use. Starts as the pure-TS reference engine; `useEngine` switches (e.g. to the wasm engine
 * after `await createWasmEngine()`), so modules never care which one runs.
 */
import type { Engine } from "./api.js";

let active: Engine | null = null;
let fallback: (() => Engine) | null = null;

/** Registers the factory for the default engine (the reference twins register themselves). */
export function setDefaultEngineFactory(factory: () => Engine): void {
  fallback = factory;
}

export function useEngine(e: Engine): void {
  active = e;
}

export function engine(): Engine {
  if (active === null) {
    if (fallback === null) throw new Error("no engine available: import src/engine/index.js first");
    active = fallback();
  }
  return active;
}

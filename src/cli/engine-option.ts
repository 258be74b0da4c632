/**
 * `--threads N` / `--engine wasm|reference`: the engine the training commands run on. The wasm engine (SIMD,
 * worker threads) is the default; results are bit-identical per seed and thread count.
 */
import { availableParallelism } from "node:os";
import { useEngine } from "../engine/current.js";
import { createReferenceEngine, createWasmEngine } from "../engine/index.js";

/** Worker threads beyond this only cost memory (each holds its own wasm instance) and start-up time. */
export const MAX_THREADS = 64;

let closeActive: (() => void) | null = null;

/** Starts the engine and returns its thread count; call `releaseEngine` when done (stops worker threads). */
export async function selectEngine(threads: number | undefined, kind: string = "wasm"): Promise<number> {
  releaseEngine();
  if (kind === "reference") {
    useEngine(createReferenceEngine());
    return 1;
  }
  if (kind !== "wasm") throw new Error(`--engine ${kind}: expected wasm or reference`);
  const n = threads ?? Math.min(2, availableParallelism());
  if (!(n >= 1 && n <= MAX_THREADS)) {
    throw new Error(
      `--threads ${threads}: expected 1..${MAX_THREADS} (this machine has ${availableParallelism()} cores; ` +
        "results are bit-identical per thread count, so more threads than cores is allowed up to the maximum)",
    );
  }
  const e = await createWasmEngine({ threads: n });
  useEngine(e);
  closeActive = () => e.close();
  return e.threads;
}

export function releaseEngine(): void {
  closeActive?.();
  closeActive = null;
}

/** Runs a command body and stops the engine's worker threads afterwards, whatever happens. */
export async function releasingEngine<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    releaseEngine();
  }
}

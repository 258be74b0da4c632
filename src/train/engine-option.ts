/** `--threads N`: the engine the training commands run on. */
import { engine } from "../engine/current.js";

/** Selects the engine for `threads` (undefined: the default) and returns the thread count in use. */
export async function selectEngine(threads: number | undefined): Promise<number> {
  const e = engine();
  if (threads !== undefined && threads !== e.threads) {
    console.error(`note: the ${e.name} engine runs ${e.threads} thread(s); --threads ${threads} is not available yet`);
  }
  return e.threads;
}

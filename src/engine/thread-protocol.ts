/**
 * The handoff between the calling thread and the engine's workers, through a control block in the shared wasm
 * memory. Each worker owns one slot of SLOT_BYTES:
 *   int32 [0] seq    the caller bumps it to post a task (the worker waits on it)
 *   int32 [1] done   the worker sets it to seq when the task is finished (the caller waits on it)
 *   int32 [2] fn     index of the export to call (-1: exit)
 *   int32 [3] argc
 *   int32 [4] failed 1 when the call threw; the message is in the text area
 *   f64   [8 ..]     arguments (MAX_ARGS)
 *   bytes [TEXT_AT ..] UTF-8 error message
 * No node:* imports: the same code drives Node worker_threads and browser Workers.
 */

export const SLOT_BYTES = 1024;
export const MAX_ARGS = 48;
const ARGS_AT = 64;
const TEXT_AT = ARGS_AT + MAX_ARGS * 8;
const TEXT_BYTES = SLOT_BYTES - TEXT_AT;
export const EXIT_FN = -1;

/** What a worker needs to join: the compiled module, the memory, where its slot is and the export names. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  slot: number;
  exportNames: string[];
}

export type KernelFn = (...args: number[]) => unknown;

export class Slot {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  private readonly text: Uint8Array;

  constructor(buffer: ArrayBufferLike, offset: number) {
    this.i32 = new Int32Array(buffer, offset, ARGS_AT / 4);
    this.f64 = new Float64Array(buffer, offset + ARGS_AT, MAX_ARGS);
    this.text = new Uint8Array(buffer, offset + TEXT_AT, TEXT_BYTES);
  }

  writeError(message: string): void {
    const bytes = new TextEncoder().encode(message).subarray(0, TEXT_BYTES - 1);
    this.text.fill(0);
    this.text.set(bytes);
    Atomics.store(this.i32, 4, 1);
  }

  readError(): string {
    const end = this.text.indexOf(0);
    // copy out of shared memory: TextDecoder refuses shared views
    return new TextDecoder().decode(this.text.slice(0, end < 0 ? this.text.length : end));
  }
}

/** How long a thread spins on an Atomics flag before it sleeps (≈ 5-10 µs; longer spins cost more CPU than the
 * tens of µs a wake-up saves, measured on a loaded 2-core machine). */
const SPIN_LIMIT = 2000;

/** Waits until i32[index] !== value; spins first, then sleeps if the platform allows blocking. */
export function waitWhileEqual(i32: Int32Array, index: number, value: number, canBlock: boolean): void {
  for (let spins = 0; spins < SPIN_LIMIT; spins++) {
    if (Atomics.load(i32, index) !== value) return;
  }
  while (Atomics.load(i32, index) === value) {
    if (canBlock) Atomics.wait(i32, index, value, 1000);
  }
}

/** Waits until i32[index] === target (the caller waiting for a worker's `done`). */
export function waitUntilEqual(i32: Int32Array, index: number, target: number, canBlock: boolean): void {
  for (let spins = 0; spins < SPIN_LIMIT; spins++) {
    if (Atomics.load(i32, index) === target) return;
  }
  for (;;) {
    const now = Atomics.load(i32, index);
    if (now === target) return;
    if (canBlock) Atomics.wait(i32, index, now, 1000);
  }
}

/** The worker side: instantiate the module on the shared memory and serve tasks until told to exit. */
export function serveTasks(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, kernelImports(init.memory));
  const fns = init.exportNames.map((n) => instance.exports[n] as KernelFn);
  const slot = new Slot(init.memory.buffer, init.slot);
  let seen = Atomics.load(slot.i32, 0);
  ready();
  for (;;) {
    waitWhileEqual(slot.i32, 0, seen, true);
    seen = Atomics.load(slot.i32, 0);
    const fn = Atomics.load(slot.i32, 2);
    if (fn === EXIT_FN) return;
    const argc = Atomics.load(slot.i32, 3);
    const args = Array.from(slot.f64.subarray(0, argc));
    try {
      fns[fn]!(...args);
    } catch (err) {
      slot.writeError(`${init.exportNames[fn]}: ${err instanceof Error ? err.message : String(err)}`);
    }
    Atomics.store(slot.i32, 1, seen);
    Atomics.notify(slot.i32, 1);
  }
}

/**
 * What the kernels import, on every thread alike: the memory, `abort`, and the host's Math.exp and Math.log (Razor's
 * scores round them as the TS twin does).
 */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, abort: abortFromWasm, exp: Math.exp, log: Math.log } };
}

/** The `abort` import AssemblyScript modules need (only reachable through a bug in a kernel). */
function abortFromWasm(_msg: number, _file: number, line: number, col: number): never {
  throw new Error(`wasm kernel aborted at ${line}:${col}`);
}

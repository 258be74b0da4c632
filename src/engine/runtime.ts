/**
 * What a kernel wrapper needs from the wasm runtime. The engine's runtime (src/engine/wasm.ts) implements it;
 * wrappers of other kernel files (e.g. src/engine/wasm-spike.ts) are written against it.
 *
 * AssemblyScript kernel convention (assembly/*.ts): every array argument is a byte offset (usize) into the one
 * shared memory; a kernel whose work can be split takes the range of work items [begin, end) as its LAST two
 * arguments, and threads writing disjoint ranges never touch the same output bytes (so results do not depend on how
 * the range was split: bit-identical for any thread count where the kernel is written that way, and at least for a
 * given thread count always).
 */
export type TypedView = Float32Array | Uint8Array | Int32Array | Float64Array;

/** A Float64Array's bytes as a Float32Array: how float64 arrays travel through `call`'s staging (never read as floats). */
export function float64Bytes(a: Float64Array): Float32Array {
  return new Float32Array(a.buffer, a.byteOffset, a.length * 2);
}

export interface WasmRuntime {
  /** The wasm module's exports (kernels take and return numbers). */
  readonly exports: Record<string, (...args: number[]) => number>;
  readonly threads: number;
  /**
   * Runs one kernel call with staged arguments: inside `fn`, `ptr(view)` gives the byte offset of a view living in
   * wasm memory, or copies a foreign view into a temporary wasm buffer (and back out after `fn` when the view is
   * listed in `outputs`). `temp(bytes)` gives an uninitialised block of wasm memory for kernel scratch (16-byte
   * aligned). Temporaries are freed when `fn` returns.
   */
  call<R>(
    outputs: readonly TypedView[],
    fn: (ptr: (view: TypedView) => number, temp: (bytes: number) => number) => R,
  ): R;
  /**
   * exports[name](...args, begin, end) over the items [0, items), split across threads when items >= 2·minPerThread,
   * else run inline on the calling thread.
   */
  parallel(name: string, args: readonly number[], items: number, minPerThread?: number): void;
  /**
   * Runs task i on thread i (task 0 on the calling thread), each with its own arguments, and returns when all are
   * done; at most `threads` tasks. Optional: minimal runtimes (tests) may leave it out.
   */
  runTasks?(tasks: readonly { fn: string; args: number[] }[]): void;
}

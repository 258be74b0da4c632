/**
 * The WebAssembly SIMD engine: `await createWasmEngine()` then `useEngine(e)` runs every kernel in wasm.
 * Node loads build/razor.wasm and uses worker_threads by default; browsers pass `wasmSource` (URL, bytes or a
 * compiled module) and, for threads, a `platform` that starts Web Workers (cross-origin isolation required).
 * This file imports no node:* module; the Node defaults are loaded on demand.
 */
import { zeroBytes } from "../util/zero-bytes.js";
import type { AllocContents, Engine } from "./api.js";
import type { TypedView } from "./runtime.js";
import { makeDenseKernels } from "./wasm-dense.js";
import { makeListKernels } from "./wasm-lists.js";
import { makeRazorKernels } from "./wasm-razor.js";
import { EngineRuntime, type WasmPlatform } from "./wasm-runtime.js";
import { makeSpikeKernels } from "./wasm-spike.js";

export type { WasmPlatform } from "./wasm-runtime.js";

export interface WasmEngineOptions {
  /** Threads including the calling one (default: the machine's cores in Node, 1 elsewhere). */
  threads?: number;
  /** The compiled kernels: a URL to fetch, the bytes, or a compiled module (default in Node: build/razor.wasm). */
  wasmSource?: URL | string | ArrayBuffer | Uint8Array | WebAssembly.Module;
  /** How to start workers (default in Node: worker_threads; elsewhere: none, so threads must be 1). */
  platform?: WasmPlatform;
  /** Split every splittable call across threads, however small (for tests of the threaded paths). */
  alwaysSplit?: boolean;
  /**
   * false: run the razor-single.wasm build on an ordinary (non-shared) memory of fixed size `memoryMiB`, one thread;
   * for browser pages without cross-origin isolation. Default: true where SharedArrayBuffer exists.
   */
  sharedMemory?: boolean;
  /** Size of the fixed memory when `sharedMemory` is false (default 256 MiB; the shared memory grows instead). */
  memoryMiB?: number;
}

export interface WasmEngine extends Engine {
  readonly name: "wasm";
  /** The runtime, for kernel wrappers and benchmarks. */
  readonly runtime: EngineRuntime;
  /** Bytes of wasm memory reserved so far (it never shrinks). */
  memoryBytes(): number;
  /** Stops the worker threads; the engine cannot be used afterwards. */
  close(): void;
}

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

async function nodeDefaults(): Promise<typeof import("./wasm-node.js")> {
  // a computed specifier keeps browser bundlers from pulling the Node-only file in
  const path = "./wasm-node.js";
  return import(/* @vite-ignore */ path);
}

async function compile(source: WasmEngineOptions["wasmSource"], shared: boolean): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) {
    const file = shared ? "razor.wasm" : "razor-single.wasm";
    if (!isNode) throw new Error(`createWasmEngine: pass wasmSource (URL or bytes of ${file}) outside Node`);
    return WebAssembly.compile((await nodeDefaults()).loadDefaultWasm(file) as Uint8Array<ArrayBuffer>);
  }
  if (typeof source === "string" || source instanceof URL) {
    const res = await fetch(source);
    if (!res.ok) throw new Error(`createWasmEngine: fetching ${String(source)} failed: HTTP ${res.status}`);
    return WebAssembly.compile(await res.arrayBuffer());
  }
  return WebAssembly.compile(source as Uint8Array<ArrayBuffer>);
}

const singleThreaded: WasmPlatform = {
  spawnWorker: () => Promise.reject(new Error("no worker platform: pass options.platform to use threads here")),
  canBlock: false,
  defaultThreads: 1,
};

export async function createWasmEngine(opts: WasmEngineOptions = {}): Promise<WasmEngine> {
  const shared = opts.sharedMemory ?? typeof SharedArrayBuffer !== "undefined";
  const platform = opts.platform ?? (isNode && shared ? (await nodeDefaults()).nodePlatform : singleThreaded);
  const module = await compile(opts.wasmSource, shared);
  const threads = opts.threads ?? (shared ? platform.defaultThreads : 1);
  const fixedBytes = shared ? undefined : (opts.memoryMiB ?? 256) * 2 ** 20;
  const rt = await EngineRuntime.create(module, threads, platform, fixedBytes);
  let userBytes = 0;
  let peak = 0;
  const alloc = <T extends TypedView>(
    ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number },
    n: number,
    contents: AllocContents = "zeros",
  ): T => {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`alloc: length must be a non-negative integer, got ${n}`);
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    const offset = rt.allocator.alloc(bytes);
    const view = rt.view(ctor, offset, n);
    if (contents === "zeros") zeroBytes(view.buffer, offset, bytes);
    userBytes += rt.allocator.sizeOf(offset)!;
    peak = Math.max(peak, userBytes);
    return view;
  };
  const allocF32 = (n: number, contents?: AllocContents) => alloc(Float32Array, n, contents);
  const allocI32 = (n: number) => alloc(Int32Array, n);
  return {
    name: "wasm",
    threads: rt.threads,
    runtime: rt,
    ...makeDenseKernels(rt, { always: opts.alwaysSplit === true }),
    ...makeSpikeKernels(rt, { always: opts.alwaysSplit === true }),
    ...makeListKernels(rt, { allocF32, allocI32 }, { always: opts.alwaysSplit === true }),
    ...makeRazorKernels(rt, { always: opts.alwaysSplit === true }),
    allocF32,
    allocU8: (n) => alloc(Uint8Array, n),
    allocF64: (n) => alloc(Float64Array, n),
    allocI32,
    free(a) {
      if (!rt.owns(a)) throw new Error("free: array was not allocated by this engine");
      userBytes -= rt.allocator.free(a.byteOffset);
    },
    bytesInUse: () => userBytes,
    peakBytes: () => peak,
    memoryBytes: () => rt.memory.buffer.byteLength,
    close: () => rt.close(),
  };
}

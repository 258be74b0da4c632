/**
 * The wasm engine's runtime: one shared WebAssembly.Memory, the module instantiated on it on the calling thread
 * and on one worker per extra thread, an allocator over the memory, per-thread scratch space, and the task handoff.
 * No node:* imports; the platform (Node or browser) supplies worker start-up.
 */
import { WASM32_MAX_BYTES, WasmAllocator } from "./allocator.js";
import type { TypedView, WasmRuntime } from "./runtime.js";
import {
  kernelImports,
  EXIT_FN,
  type KernelFn,
  MAX_ARGS,
  SLOT_BYTES,
  Slot,
  type WorkerInit,
  waitUntilEqual,
} from "./thread-protocol.js";

export interface WorkerHandle {
  terminate(): void;
}

/** What the host provides: how to start a worker that runs `serveTasks`, and whether this thread may block. */
export interface WasmPlatform {
  spawnWorker(init: WorkerInit): Promise<WorkerHandle>;
  /** Atomics.wait is allowed on the calling thread (Node: yes; a browser's main thread: no). */
  canBlock: boolean;
  defaultThreads: number;
}

export interface Task {
  fn: string;
  args: readonly number[];
}

const PAGE = 65536;

/** Splits [0, items) into at most `parts` contiguous ranges whose inner boundaries are multiples of `multiple`. */
/** How many of `threads` a call over `items` uses when each must get at least `minPerThread` (at least 1). */
export function threadParts(threads: number, items: number, minPerThread: number): number {
  return Math.max(1, Math.min(threads, Math.floor(items / Math.max(1, minPerThread))));
}

export function splitRange(items: number, parts: number, multiple = 1): [number, number][] {
  const units = Math.ceil(items / multiple);
  const n = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const b = Math.min(items, Math.round((units * i) / n) * multiple);
    const e = Math.min(items, Math.round((units * (i + 1)) / n) * multiple);
    if (e > b) out.push([b, e]);
  }
  return out;
}

export class EngineRuntime implements WasmRuntime {
  readonly exports: Record<string, (...args: number[]) => number>;
  readonly allocator: WasmAllocator;
  private readonly exportNames: string[];
  private readonly exportIndex = new Map<string, number>();
  private readonly knownBuffers = new WeakSet<ArrayBufferLike>();
  private readonly slots: Slot[] = [];
  private readonly seq: number[] = [];
  private workers: WorkerHandle[] = [];
  private scratch: { offset: number; bytes: number }[] = [];
  private closed = false;

  private constructor(
    readonly memory: WebAssembly.Memory,
    instance: WebAssembly.Instance,
    readonly threads: number,
    private readonly canBlock: boolean,
    fixed: boolean,
  ) {
    this.exportNames = Object.keys(instance.exports).filter((k) => typeof instance.exports[k] === "function");
    this.exports = {};
    for (const [i, name] of this.exportNames.entries()) {
      this.exports[name] = instance.exports[name] as (...args: number[]) => number;
      this.exportIndex.set(name, i);
    }
    this.knownBuffers.add(memory.buffer);
    const heapBase = this.exports.heapBase!() >>> 0;
    this.allocator = new WasmAllocator(
      {
        size: () => this.memory.buffer.byteLength,
        growTo: (bytes) => {
          const have = this.memory.buffer.byteLength;
          if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
          this.knownBuffers.add(this.memory.buffer);
        },
      },
      heapBase,
      fixed ? memory.buffer.byteLength : WASM32_MAX_BYTES,
      fixed ? `${memory.buffer.byteLength / 2 ** 20} MiB (fixed non-shared memory: raise memoryMiB)` : undefined,
    );
  }

  /**
   * Instantiates the module. With `fixedMemoryBytes` (the razor-single.wasm build) the memory is an ordinary,
   * non-shared one of that fixed size: it cannot grow, because growing a non-shared memory would detach every view
   * handed out, and it allows one thread only.
   */
  static async create(
    module: WebAssembly.Module,
    threads: number,
    platform: WasmPlatform,
    fixedMemoryBytes?: number,
  ): Promise<EngineRuntime> {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
    }
    let memory: WebAssembly.Memory;
    if (fixedMemoryBytes !== undefined) {
      if (threads !== 1) throw new RangeError("threads need shared memory: a fixed, non-shared memory runs 1 thread");
      const pages = Math.ceil(fixedMemoryBytes / PAGE);
      if (!(pages >= 64 && pages <= 65536)) {
        throw new RangeError(`memory size must be between 4 MiB and 4 GiB, got ${fixedMemoryBytes} bytes`);
      }
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } else {
      if (typeof SharedArrayBuffer === "undefined") {
        throw new Error(
          "the wasm engine's threaded build needs shared WebAssembly memory (SharedArrayBuffer): in a browser, " +
            "serve the page cross-origin isolated (COOP: same-origin, COEP: require-corp), or use razor-single.wasm " +
            "with { sharedMemory: false }",
        );
      }
      memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    }
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, kernelImports(memory));
    } catch (err) {
      const want =
        fixedMemoryBytes === undefined ? "razor.wasm (shared memory)" : "razor-single.wasm (non-shared memory)";
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`the wasm engine could not instantiate the kernels; this mode needs ${want}: ${why}`);
    }
    const rt = new EngineRuntime(memory, instance, threads, platform.canBlock, fixedMemoryBytes !== undefined);
    try {
      await rt.startWorkers(module, platform);
    } catch (err) {
      rt.close();
      throw err;
    }
    return rt;
  }

  private async startWorkers(module: WebAssembly.Module, platform: WasmPlatform): Promise<void> {
    if (this.threads === 1) return;
    const block = this.allocator.alloc(SLOT_BYTES * (this.threads - 1));
    new Uint8Array(this.memory.buffer, block, SLOT_BYTES * (this.threads - 1)).fill(0);
    const starts: Promise<WorkerHandle>[] = [];
    for (let t = 1; t < this.threads; t++) {
      const offset = block + SLOT_BYTES * (t - 1);
      this.slots.push(new Slot(this.memory.buffer, offset));
      this.seq.push(0);
      starts.push(platform.spawnWorker({ module, memory: this.memory, slot: offset, exportNames: this.exportNames }));
    }
    const settled = await Promise.allSettled(starts);
    this.workers = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = settled.find((s) => s.status === "rejected");
    if (failed !== undefined) {
      const why = (failed as PromiseRejectedResult).reason;
      throw new Error(
        `wasm engine: a worker thread failed to start: ${why instanceof Error ? why.message : String(why)}`,
      );
    }
  }

  /** True when `view` lives in this engine's memory (then kernels use it in place). */
  owns(view: TypedView): boolean {
    if (view.buffer === this.memory.buffer) this.knownBuffers.add(view.buffer);
    return this.knownBuffers.has(view.buffer);
  }

  /** A fresh view of `length` elements at `offset` (after any growth, so it covers the whole block). */
  view<T extends TypedView>(ctor: { new (b: ArrayBufferLike, o: number, n: number): T }, offset: number, n: number): T {
    const buffer = this.memory.buffer;
    this.knownBuffers.add(buffer);
    return new ctor(buffer, offset, n);
  }

  call<R>(
    outputs: readonly TypedView[],
    fn: (ptr: (view: TypedView) => number, temp: (bytes: number) => number) => R,
  ): R {
    const temps: { view: TypedView; offset: number }[] = [];
    const scratch: number[] = [];
    const temp = (bytes: number): number => {
      const offset = this.allocator.alloc(Math.max(16, bytes));
      scratch.push(offset);
      return offset;
    };
    const ptr = (v: TypedView): number => {
      if (this.owns(v)) return v.byteOffset;
      const staged = temps.find((t) => t.view === v);
      if (staged !== undefined) return staged.offset;
      const offset = this.allocator.alloc(v.byteLength);
      temps.push({ view: v, offset });
      new Uint8Array(this.memory.buffer, offset, v.byteLength).set(
        new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
      );
      return offset;
    };
    try {
      const r = fn(ptr, temp);
      for (const t of temps) {
        if (!outputs.includes(t.view)) continue;
        new Uint8Array(t.view.buffer, t.view.byteOffset, t.view.byteLength).set(
          new Uint8Array(this.memory.buffer, t.offset, t.view.byteLength),
        );
      }
      return r;
    } finally {
      for (const t of temps) this.allocator.free(t.offset);
      for (const offset of scratch) this.allocator.free(offset);
    }
  }

  parallel(name: string, args: readonly number[], items: number, minPerThread = 1): void {
    const parts = threadParts(this.threads, items, minPerThread);
    if (parts <= 1) {
      this.kernel(name)(...args, 0, items);
      return;
    }
    this.runTasks(splitRange(items, parts).map(([b, e]) => ({ fn: name, args: [...args, b, e] })));
  }

  /** Runs task i on thread i (task 0 on the calling thread) and returns when all are done. */
  runTasks(tasks: readonly Task[]): void {
    if (this.closed) throw new Error("wasm engine: used after close()");
    if (tasks.length > this.threads)
      throw new RangeError(`runTasks: ${tasks.length} tasks for ${this.threads} threads`);
    // check every task before posting any, so a bad one never leaves a worker running unawaited
    const fns = tasks.map((t) => {
      const fn = this.exportIndex.get(t.fn);
      if (fn === undefined) throw new Error(`wasm engine: no kernel named ${t.fn}`);
      if (t.args.length > MAX_ARGS) throw new RangeError(`wasm engine: ${t.fn} has more than ${MAX_ARGS} args`);
      return fn;
    });
    for (let t = 1; t < tasks.length; t++) this.post(t - 1, fns[t]!, tasks[t]!.args);
    let error: unknown = null;
    try {
      const first = tasks[0];
      if (first !== undefined) this.kernel(first.fn)(...first.args);
    } catch (err) {
      error = err;
    }
    for (let t = 1; t < tasks.length; t++) {
      const slot = this.slots[t - 1]!;
      waitUntilEqual(slot.i32, 1, this.seq[t - 1]!, this.canBlock);
      if (Atomics.load(slot.i32, 4) !== 0) {
        Atomics.store(slot.i32, 4, 0);
        error ??= new Error(`wasm engine: kernel ${slot.readError()} (on worker thread ${t})`);
      }
    }
    if (error !== null) throw error;
  }

  private post(worker: number, fn: number, args: readonly number[]): void {
    const slot = this.slots[worker]!;
    slot.f64.set(args);
    Atomics.store(slot.i32, 2, fn);
    Atomics.store(slot.i32, 3, args.length);
    const s = ++this.seq[worker]!;
    Atomics.store(slot.i32, 0, s);
    Atomics.notify(slot.i32, 0);
  }

  private kernel(name: string): KernelFn {
    const f = this.exports[name];
    if (f === undefined) throw new Error(`wasm engine: no kernel named ${name}`);
    return f;
  }

  /** Byte offsets of per-thread scratch blocks of at least `bytes` each (kept and reused between calls). */
  scratchFor(bytes: number): number[] {
    if (this.scratch.length === 0 || this.scratch[0]!.bytes < bytes) {
      for (const s of this.scratch) this.allocator.free(s.offset);
      this.scratch = [];
      for (let t = 0; t < this.threads; t++) this.scratch.push({ offset: this.allocator.alloc(bytes), bytes });
    }
    return this.scratch.map((s) => s.offset);
  }

  /** Stops the workers; the engine cannot run kernels afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [w, slot] of this.slots.entries()) {
      if (w >= this.workers.length) break;
      Atomics.store(slot.i32, 2, EXIT_FN);
      Atomics.store(slot.i32, 0, ++this.seq[w]!);
      Atomics.notify(slot.i32, 0);
    }
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

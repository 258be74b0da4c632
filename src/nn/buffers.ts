/**
 * Engine-memory buffers with explicit lifetimes. A module keeps what backward needs in `Slot`s that are reused from
 * step to step (re-allocated only when the size changes), so a long training loop allocates nothing in steady state.
 * Short-lived buffers (a BN output consumed by the next pool, the gradients passed between layers) come from a
 * `BufferPool` and go back to it as soon as they are consumed, so the peak is one layer's temporaries, not all.
 */
import { engine } from "../engine/current.js";

type Kind = "f32" | "u8" | "i32" | "f64";
type ArrayOf<K extends Kind> = K extends "f32"
  ? Float32Array
  : K extends "u8"
    ? Uint8Array
    : K extends "i32"
      ? Int32Array
      : Float64Array;

function alloc<K extends Kind>(kind: K, n: number): ArrayOf<K> {
  const e = engine();
  const a =
    kind === "f32" ? e.allocF32(n) : kind === "u8" ? e.allocU8(n) : kind === "i32" ? e.allocI32(n) : e.allocF64(n);
  return a as ArrayOf<K>;
}

/** One persistent engine array, resized on demand; contents are not preserved across a resize. */
export class Slot<K extends Kind> {
  private arr: ArrayOf<K> | null = null;
  constructor(private readonly kind: K) {}

  /** An array of exactly n elements (the same one as last time when n did not change). */
  get(n: number): ArrayOf<K> {
    if (this.arr !== null && this.arr.length === n) return this.arr;
    this.free();
    this.arr = alloc(this.kind, n);
    return this.arr;
  }

  /**
   * An array of at least n elements, with half as much again in reserve when (re)allocated; never shrinks (spike
   * lists, whose length varies from batch to batch).
   */
  atLeast(n: number): ArrayOf<K> {
    if (this.arr !== null && this.arr.length >= n) return this.arr;
    const grown = Math.ceil(Math.max(n, this.arr?.length ?? 0) * 1.5);
    this.free();
    this.arr = alloc(this.kind, grown);
    return this.arr;
  }

  /**
   * An array of at least n elements whose first `keep` elements are the current array's (an array being filled
   * that ran out of room); with half as much again in reserve when re-allocated.
   */
  grow(n: number, keep: number): ArrayOf<K> {
    const old = this.arr;
    if (old !== null && old.length >= n) return old;
    const fresh = alloc(this.kind, Math.ceil(Math.max(n, old?.length ?? 0) * 1.5));
    // old and fresh are the same kind of typed array: one typed copy of the filled part
    if (old !== null) (fresh as Float64Array).set((old as Float64Array).subarray(0, keep));
    this.free();
    this.arr = fresh;
    return fresh;
  }

  /** The current array, or null when none. */
  peek(): ArrayOf<K> | null {
    return this.arr;
  }

  free(): void {
    if (this.arr !== null) engine().free(this.arr);
    this.arr = null;
  }
}

export const f32Slot = (): Slot<"f32"> => new Slot("f32");
export const u8Slot = (): Slot<"u8"> => new Slot("u8");
export const i32Slot = (): Slot<"i32"> => new Slot("i32");
export const f64Slot = (): Slot<"f64"> => new Slot("f64");

/**
 * Free lists of engine Float32Arrays by exact length. `acquire` gives an array with undefined contents (kernels
 * overwrite their outputs); `release` hands it back. `clear` returns everything to the engine.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();

  acquire(n: number): Float32Array {
    const list = this.free.get(n);
    const a = list?.pop();
    return a ?? engine().allocF32(n, "any"); // not zero-filled: its contents are undefined either way
  }

  release(a: Float32Array | null | undefined): void {
    if (a === null || a === undefined) return;
    let list = this.free.get(a.length);
    if (list === undefined) {
      list = [];
      this.free.set(a.length, list);
    }
    if (!list.includes(a)) list.push(a);
  }

  /** Returns the free arrays to the engine, so other sizes can use their bytes (the pool stays usable). */
  trim(): void {
    this.clear();
  }

  clear(): void {
    const e = engine();
    for (const list of this.free.values()) for (const a of list) e.free(a);
    this.free.clear();
  }
}

/** A pool shared by the modules of one model (each standalone module gets its own when none is given). */
export function newPool(): BufferPool {
  return new BufferPool();
}

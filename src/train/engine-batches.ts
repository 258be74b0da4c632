/**
 * Batches whose input lives in the engine's memory: the batcher writes the frames there (BatchOptions.alloc), so
 * the first layer's kernels read them in place instead of copying tens of MB into the engine every step. Each
 * batch's array goes back to the engine once its step is done.
 */
import type { Batch } from "../data/data-api.js";
import { engine } from "../engine/current.js";

export class EngineBatches {
  /** arrays handed out and not yet released (a data source may ignore `alloc` and return its own) */
  private readonly held = new Set<Float32Array>();

  /** set by releaseAll: a batch still loading then (the loop stopped early) gets a plain array, never freed */
  private closed = false;

  /** BatchOptions.alloc: an engine array the batcher overwrites in full (so it is not zero-filled). */
  readonly alloc = (n: number): Float32Array => {
    if (this.closed) return new Float32Array(n);
    const a = engine().allocF32(n, "any");
    this.held.add(a);
    return a;
  };

  /** Gives the batch's input back to the engine when it came from `alloc`. */
  release(batch: Batch): void {
    const a = batch.input.data;
    if (this.held.delete(a)) engine().free(a);
  }

  /** Gives back every array still held (batches loaded ahead when a loop stops early). */
  releaseAll(): void {
    this.closed = true;
    const e = engine();
    for (const a of this.held) e.free(a);
    this.held.clear();
  }
}

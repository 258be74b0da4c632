/**
 * Batches whose input lives in the engine's memory: the batcher writes the frames there (BatchOptions.alloc), and
 * their event list when it makes one (allocI32), so the first layer's kernels read them in place instead of
 * copying them into the engine every step. Each batch's arrays go back to the engine once its step is done.
 */
import type { Batch } from "../data/data-api.js";
import { engine } from "../engine/current.js";

export class EngineBatches {
  /** arrays handed out and not yet released (a data source may ignore `alloc` and return its own) */
  private readonly held = new Set<Float32Array | Int32Array>();

  /** set by releaseAll: a batch still loading then (the loop stopped early) gets a plain array, never freed */
  private closed = false;

  /** BatchOptions.alloc: an engine array the batcher overwrites in full (so it is not zero-filled). */
  readonly alloc = (n: number): Float32Array =>
    this.hold(
      () => engine().allocF32(n, "any"),
      () => new Float32Array(n),
    );

  /** BatchOptions.allocI32: an engine array for the batch's event list, written in full by the batcher. */
  readonly allocI32 = (n: number): Int32Array =>
    this.hold(
      () => engine().allocI32(n),
      () => new Int32Array(n),
    );

  /** An engine array, held until its batch is released; a plain one once the loop has stopped. */
  private hold<A extends Float32Array | Int32Array>(inEngine: () => A, plain: () => A): A {
    if (this.closed) return plain();
    const a = inEngine();
    this.held.add(a);
    return a;
  }

  /** Gives the batch's arrays back to the engine when they came from `alloc` / `allocI32`. */
  release(batch: Batch): void {
    const { data, events } = batch.input;
    for (const a of events ? [data, events.idx, events.offsets] : [data]) if (this.held.delete(a)) engine().free(a);
  }

  /** Gives back every array still held (batches loaded ahead when a loop stops early). */
  releaseAll(): void {
    this.closed = true;
    const e = engine();
    for (const a of this.held) e.free(a);
    this.held.clear();
  }
}

/**
 * A best-fit allocator with coalescing over a byte range of a growable memory (the engine's shared
 * WebAssembly.Memory). Blocks are 64-byte aligned (cache lines; SIMD loads never straddle one needlessly). Free
 * blocks are kept sorted by address, so freeing merges with both neighbours and a training loop that allocates and
 * frees the same sizes every step reuses the same bytes instead of growing memory.
 */

export const ALIGN = 64;
/** wasm32 addresses are 32-bit: 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 65536 * 65536;

export interface GrowableMemory {
  /** Current size in bytes. */
  size(): number;
  /** Grows to at least `bytes` (a multiple of 64 KiB); throws if the host refuses. */
  growTo(bytes: number): void;
}

interface Block {
  offset: number;
  size: number;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export class AllocatorError extends RangeError {
  override name = "AllocatorError";
}

export class WasmAllocator {
  /** Free blocks sorted by offset; the last one may end at `top`. */
  private readonly freeList: Block[] = [];
  /** Live allocations: offset -> size. */
  private readonly live = new Map<number, number>();
  /** End of the managed range (everything below is either live or in the free list). */
  private top: number;
  private inUse = 0;
  private peak = 0;

  constructor(
    private readonly memory: GrowableMemory,
    base: number,
    private readonly limit: number = WASM32_MAX_BYTES,
    /** What the limit is, for error messages. */
    private readonly limitName: string = limit === WASM32_MAX_BYTES ? "4 GiB (wasm32 addresses)" : `${limit} bytes`,
  ) {
    this.top = alignUp(base, ALIGN);
  }

  /** Returns the byte offset of a new block of at least `bytes` bytes (contents undefined). */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0)
      throw new AllocatorError(`alloc: byte count must be a non-negative integer, got ${bytes}`);
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    let offset = this.takeFree(size);
    if (offset < 0) offset = this.takeFromTop(size, bytes);
    this.live.set(offset, size);
    this.inUse += size;
    this.peak = Math.max(this.peak, this.inUse);
    return offset;
  }

  /** Releases the block at `offset`; returns its size. */
  free(offset: number): number {
    const size = this.live.get(offset);
    if (size === undefined) {
      throw new AllocatorError(
        `free: no live allocation at byte offset ${offset} (not from this engine, or already freed)`,
      );
    }
    this.live.delete(offset);
    this.inUse -= size;
    this.insertFree({ offset, size });
    return size;
  }

  /** Size of the live block at `offset`, or undefined. */
  sizeOf(offset: number): number | undefined {
    return this.live.get(offset);
  }

  bytesInUse(): number {
    return this.inUse;
  }

  peakBytes(): number {
    return this.peak;
  }

  /** Number of free blocks (fragmentation indicator for tests). */
  freeBlocks(): number {
    return this.freeList.length;
  }

  /**
   * Best fit (the smallest free block that holds `size`, lowest address among equals): a first fit cut the one hole
   * big enough for a later 1 GB buffer (Gesture B 32, T 60) into pieces, so the step ran out of wasm32 addresses
   * with 1.7 GB in use.
   */
  private takeFree(size: number): number {
    let best = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const b = this.freeList[i]!;
      if (b.size >= size && (best < 0 || b.size < this.freeList[best]!.size)) best = i;
    }
    if (best < 0) return -1;
    const b = this.freeList[best]!;
    const offset = b.offset;
    if (b.size === size) this.freeList.splice(best, 1);
    else {
      b.offset += size;
      b.size -= size;
    }
    return offset;
  }

  private takeFromTop(size: number, requested: number): number {
    // a free block that ends at top can be extended instead of leaving it stranded
    const last = this.freeList[this.freeList.length - 1];
    const start = last !== undefined && last.offset + last.size === this.top ? last.offset : this.top;
    const end = start + size;
    if (end > this.limit) {
      throw new AllocatorError(
        `cannot allocate ${requested} bytes: wasm memory is limited to ${this.limitName} ` +
          `(${this.inUse} bytes in use, ${this.limit - this.top} left at the top); ` +
          "use smaller batches or free unused arrays",
      );
    }
    if (end > this.memory.size()) {
      // grow by at least a quarter of the current size so that many small requests do not grow page by page
      const want = Math.min(this.limit, Math.max(alignUp(end, 65536), alignUp(this.memory.size() * 1.25, 65536)));
      try {
        this.memory.growTo(want);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        try {
          this.memory.growTo(alignUp(end, 65536));
        } catch {
          throw new AllocatorError(`cannot allocate ${requested} bytes: the host refused to grow wasm memory (${why})`);
        }
      }
    }
    if (start !== this.top) this.freeList.pop();
    this.top = end;
    return start;
  }

  private insertFree(block: Block): void {
    const list = this.freeList;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.offset < block.offset) lo = mid + 1;
      else hi = mid;
    }
    const prev = list[lo - 1];
    const next = list[lo];
    if (prev !== undefined && prev.offset + prev.size === block.offset) {
      prev.size += block.size;
      if (next !== undefined && prev.offset + prev.size === next.offset) {
        prev.size += next.size;
        list.splice(lo, 1);
      }
    } else if (next !== undefined && block.offset + block.size === next.offset) {
      next.offset = block.offset;
      next.size += block.size;
    } else {
      list.splice(lo, 0, block);
    }
  }
}

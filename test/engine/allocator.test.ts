// The allocator on a fake memory: alignment, reuse, coalescing, growth and the wasm32 limit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALIGN, WasmAllocator } from "../../src/engine/allocator.js";
import { Rng } from "../../src/util/rng.js";

function fakeMemory(initial: number): { size: () => number; growTo: (b: number) => void; grows: number } {
  let size = initial;
  const m = {
    grows: 0,
    size: () => size,
    growTo: (b: number) => {
      m.grows++;
      size = Math.max(size, b);
    },
  };
  return m;
}

test("blocks are aligned, disjoint, and freed blocks coalesce back into one", () => {
  const mem = fakeMemory(65536);
  const al = new WasmAllocator(mem, 1000);
  const rng = new Rng(5);
  const live: [number, number][] = [];
  for (let i = 0; i < 200; i++) {
    const bytes = 1 + rng.int(5000);
    const off = al.alloc(bytes);
    assert.equal(off % ALIGN, 0);
    assert.ok(off >= 1000);
    for (const [o, b] of live) assert.ok(off + bytes <= o || o + b <= off, "overlapping blocks");
    live.push([off, bytes]);
    if (rng.uniform() < 0.4) {
      const [o] = live.splice(rng.int(live.length), 1)[0]!;
      al.free(o);
    }
  }
  for (const [o] of live) al.free(o);
  assert.equal(al.bytesInUse(), 0);
  assert.equal(al.freeBlocks(), 1, "all free space merged into one block");
  const first = al.alloc(10);
  assert.equal(first, 1024, "the lowest address is reused first");
});

test("a repeated allocate/free pattern stops growing memory after the first round", () => {
  const mem = fakeMemory(65536);
  const al = new WasmAllocator(mem, 64);
  const sizes = [40000, 123, 8000, 300000, 7, 65536];
  const round = () => {
    const offs = sizes.map((s) => al.alloc(s));
    // free in a different order than allocated, as a training step does
    for (const i of [3, 0, 5, 1, 4, 2]) al.free(offs[i]!);
  };
  round();
  const grows = mem.grows;
  const size = mem.size();
  for (let i = 0; i < 100; i++) round();
  assert.equal(mem.grows, grows);
  assert.equal(mem.size(), size);
});

test("requests beyond the limit fail with a clear error and leave the allocator usable", () => {
  const mem = fakeMemory(65536);
  const al = new WasmAllocator(mem, 64, 1 << 20);
  const a = al.alloc(1000);
  assert.throws(() => al.alloc(2 << 20), /cannot allocate 2097152 bytes: wasm memory is limited to 1048576 bytes/);
  assert.throws(() => al.free(a + 64), /no live allocation at byte offset/);
  al.free(a);
  assert.throws(() => al.free(a), /already freed/);
  assert.throws(() => al.alloc(-1), /non-negative integer/);
  assert.ok(al.alloc(500000) >= 64);
});

test("best fit: a request takes the smallest hole that holds it, keeping the large hole whole", () => {
  const al = new WasmAllocator(fakeMemory(1 << 20), 0);
  const [a, b, c, d] = [4096, 512, 1024, 512].map((n) => al.alloc(n));
  al.free(a!); // a 4096-byte hole at the bottom
  al.free(c!); // a 1024-byte hole between b and d
  assert.equal(al.alloc(1000), c, "the 1024-byte hole, not the first one");
  assert.equal(al.alloc(4096), a, "the large hole is still whole");
  al.free(b!);
  al.free(d!);
});

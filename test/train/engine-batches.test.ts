import assert from "node:assert/strict";
import { test } from "node:test";
import { useEngine } from "../../src/engine/current.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { EngineBatches } from "../../src/train/engine-batches.js";

const batchOf = (data: Float32Array) => ({ input: { data, shape: [data.length] }, labels: new Int32Array(0) });

test("batch arrays come from engine memory and all go back: each after its step, the rest at once", async () => {
  const e = await createWasmEngine({ threads: 1 });
  useEngine(e);
  try {
    const batches = new EngineBatches();
    const base = e.bytesInUse();
    const a = batches.alloc(1000);
    const withA = e.bytesInUse();
    const b = batches.alloc(3000);
    const withAB = e.bytesInUse();
    assert.equal(a.length, 1000);
    assert.equal(b.length, 3000);
    assert.ok(withAB - base >= 4 * 4000);
    // in the engine's memory, where kernels read it in place
    assert.equal(a.buffer.byteLength, e.memoryBytes());
    batches.release(batchOf(a));
    assert.equal(e.bytesInUse(), withAB - (withA - base));
    // an array the data source made itself (it ignored alloc), or one released already: left alone
    batches.release(batchOf(new Float32Array(10)));
    batches.release(batchOf(a));
    assert.equal(e.bytesInUse(), withAB - (withA - base));
    batches.releaseAll();
    assert.equal(e.bytesInUse(), base);
    // a batch that was still loading when the loop stopped: a plain array, nothing left in the engine
    const late = batches.alloc(500);
    assert.notEqual(late.buffer.byteLength, e.memoryBytes());
    assert.equal(e.bytesInUse(), base);
  } finally {
    e.close();
  }
});

test("a batch's event list comes from engine memory too and goes back with its frames", async () => {
  const e = await createWasmEngine({ threads: 1 });
  useEngine(e);
  try {
    const batches = new EngineBatches();
    const base = e.bytesInUse();
    const data = batches.alloc(100);
    const idx = batches.allocI32(40);
    const offsets = batches.allocI32(11);
    assert.equal(idx.buffer.byteLength, e.memoryBytes());
    assert.ok(e.bytesInUse() - base >= 4 * 151);
    const events = { rows: 10, rowLen: 10, idx, offsets };
    batches.release({ input: { data, shape: [10, 1, 10], events }, labels: new Int32Array(0) });
    assert.equal(e.bytesInUse(), base);
    // a list still held when the loop stops goes back with releaseAll; afterwards lists are plain arrays
    batches.allocI32(64);
    batches.releaseAll();
    assert.equal(e.bytesInUse(), base);
    assert.notEqual(batches.allocI32(8).buffer.byteLength, e.memoryBytes());
  } finally {
    e.close();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { engine } from "../../src/engine/index.js";
import { f64Slot, i32Slot } from "../../src/nn/buffers.js";

test("slots: get keeps its array for the same size; grow keeps the first entries and reserves more; free gives all back", () => {
  const before = engine().bytesInUse();
  for (const slot of [i32Slot(), f64Slot()]) {
    const a = slot.get(4);
    assert.equal(slot.get(4), a);
    a.set([1, 2, 3, 4]);
    assert.equal(slot.grow(3, 4), a, "room enough: the same array");
    const b = slot.grow(10, 3);
    assert.ok(b.length >= 15, "half as much again in reserve");
    assert.deepEqual(Array.from(b.subarray(0, 3)), [1, 2, 3]);
    assert.equal(b[3], 0, "past `keep`: fresh zeros, not the old entry");
    assert.equal(slot.atLeast(12), b);
    slot.free();
    assert.equal(slot.peek(), null);
  }
  const d = f64Slot().get(2);
  d[0] = 0.1;
  assert.equal(d[0], 0.1, "float64 values stay exact");
  engine().free(d);
  assert.equal(engine().bytesInUse(), before);
});

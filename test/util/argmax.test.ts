import assert from "node:assert/strict";
import { test } from "node:test";
import { argmax, argmaxRows } from "../../src/util/argmax.js";
import { Rng } from "../../src/util/rng.js";

test("argmax: the first of equal maxima, within the given range; rows agree with a sort", () => {
  assert.equal(argmax([1, 3, 3, 2]), 1);
  assert.equal(argmax(new Float32Array([-2, -1, -1])), 1);
  assert.equal(argmax([9, 1, 4, 4, 0], 1, 3), 1, "relative to the offset, 9 outside the range");
  assert.equal(argmax([], 0, 0), 0);
  const rng = new Rng(3);
  const rows = 50;
  const cols = 7;
  const v = Float64Array.from({ length: rows * cols }, () => rng.int(4));
  const got = argmaxRows(v, rows, cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(v.subarray(r * cols, (r + 1) * cols));
    assert.equal(got[r], row.indexOf(Math.max(...row)), `row ${r}`);
  }
});

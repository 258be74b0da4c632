import assert from "node:assert/strict";
import { test } from "node:test";
import { engine, useEngine } from "../../src/engine/index.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { freeList, valueList } from "../../src/infer/value-list.js";
import { Rng } from "../../src/util/rng.js";

test("valueList: the wasm kernels equal the TS path (positions ascending, values beside), split over threads", async () => {
  const previous = engine();
  const e = await createWasmEngine({ threads: 2 });
  useEngine(e);
  try {
    const rng = new Rng(41);
    // odd row lengths hit the SIMD tails; the last case is large enough to split over both threads
    for (const [rows, rowLen, density] of [
      [3, 7, 0.5],
      [5, 2313, 0.05],
      [1, 4, 0],
      [300, 2312, 0.1],
    ] as const) {
      const x = e.allocF32(rows * rowLen);
      for (let i = 0; i < x.length; i++)
        if (rng.uniform() < density) x[i] = rng.uniform() < 0.8 ? 1 + rng.int(3) : -2.5;
      const lists = [valueList(x, rows, rowLen, true), valueList(x, rows, rowLen, false)];
      const [a, b] = lists.map((l) => ({
        offsets: Array.from(l.offsets),
        idx: Array.from(l.idx.subarray(0, l.offsets[rows]!)),
        values: Array.from(l.values!.subarray(0, l.offsets[rows]!)),
      }));
      assert.deepEqual(a, b, `${rows}x${rowLen} d=${density}`);
      // a direct re-computation of one row
      const r = rows - 1;
      const want = [];
      for (let i = 0; i < rowLen; i++) if (x[r * rowLen + i] !== 0) want.push(i);
      assert.deepEqual(b!.idx.slice(b!.offsets[r], b!.offsets[r + 1]), want);
      for (const l of lists) freeList(l);
      e.free(x);
    }
  } finally {
    useEngine(previous);
    e.close();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { useEngine, engine } from "../../src/engine/index.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { GapLif } from "../../src/infer/gap-lif.js";
import { Rng } from "../../src/util/rng.js";

test("wasm lifGapForward equals the TS GapLif over runs with gaps, both resets, odd sizes", async () => {
  const previous = engine();
  const e = await createWasmEngine({ threads: 2 });
  useEngine(e);
  try {
    const rng = new Rng(5);
    for (const [B, n, reset] of [
      [3, 37, "soft"],
      [1, 8, "hard"],
      [2, 129, "soft"],
    ] as const) {
      const T = 11;
      const p = { alpha: 0.3, vth: 0.3, reset };
      const wasm = new GapLif(B, n, { ...p, useWasm: true });
      const ts = new GapLif(B, n, { ...p, useWasm: false });
      // two calls, as a stream would make: frames 0..5 then 6..10, each with random frames skipped
      for (const [t0, t1] of [
        [0, 6],
        [6, T],
      ]) {
        const rows = Int32Array.from(
          Array.from({ length: (t1 - t0) * B }, (_, i) => t0 * B + i).filter(() => rng.uniform() < 0.6),
        );
        const cur = e.allocF32(Math.max(1, rows.length * n));
        for (let i = 0; i < rows.length * n; i++) cur[i] = rng.normal() * 0.4;
        const outs = [wasm, ts].map((g) => {
          const out = e.allocF32(Math.max(1, rows.length * n));
          const idx = e.allocI32(Math.max(1, rows.length * n));
          const offsets = new Int32Array(rows.length + 1);
          const count = g.run(rows, cur, out, idx, offsets);
          return { out: Array.from(out), idx: Array.from(idx.subarray(0, count)), offsets: Array.from(offsets) };
        });
        assert.deepEqual(outs[0], outs[1], `B ${B} n ${n} ${reset} frames ${t0}..${t1}`);
        assert.ok(outs[1]!.idx.length > 0, "some neurons must fire");
      }
    }
  } finally {
    useEngine(previous);
    e.close();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { useEngine, engine } from "../../src/engine/index.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { GapLif, type GapLifParams } from "../../src/infer/gap-lif.js";
import { Rng } from "../../src/util/rng.js";

test("wasm lifGapSteps equals the TS GapLif over runs with gaps, both resets, odd sizes, folded BN and row weights, split over threads", async () => {
  const previous = engine();
  const e = await createWasmEngine({ threads: 2 });
  useEngine(e);
  try {
    const rng = new Rng(5);
    // [B, n, reset, BN channels folded in (0: none)]
    for (const [B, n, reset, channels] of [
      [3, 37, "soft", 0],
      [1, 8, "hard", 8],
      [2, 129, "soft", 3],
      // large enough to split over both threads and over several neuron segments
      [2, 40005, "hard", 5],
    ] as const) {
      const T = 11;
      const p: GapLifParams = { alpha: 0.3, vth: 0.3, reset };
      if (channels > 0) {
        const scale = Float32Array.from({ length: channels }, () => 0.5 + rng.uniform());
        const shift = Float32Array.from({ length: channels }, () => rng.normal() * 0.1);
        p.batchNorm = { scale, shift, positions: n / channels };
      }
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
        // Razor weights d per kept row on every other call
        const weights = t0 === 0 ? null : Float32Array.from(rows, () => rng.uniform());
        const outs = [wasm, ts].map((g) => {
          const list = g.run(rows, cur, weights);
          const out = {
            idx: Array.from(list.idx.subarray(0, list.offsets[rows.length]!)),
            offsets: Array.from(list.offsets),
          };
          e.free(list.idx);
          return out;
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

/**
 * The spike condition is U >= Vth, as in the TA-SNN reference code (BICLab): a current that lands exactly on the
 * threshold fires at once. Checked on every path that decides a spike: the TS twin, the wasm LIF kernel (SIMD lanes
 * and scalar tail, 1 and 2 threads) and the gap LIF of pruned and streaming inference (wasm and TS). Vth = 0.25 is
 * exact in float32 and float64, so "exactly on the threshold" is exact everywhere.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freeList, type LifParams, type ResetMode } from "../../src/engine/api.js";
import { createReferenceEngine, engine, useEngine } from "../../src/engine/index.js";
import { createSpikeList, spikeReferenceKernels as ref } from "../../src/engine/reference-spike.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { GapLif } from "../../src/infer/gap-lif.js";
import { type KernelVariant, wasmVariants } from "./spike-harness.js";

const VTH = 0.25;
let variants: KernelVariant[] = [];
before(async () => {
  variants = await wasmVariants();
});
after(() => {
  for (const v of variants) v.close();
});

/** Expected spikes of a constant current c from a direct re-computation of the LIF equations. */
function expected(c: number, t: number, reset: ResetMode, alpha: number): number[] {
  const out: number[] = [];
  let h = 0;
  for (let s = 0; s < t; s++) {
    const u = Math.fround(h + c);
    const fired = u >= VTH ? 1 : 0;
    out.push(fired);
    h = Math.fround(alpha * (reset === "soft" ? (fired ? VTH : u) : fired ? 0 : u));
  }
  return out;
}

test("a current exactly at Vth fires on the first step, in the twin and the wasm kernel", () => {
  const t = 4;
  const n = 7; // 4 SIMD lanes and a scalar tail
  for (const reset of ["soft", "hard"] as ResetMode[]) {
    const p: LifParams = { t, n, alpha: 0.5, vth: VTH, surrogate: "rect", surrogateWidth: 0.5, reset };
    const cur = new Float32Array(t * n).fill(VTH);
    const want = expected(VTH, t, reset, 0.5);
    assert.equal(want[0], 1, "U = Vth fires");
    const s = new Uint8Array(t * n);
    const u = new Float32Array(t * n);
    ref.lifForward(cur, s, u, p, createSpikeList(t, n));
    for (let k = 0; k < t * n; k++)
      assert.equal(s[k], want[Math.floor(k / n)], `twin ${reset} step ${Math.floor(k / n)}`);
    for (const { label, k: kernels } of variants) {
      const s2 = new Uint8Array(t * n);
      kernels.lifForward(cur, s2, new Float32Array(t * n), p);
      assert.deepEqual(s2, s, `${label} ${reset}`);
    }
    // just below the threshold nothing fires on the first step
    const below = new Float32Array(t * n).fill(Math.fround(VTH - 2 ** -26));
    const s3 = new Uint8Array(t * n);
    ref.lifForward(below, s3, new Float32Array(t * n), p, createSpikeList(t, n));
    assert.equal(s3[0], 0);
  }
});

test("the gap LIF of pruned and streaming inference fires at exactly Vth too (wasm and reference engines)", async () => {
  const previous = engine();
  const wasm = await createWasmEngine({ threads: 1 });
  try {
    const B = 1;
    const n = 9;
    for (const e of [wasm, createReferenceEngine()]) {
      useEngine(e);
      for (const reset of ["soft", "hard"] as ResetMode[]) {
        const g = new GapLif(B, n, { alpha: 0.5, vth: VTH, reset });
        const rows = Int32Array.of(0);
        const cur = e.allocF32(n);
        cur.fill(VTH);
        const list = g.run(rows, cur, null);
        assert.equal(list.offsets[1]! - list.offsets[0]!, n, `${e.name} ${reset}: every neuron fires`);
        freeList(list, e);
        e.free(cur);
      }
    }
  } finally {
    useEngine(previous);
    wasm.close();
  }
});

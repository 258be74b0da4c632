/** The event-driven conv's splits over images or, for one image, over channels (taken when a call has enough work). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConvShape, convOutSize } from "../../src/engine/api.js";
import { spikeReferenceKernels as ref } from "../../src/engine/reference-spike.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";
import { listOf, randomF32, randomSpikes } from "./spike-harness.js";

test("conv2dSpikeForward split over images or channels equals the twin and the 1-thread engine, bit for bit", async () => {
  const one = await createWasmEngine({ threads: 1 });
  const two = await createWasmEngine({ threads: 2 });
  try {
    const rng = new Rng(31);
    // big enough that the 2-thread engine splits the images (≥ 2 × 500 000 units of work), odd image count
    for (const s of [
      { n: 7, cin: 16, h: 16, w: 16, cout: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
      { n: 5, cin: 8, h: 20, w: 18, cout: 30, kh: 3, kw: 5, strideH: 2, strideW: 1, padH: 1, padW: 2 },
      // one image: the 2-thread engine splits the output channels, each thread with its own tap buckets
      { n: 1, cin: 24, h: 20, w: 21, cout: 70, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    ] satisfies ConvShape[]) {
      const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
      const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
      const spikes = randomSpikes(rng, s.n * s.cin * s.h * s.w, 0.3);
      // one image without spikes: its output is the bias alone
      if (s.n > 2) spikes.fill(0, 2 * s.cin * s.h * s.w, 3 * s.cin * s.h * s.w);
      const list = listOf(spikes, s.n, s.cin * s.h * s.w);
      const work = list.offsets[s.n]! * s.kh * s.kw * s.cout;
      assert.ok(work > 1_000_000, "the call must be large enough to split");
      const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw);
      const b = randomF32(rng, s.cout);
      const want = new Float32Array(s.n * s.cout * ho * wo);
      ref.conv2dSpikeForward(list, w, b, want, s);
      for (const [label, e] of [
        ["1 thread", one],
        ["2 threads", two],
      ] as const) {
        const y = new Float32Array(want.length).fill(Number.NaN);
        e.conv2dSpikeForward(list, w, b, y, s);
        assert.deepEqual(y, want, `${label} ${JSON.stringify(s)}`);
      }
    }
  } finally {
    one.close();
    two.close();
  }
});

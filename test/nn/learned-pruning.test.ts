import assert from "node:assert/strict";
import { test } from "node:test";
import { KeepRateTarget, sampleKeepMask, straightThroughWeights } from "../../src/nn/learned-pruning.js";
import { Rng } from "../../src/util/rng.js";

test("keep-rate target: loss λ(mean d − ρ)² and its gradient match central differences", () => {
  const rng = new Rng(5);
  const target = new KeepRateTarget({ lambda: 1.5, rho: 0.3 });
  const d = Float64Array.from({ length: 7 }, () => rng.uniform());
  const lossAt = (v: Float64Array): number => {
    target.observe(Float32Array.from(v));
    return target.loss();
  };
  const mean = d.reduce((a, v) => a + v, 0) / d.length;
  assert.ok(Math.abs(lossAt(d) - 1.5 * (mean - 0.3) ** 2) < 1e-6);
  target.observe(Float32Array.from(d));
  const gd = new Float32Array(d.length).fill(0.25);
  target.addGradient(gd);
  const h = 1e-3;
  for (let r = 0; r < d.length; r++) {
    const up = Float64Array.from(d);
    const down = Float64Array.from(d);
    up[r]! += h;
    down[r]! -= h;
    const numeric = (lossAt(up) - lossAt(down)) / (2 * h);
    assert.ok(Math.abs(gd[r]! - 0.25 - numeric) < 1e-4, `frame ${r}: ${gd[r]! - 0.25} vs ${numeric}`);
  }
  target.observe(null);
  assert.equal(target.loss(), 0);
});

test("keep mask: Bernoulli(d) per frame; straight-through weights are the mask alone", () => {
  const rng = new Rng(6);
  assert.deepEqual(Array.from(sampleKeepMask(Float32Array.of(0, 1, 0, 1), rng)), [0, 1, 0, 1]);
  const n = 20000;
  const kept = sampleKeepMask(new Float32Array(n).fill(0.3), rng).reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(kept / n - 0.3) < 0.02, `keep rate ${kept / n}`);
  assert.deepEqual(Array.from(straightThroughWeights(Uint8Array.of(1, 0, 1), 3)), [1, 0, 1]);
  assert.deepEqual(Array.from(straightThroughWeights(null, 2)), [1, 1]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { type LossName, outputLoss } from "../../src/train/loss.js";
import { Rng } from "../../src/util/rng.js";

function finiteDifferenceCheck(name: LossName, t: number, b: number, k: number, seed: number): void {
  const rng = new Rng(seed);
  const out = Float32Array.from({ length: t * b * k }, () => rng.uniform());
  const labels = Int32Array.from({ length: b }, () => rng.int(k));
  const { grad } = outputLoss(name, out, t, b, k, labels);
  const h = 1e-2;
  for (let i = 0; i < out.length; i++) {
    const x = out[i]!;
    out[i] = x + h;
    const up = outputLoss(name, out, t, b, k, labels).loss;
    out[i] = x - h;
    const down = outputLoss(name, out, t, b, k, labels).loss;
    out[i] = x;
    const fd = (up - down) / (2 * h);
    assert.ok(Math.abs(fd - grad[i]!) < 1e-4 + 1e-3 * Math.abs(fd), `${name} [${i}] fd ${fd} vs ${grad[i]}`);
  }
}

test("rate-coding MSE and count cross-entropy gradients match finite differences (odd sizes, size 1)", () => {
  for (const name of ["mse", "ce"] as const) {
    finiteDifferenceCheck(name, 3, 2, 5, 1);
    finiteDifferenceCheck(name, 1, 1, 2, 2);
    finiteDifferenceCheck(name, 7, 3, 11, 3);
  }
});

test("rate-coding MSE equals PyTorch MSELoss(mean) on the time-averaged output", () => {
  // T = 2, B = 1, K = 3; rates (0.5, 1, 0), label 1: ((0.5)^2 + 0 + 0) / 3
  const out = Float32Array.of(1, 1, 0, 0, 1, 0);
  const r = outputLoss("mse", out, 2, 1, 3, Int32Array.of(1));
  assert.ok(Math.abs(r.loss - 0.25 / 3) < 1e-12);
  assert.deepEqual([...r.predictions], [1]);
  // cross-entropy on counts (1, 2, 0): log(e^1 + e^2 + e^0) - 2
  const ce = outputLoss("ce", out, 2, 1, 3, Int32Array.of(1));
  assert.ok(Math.abs(ce.loss - (Math.log(Math.E + Math.E ** 2 + 1) - 2)) < 1e-12);
});

test("a label outside the classes is a clear error", () => {
  assert.throws(
    () => outputLoss("mse", new Float32Array(6), 2, 1, 3, Int32Array.of(3)),
    /label 3 is outside .* 3 classes/,
  );
});

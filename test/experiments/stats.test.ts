import assert from "node:assert/strict";
import { test } from "node:test";
import { formatInterval, meanInterval, wilson } from "../../src/experiments/stats.js";

const close = (a: number, b: number, tol = 5e-4): void => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test("Wilson interval matches the textbook values", () => {
  // 80 of 100: [0.7112, 0.8666]; 95 of 1000: [0.0781, 0.1150]
  const a = wilson(0.8, 100);
  close(a.low, 0.7112);
  close(a.high, 0.8666);
  const b = wilson(0.095, 1000);
  close(b.low, 0.0781);
  close(b.high, 0.115);
  // never outside [0, 1], even at 0 % and 100 %
  assert.ok(wilson(1, 50).high <= 1 && wilson(1, 50).low < 1 && wilson(0, 50).low === 0);
  assert.equal(formatInterval(a), "80.0 % [71.1, 86.7]");
});

test("mean over seeds with a Student-t interval", () => {
  const m = meanInterval([0.9, 0.92, 0.94]);
  close(m.mean, 0.92, 1e-12);
  close(m.high - m.mean, 4.303 * (0.02 / Math.sqrt(3)), 1e-9);
  assert.deepEqual(meanInterval([0.5]), { mean: 0.5, low: 0.5, high: 0.5 });
  assert.throws(() => meanInterval([]), /no values/);
});

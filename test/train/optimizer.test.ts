import assert from "node:assert/strict";
import { test } from "node:test";
import "../../src/engine/index.js";
import type { Param } from "../../src/nn/module.js";
import { Adam } from "../../src/train/optimizer.js";
import { PlateauSchedule } from "../../src/train/schedule.js";

function param(name: string, values: number[], lrScale?: number): Param {
  return {
    name,
    value: Float32Array.from(values),
    grad: new Float32Array(values.length),
    shape: [values.length],
    lrScale,
  };
}

test("Adam: first steps follow PyTorch's update, lrScale multiplies the step", () => {
  const a = param("a", [1, -1]);
  const b = param("b", [1], 10);
  const opt = new Adam([a, b], { lr: 0.01 });
  a.grad.set([0.5, -2]);
  b.grad.set([3]);
  opt.update();
  // step 1: m̂ = g, v̂ = g², update = lr · g / (|g| + eps) ≈ lr · sign(g)
  assert.ok(Math.abs(a.value[0]! - (1 - 0.01)) < 1e-6);
  assert.ok(Math.abs(a.value[1]! - (-1 + 0.01)) < 1e-6);
  assert.ok(Math.abs(b.value[0]! - (1 - 0.1)) < 1e-6);
  // step 2 with g = (0.5, -2) again: still ≈ lr · sign(g); moments were kept
  opt.update();
  assert.ok(Math.abs(a.value[0]! - (1 - 0.02)) < 1e-6);
  const s = opt.exportState();
  assert.equal(s.step, 2);
  assert.ok(Math.abs(s.moments.get("a")!.m[0]! - (0.1 * 0.5 + 0.09 * 0.5)) < 1e-7);
  opt.dispose();
});

test("Adam state export/import continues identically", () => {
  const run = (split: boolean): number[] => {
    const p = param("p", [0.3, -0.7, 2]);
    let opt = new Adam([p], { lr: 0.05 });
    for (let i = 0; i < 6; i++) {
      if (split && i === 3) {
        const st = opt.exportState();
        opt = new Adam([p], { lr: 0.05 });
        opt.importState(st);
      }
      p.grad.set([Math.sin(i), Math.cos(i), 0.1 * i]);
      opt.update();
    }
    return [...p.value];
  };
  assert.deepEqual(run(true), run(false));
});

test("plateau schedule cuts ×0.1 after `patience` epochs without improvement", () => {
  const s = new PlateauSchedule(0.1, 2);
  let lr = 1;
  const losses = [1, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5];
  const lrs = losses.map((l) => (lr = s.step(l, lr)));
  // best 0.9 at epoch 2; bad epochs 3, 4, 5 -> cut after the third bad one (> patience)
  assert.deepEqual(
    lrs.map((x) => +x.toFixed(6)),
    [1, 1, 1, 1, 0.1, 0.1, 0.1],
  );
});

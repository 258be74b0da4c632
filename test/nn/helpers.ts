import assert from "node:assert/strict";
import "../../src/engine/index.js";
import { dot, gradCheck, randomProjection } from "../../src/nn/gradcheck.js";
import type { Context, Module, Seq } from "../../src/nn/module.js";
import { Rng } from "../../src/util/rng.js";

export function ctxOf(training = true, seed = 9): Context {
  return { training, rng: new Rng(seed) };
}

export function randomSeq(shape: number[], rng: Rng, fill: () => number = () => rng.normal()): Seq {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = fill();
  return { data, shape };
}

export interface CheckOptions {
  /** context factory: called for every forward (fresh random streams keep dropout masks fixed) */
  ctx?: () => Context;
  h?: number;
  samples?: number;
  atol?: number;
  rtol?: number;
  skipInput?: boolean;
  eligibleInput?: (i: number) => boolean;
}

/**
 * Checks a module's input and parameter gradients against central differences of L = Σ c·forward(x).
 * Returns the worst error ratio per checked array (<= 1 passes).
 */
export function checkModuleGradients(m: Module, x: Seq, rng: Rng, o: CheckOptions = {}): Record<string, number> {
  const ctx = o.ctx ?? (() => ctxOf(true));
  const y = m.forward(x, ctx());
  const c = randomProjection(y.data.length, rng);
  for (const p of m.parameters()) p.grad.fill(0);
  const gx = m.backward({ data: c, shape: y.shape }, ctx());
  const gInput = Float32Array.from(gx.data);
  const loss = () => dot(c, m.forward(x, ctx()).data);
  const results: Record<string, number> = {};
  const run = (name: string, values: Float32Array, analytic: Float32Array, eligible?: (i: number) => boolean) => {
    const r = gradCheck(
      {
        loss,
        values,
        analytic,
        rng,
        h: o.h ?? 1e-2,
        samples: o.samples ?? 10,
        ...(eligible !== undefined && { eligible }),
      },
      o.atol ?? 1e-3,
      o.rtol ?? 2e-2,
    );
    results[name] = r.worst;
    assert.ok(
      r.worst <= 1,
      `${name}: entry ${r.index} analytic ${r.analytic} vs numeric ${r.numeric} (ratio ${r.worst.toFixed(2)})`,
    );
  };
  if (!o.skipInput) run("input", x.data, gInput, o.eligibleInput);
  for (const p of m.parameters()) run(p.name, p.value, Float32Array.from(p.grad));
  return results;
}

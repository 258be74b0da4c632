/** The NIR runner's sparse (scatter) Conv1d/Conv2d and pooling against a slow gather twin on random shapes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type NirGraph, type NirNode, nirArray } from "../../src/nir/graph.js";
import { NirNetwork } from "../../src/nir/network.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function chain(inShape: number[], node: NirNode, outSize: number): NirGraph {
  return {
    nodes: {
      in: { type: "Input", params: { shape: nirArray(inShape, [inShape.length], "int64") } },
      op: node,
      out: { type: "Output", params: { shape: nirArray([outSize], [1], "int64") } },
    },
    edges: [
      ["in", "op"],
      ["op", "out"],
    ],
  };
}

/** Direct gather convolution (the textbook loop), 2-D; 1-D as H = 1. */
function convTwin(
  x: Float64Array,
  [, H, W]: number[],
  w: Float64Array,
  [O, Cg, kh, kw]: number[],
  bias: Float64Array,
  [sh, sw, ph, pw, dh, dw, groups]: number[],
): { out: Float64Array; OH: number; OW: number } {
  const OH = Math.floor((H! + 2 * ph! - dh! * (kh! - 1) - 1) / sh!) + 1;
  const OW = Math.floor((W! + 2 * pw! - dw! * (kw! - 1) - 1) / sw!) + 1;
  const out = new Float64Array(O! * OH * OW);
  const Og = O! / groups!;
  for (let o = 0; o < O!; o++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let s = bias[o]!;
        const g = Math.floor(o / Og);
        for (let c = 0; c < Cg!; c++)
          for (let ky = 0; ky < kh!; ky++)
            for (let kx = 0; kx < kw!; kx++) {
              const iy = oy * sh! - ph! + ky * dh!;
              const ix = ox * sw! - pw! + kx * dw!;
              if (iy < 0 || iy >= H! || ix < 0 || ix >= W!) continue;
              s += w[((o * Cg! + c) * kh! + ky) * kw! + kx]! * x[((g * Cg! + c) * H! + iy) * W! + ix]!;
            }
        out[(o * OH + oy) * OW + ox] = s;
      }
  return { out, OH, OW };
}

test("Conv2d and Conv1d (stride, padding, dilation, groups, bias) match the gather twin on sparse random input", () => {
  const r = rng(7);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (let trial = 0; trial < 40; trial++) {
    const dims = trial % 2 === 0 ? 2 : 1;
    const groups = int(1, 3);
    const Cg = int(1, 3);
    const Og = int(1, 3);
    const C = groups * Cg;
    const O = groups * Og;
    const kh = dims === 2 ? int(1, 4) : 1;
    const kw = int(1, 4);
    const [sh, sw] = dims === 2 ? [int(1, 3), int(1, 3)] : [1, int(1, 3)];
    const [ph, pw] = dims === 2 ? [int(0, 2), int(0, 2)] : [0, int(0, 2)];
    const [dh, dw] = dims === 2 ? [int(1, 2), int(1, 2)] : [1, int(1, 2)];
    const H = dims === 2 ? int(kh * dh, 9) : 1;
    const W = int(kw * dw, 9);
    const w = Float64Array.from({ length: O * Cg * kh * kw }, () => r() * 2 - 1);
    const bias = Float64Array.from({ length: O }, () => r() - 0.5);
    const x = Float64Array.from({ length: C * H * W }, () => (r() < 0.3 ? int(1, 3) : 0));
    const want = convTwin(x, [C, H, W], w, [O, Cg, kh, kw], bias, [sh, sw, ph, pw, dh, dw, groups]);
    const p = (v: number[]) => nirArray(v, [v.length], "int64");
    const node: NirNode = {
      type: dims === 2 ? "Conv2d" : "Conv1d",
      params: {
        weight: nirArray(w, dims === 2 ? [O, Cg, kh, kw] : [O, Cg, kw]),
        bias: nirArray(bias, [O]),
        stride: p(dims === 2 ? [sh, sw] : [sw]),
        padding: p(dims === 2 ? [ph, pw] : [pw]),
        dilation: p(dims === 2 ? [dh, dw] : [dw]),
        groups: nirArray([groups], [], "int64"),
      },
    };
    const inShape = dims === 2 ? [C, H, W] : [C, W];
    const net = new NirNetwork(chain(inShape, node, want.out.length), "conv");
    const got = net.step(x);
    assert.equal(got.length, want.out.length);
    for (let i = 0; i < got.length; i++)
      assert.ok(Math.abs(got[i]! - want.out[i]!) < 1e-12, `trial ${trial} [${i}]: ${got[i]} vs ${want.out[i]}`);
  }
});

test("SumPool2d and AvgPool2d sum (average) each window, padding counted as zeros", () => {
  const x = Float64Array.from({ length: 2 * 4 * 5 }, (_, i) => i);
  const params = {
    kernel_size: nirArray([2, 2], [2], "int64"),
    stride: nirArray([2, 2], [2], "int64"),
    padding: nirArray([0, 1], [2], "int64"),
  };
  const sum = new NirNetwork(chain([2, 4, 5], { type: "SumPool2d", params }, 2 * 2 * 3), "p").step(x);
  // channel 0, rows 0-1, cols -1..0 (pad) -> x[0] + x[5]
  assert.equal(sum[0], 0 + 5);
  // channel 1, rows 2-3, cols 3-4
  assert.equal(sum[2 * 3 + 1 * 3 + 2], 33 + 34 + 38 + 39);
  const avg = new NirNetwork(chain([2, 4, 5], { type: "AvgPool2d", params }, 12), "p").step(x);
  assert.deepEqual(
    Array.from(avg),
    Array.from(sum, (v) => v / 4),
  );
});

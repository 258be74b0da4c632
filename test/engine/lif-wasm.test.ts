import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LifParams, ResetMode, Surrogate } from "../../src/engine/api.js";
import { createSpikeList, freeSpikeList, spikeReferenceKernels as ref } from "../../src/engine/reference-spike.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, type KernelVariant, wasmVariants } from "./spike-harness.js";

let variants: KernelVariant[] = [];

before(async () => {
  variants = await wasmVariants();
});
after(() => {
  for (const v of variants) v.close();
});

/** Currents giving roughly the wanted firing rate: none, rare, about half, every step. */
function currents(rng: Rng, count: number, rate: number): Float32Array {
  const c = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (rate === 0) c[i] = -rng.uniform();
    else if (rate === 1) c[i] = 0.31 + rng.uniform();
    else if (rate < 0.1) c[i] = rng.normal() * 0.1;
    else c[i] = 0.3 + rng.normal() * 0.3;
  }
  return c;
}

const shapes = [
  [1, 1, 1],
  [3, 5, 5],
  [4, 21, 7],
  [6, 64, 16],
  [5, 2 * 37, 37],
  [2, 300, 100],
] as const;

test("wasm lifForward equals the twin bit for bit, with and without the spike list", () => {
  const rng = new Rng(31);
  for (const reset of ["soft", "hard"] as ResetMode[]) {
    for (const [t, n, rowLen] of shapes) {
      for (const rate of [0, 0.01, 0.5, 1]) {
        const p: LifParams = { t, n, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset };
        const cur = currents(rng, t * n, rate);
        const spikes = new Uint8Array(t * n);
        const u = new Float32Array(t * n);
        const list = createSpikeList((t * n) / rowLen, rowLen);
        ref.lifForward(cur, spikes, u, p, list);
        for (const { label, k } of variants) {
          const s2 = new Uint8Array(t * n).fill(7);
          const u2 = new Float32Array(t * n).fill(Number.NaN);
          const l2 = createSpikeList(list.rows, rowLen);
          l2.idx.fill(-1);
          k.lifForward(cur, s2, u2, p, l2);
          const what = `${label} ${reset} t=${t} n=${n} rate=${rate}`;
          assert.deepEqual(s2, spikes, what);
          assert.deepEqual(u2, u, what);
          assert.deepEqual(l2.offsets, list.offsets, what);
          const total = list.offsets[list.rows]!;
          assert.deepEqual(l2.idx.subarray(0, total), list.idx.subarray(0, total), what);
          const s3 = new Uint8Array(t * n);
          const u3 = new Float32Array(t * n);
          k.lifForward(cur, s3, u3, p);
          assert.deepEqual(s3, spikes, `${what} without list`);
          assert.deepEqual(u3, u, `${what} without list`);
        }
      }
    }
  }
});

test("wasm lifBackward matches the twin for every surrogate and reset, and is split-independent", () => {
  const rng = new Rng(32);
  for (const surrogate of ["rect", "sigmoid", "atan"] as Surrogate[]) {
    for (const reset of ["soft", "hard"] as ResetMode[]) {
      for (const [t, n] of shapes) {
        const p: LifParams = { t, n, alpha: 0.3, vth: 0.3, surrogate, surrogateWidth: 0.5, reset };
        const cur = currents(rng, t * n, 0.5);
        const spikes = new Uint8Array(t * n);
        const u = new Float32Array(t * n);
        ref.lifForward(cur, spikes, u, p);
        const g = Float32Array.from({ length: t * n }, () => rng.normal());
        const want = new Float32Array(t * n);
        ref.lifBackward(g, u, spikes, want, p);
        const got: Float32Array[] = [];
        for (const { label, k } of variants) {
          const gc = new Float32Array(t * n).fill(Number.NaN);
          k.lifBackward(g, u, spikes, gc, p);
          assertClose(gc, want, 1e-5, 1e-4, `${label} ${surrogate}/${reset} t=${t} n=${n}`);
          got.push(gc);
        }
        for (const g of got) assert.deepEqual(g, got[0], "bit-identical for any split");
      }
    }
  }
});

test("lifForward fills a spike list that lives in engine memory, in place; repeated calls do not grow memory", async () => {
  const e = await createWasmEngine({ threads: 2, alwaysSplit: true });
  try {
    const rng = new Rng(33);
    const p: LifParams = {
      t: 4,
      n: 3 * 50,
      alpha: 0.3,
      vth: 0.3,
      surrogate: "rect",
      surrogateWidth: 0.5,
      reset: "hard",
    };
    const before = e.bytesInUse();
    const cur = e.allocF32(p.t * p.n);
    cur.set(currents(rng, p.t * p.n, 0.5));
    const spikes = e.allocU8(p.t * p.n);
    const u = e.allocF32(p.t * p.n);
    const list = createSpikeList(p.t * 3, 50, e);
    const want = createSpikeList(p.t * 3, 50);
    ref.lifForward(cur, new Uint8Array(p.t * p.n), new Float32Array(p.t * p.n), p, want);
    e.lifForward(cur, spikes, u, p, list);
    const peak = e.bytesInUse();
    for (let i = 0; i < 20; i++) e.lifForward(cur, spikes, u, p, list);
    assert.equal(e.bytesInUse(), peak, "no memory left behind by repeated calls");
    assert.deepEqual(list.offsets, want.offsets);
    const total = want.offsets[want.rows]!;
    assert.deepEqual(list.idx.subarray(0, total), want.idx.subarray(0, total));
    for (const a of [cur, spikes, u]) e.free(a);
    freeSpikeList(list, e);
    assert.equal(e.bytesInUse(), before);
  } finally {
    e.close();
  }
});

test("lifForward fills a list whose idx only holds the spikes (second pass), and says when it is too small", () => {
  const rng = new Rng(34);
  const p: LifParams = { t: 5, n: 4 * 37, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" };
  const cur = currents(rng, p.t * p.n, 0.5);
  const want = createSpikeList(p.t * 4, 37);
  ref.lifForward(cur, new Uint8Array(p.t * p.n), new Float32Array(p.t * p.n), p, want);
  const total = want.offsets[want.rows]!;
  assert.ok(total > 0 && total < p.t * p.n);
  for (const { label, k } of [...variants, { label: "twin", k: ref }]) {
    const exact = { rows: want.rows, rowLen: 37, idx: new Int32Array(total), offsets: new Int32Array(want.rows + 1) };
    const spikes = new Uint8Array(p.t * p.n);
    k.lifForward(cur, spikes, new Float32Array(p.t * p.n), p, exact);
    assert.deepEqual(exact.offsets, want.offsets, label);
    assert.deepEqual(exact.idx, want.idx.subarray(0, total), label);
    const short = { ...exact, idx: new Int32Array(total - 1) };
    assert.throws(() => k.lifForward(cur, spikes, new Float32Array(p.t * p.n), p, short), /too small/, label);
  }
});

// lifGapSteps, spikeList and valueList: the wasm engine against the reference engine on random shapes (split over
// threads), and the reference gap LIF against a direct re-computation with the dense LIF on zero-current frames.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Engine, freeList, type GapLifStepParams, type LifParams, type SpikeList } from "../../src/engine/api.js";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { createSpikeList } from "../../src/engine/reference-spike.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";

function plain(list: SpikeList): { offsets: number[]; idx: number[]; values?: number[] } {
  const total = list.offsets[list.rows]!;
  const out: { offsets: number[]; idx: number[]; values?: number[] } = {
    offsets: Array.from(list.offsets),
    idx: Array.from(list.idx.subarray(0, total)),
  };
  if (list.values) out.values = Array.from(list.values.subarray(0, total));
  return out;
}

/** Random kept rows of T frames × B samples, as (sample, gap) pairs and their rows r = t·B + b. */
function keptRows(rng: Rng, B: number, t0: number, t1: number, lastT: Int32Array, keep: number) {
  const rows: number[] = [];
  for (let r = t0 * B; r < t1 * B; r++) if (rng.uniform() < keep) rows.push(r);
  const sample = new Int32Array(rows.length);
  const gap = new Int32Array(rows.length);
  rows.forEach((r, k) => {
    const b = r % B;
    const t = (r - b) / B;
    sample[k] = b;
    gap[k] = lastT[b]! < 0 ? -1 : t - lastT[b]! - 1;
    lastT[b] = t;
  });
  return { rows: Int32Array.from(rows), sample, gap };
}

test("lifGapSteps: wasm equals the reference twin over runs with gaps, both resets, odd sizes, folded BN and row weights, split over threads", async () => {
  const wasm = await createWasmEngine({ threads: 2 });
  const ref = createReferenceEngine();
  try {
    const rng = new Rng(5);
    for (const [B, n, reset, affine] of [
      [3, 37, "soft", false],
      [1, 8, "hard", true],
      [2, 129, "soft", true],
      // large enough to split over both threads and over several neuron segments
      [2, 40005, "hard", true],
    ] as const) {
      const scale = affine ? Float32Array.from({ length: n }, () => 0.5 + rng.uniform()) : null;
      const shift = affine ? Float32Array.from({ length: n }, () => rng.normal() * 0.1) : null;
      const u = [wasm.allocF32(B * n), new Float32Array(B * n)];
      const lastT = new Int32Array(B).fill(-1);
      let fired = 0;
      // two calls, as a stream would make them: frames 0..5 then 6..10
      for (const [t0, t1] of [
        [0, 6],
        [6, 11],
      ] as const) {
        const { rows, sample, gap } = keptRows(rng, B, t0, t1, lastT, 0.6);
        const cur = Float32Array.from({ length: rows.length * n }, () => rng.normal() * 0.4);
        const rowWeights = t0 === 0 ? null : Float32Array.from(rows, () => rng.uniform());
        const p: GapLifStepParams = { n, alpha: 0.3, vth: 0.3, reset, scale, shift, rowWeights };
        const spikes = [new Uint8Array(rows.length * n), new Uint8Array(rows.length * n)];
        wasm.lifGapSteps(cur, u[0]!, sample, gap, spikes[0]!, p);
        ref.lifGapSteps(cur, u[1]!, sample, gap, spikes[1]!, p);
        const what = `B ${B} n ${n} ${reset} frames ${t0}..${t1}`;
        assert.deepEqual(spikes[0], spikes[1], `${what}: spikes`);
        assert.deepEqual(Array.from(u[0]!), Array.from(u[1]!), `${what}: membrane`);
        fired += spikes[1]!.reduce((a, v) => a + v, 0);
      }
      assert.ok(fired > 0, "some neurons must fire");
      wasm.free(u[0]!);
    }
  } finally {
    wasm.close();
  }
});

test("lifGapSteps (reference) equals the dense LIF scan with zero current on the skipped frames", () => {
  const e = createReferenceEngine();
  const rng = new Rng(17);
  for (const reset of ["soft", "hard"] as const) {
    const [B, n, T] = [3, 23, 9];
    const lif: LifParams = { t: T, n: B * n, alpha: 0.6, vth: 0.5, surrogate: "rect", surrogateWidth: 1, reset };
    const { rows, sample, gap } = keptRows(rng, B, 0, T, new Int32Array(B).fill(-1), 0.5);
    const cur = Float32Array.from({ length: rows.length * n }, () => rng.normal() * 0.7);
    // the dense input: kept frames carry their current, skipped frames zero
    const dense = new Float32Array(T * B * n);
    rows.forEach((r, k) => {
      dense.set(cur.subarray(k * n, (k + 1) * n), r * n);
    });
    const denseSpikes = new Uint8Array(T * B * n);
    e.lifForward(dense, denseSpikes, new Float32Array(T * B * n), lif, createSpikeList(T, B * n));
    const spikes = new Uint8Array(rows.length * n);
    const p: GapLifStepParams = {
      n,
      alpha: lif.alpha,
      vth: lif.vth,
      reset,
      scale: null,
      shift: null,
      rowWeights: null,
    };
    e.lifGapSteps(cur, new Float32Array(B * n), sample, gap, spikes, p);
    rows.forEach((r, k) => {
      assert.deepEqual(
        spikes.subarray(k * n, (k + 1) * n),
        denseSpikes.subarray(r * n, (r + 1) * n),
        `${reset} row ${r}`,
      );
    });
  }
});

test("lifGapSteps refuses a sample outside u and a gap below -1, naming the field", () => {
  const e = createReferenceEngine();
  const p: GapLifStepParams = { n: 2, alpha: 0.5, vth: 1, reset: "soft", scale: null, shift: null, rowWeights: null };
  const call = (sample: number, gap: number) =>
    e.lifGapSteps(
      new Float32Array(2),
      new Float32Array(2),
      Int32Array.of(sample),
      Int32Array.of(gap),
      new Uint8Array(2),
      p,
    );
  assert.throws(() => call(1, -1), /lifGapSteps: sample\[0\] = 1 outside the 1 samples/);
  assert.throws(() => call(0, -2), /lifGapSteps: gap\[0\] = -2/);
});

test("spikeList and valueList: wasm equals the reference (positions ascending, values beside, exact sizes), split over threads", async () => {
  const wasm = await createWasmEngine({ threads: 2 });
  const ref = createReferenceEngine();
  try {
    const rng = new Rng(41);
    // odd row lengths hit the SIMD tails; the last case is large enough to split over both threads
    for (const [rows, rowLen, density] of [
      [3, 7, 0.5],
      [5, 2313, 0.05],
      [1, 4, 0],
      [300, 2312, 0.1],
    ] as const) {
      const x = new Float32Array(rows * rowLen);
      for (let i = 0; i < x.length; i++)
        if (rng.uniform() < density) x[i] = rng.uniform() < 0.8 ? 1 + rng.int(3) : -2.5;
      const spikes = Uint8Array.from(x, (v) => (v !== 0 ? 1 : 0));
      const made = (e: Engine) => [e.valueList(x, rows, rowLen), e.spikeList(spikes, rows, rowLen)] as const;
      const [wv, ws] = made(wasm);
      const [rv, rs] = made(ref);
      const what = `${rows}x${rowLen} d=${density}`;
      assert.deepEqual(plain(wv), plain(rv), `${what}: valueList`);
      assert.deepEqual(plain(ws), plain(rs), `${what}: spikeList`);
      // exact sizes, and a direct re-computation of the last row
      const total = rs.offsets[rows]!;
      assert.equal(ws.idx.length, Math.max(1, total));
      const r = rows - 1;
      const want = [];
      for (let i = 0; i < rowLen; i++) if (x[r * rowLen + i] !== 0) want.push(i);
      assert.deepEqual(Array.from(rs.idx.subarray(rs.offsets[r], rs.offsets[r + 1])), want);
      for (const l of [wv, ws]) freeList(l, wasm);
      for (const l of [rv, rs]) freeList(l, ref);
    }
    assert.equal(ref.bytesInUse(), 0, "freeList releases every array of the lists");
  } finally {
    wasm.close();
  }
});

test("eventIndices: wasm equals the reference (each event listed once, counts > 1 repeated), split over threads; bad counts and too many events refused", async () => {
  const ref = createReferenceEngine();
  const rng = new Rng(41);
  const engines = [await createWasmEngine({ threads: 1 }), await createWasmEngine({ threads: 2, alwaysSplit: true })];
  try {
    for (const [rows, rowLen] of [
      [1, 1],
      [3, 7],
      [9, 34],
      [40, 130],
    ] as const) {
      for (const density of [0, 0.05, 0.6]) {
        const x = new Float32Array(rows * rowLen);
        for (let i = 0; i < x.length; i++)
          if (rng.uniform() < density) x[i] = 1 + (rng.uniform() < 0.3 ? rng.int(4) : 0);
        if (x.length > 3) x[2] = -0; // a negative zero is no event
        const events = x.reduce((a, v) => a + v, 0);
        const tag = `${rows}x${rowLen} d=${density}`;
        const roomy = (e?: Engine): SpikeList => ({
          rows,
          rowLen,
          idx: e ? e.allocI32(x.length * 5) : new Int32Array(x.length * 5),
          offsets: new Int32Array(rows + 1),
        });
        const want = roomy();
        assert.equal(ref.eventIndices(x, want, x.length * 5), true, tag);
        assert.equal(want.offsets[rows], events, tag);
        for (const e of engines) {
          const got = roomy(e);
          assert.equal(e.eventIndices(x, got, x.length * 5), true, `t${e.threads} ${tag}`);
          assert.deepEqual(plain(got), plain(want), `t${e.threads} ${tag}`);
          // exactly at the limit still fits; one event fewer allowed is refused
          assert.equal(e.eventIndices(x, got, events), true);
          if (events > 0) assert.equal(e.eventIndices(x, got, events - 1), false, `t${e.threads} ${tag} limit`);
          for (const bad of [0.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
            const y = x.slice();
            y[y.length - 1] = bad;
            assert.equal(ref.eventIndices(y, want, y.length * 5), false, `ref ${bad}`);
            assert.equal(e.eventIndices(y, got, y.length * 5), false, `t${e.threads} ${tag} value ${bad}`);
          }
        }
      }
    }
    const [e] = engines;
    assert.throws(() => e!.eventIndices(new Float32Array(4), createSpikeList(2, 2), 5), /list.idx has 4 entries/);
    assert.throws(() => ref.eventIndices(new Float32Array(3), createSpikeList(2, 2), 1), /the input has 3 entries/);
  } finally {
    for (const e of engines) e.close();
  }
});

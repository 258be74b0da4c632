/**
 * `npm run bench spike`: event-driven vs dense linear and conv at 1, 5, 20, 50 % input density (forward and weight
 * gradient), and fused LIF throughput. The dense baseline is the wasm engine's GEMM / conv2d in the same run, on
 * the same thread count; each pair is warmed up for >= 0.4 s and then timed interleaved (median of the rounds).
 */
import type { ConvShape, Kernels, LifParams, SpikeList } from "../../src/engine/api.js";
import { convOutSize } from "../../src/engine/api.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import type { SpikeKernelName } from "../../src/engine/reference-spike.js";
import { Rng } from "../../src/util/rng.js";
import type { BenchRow, Suite } from "../run.js";
import { median, minimum, timeInterleaved } from "../timing.js";

type SpikeKernels = Pick<Kernels, SpikeKernelName>;

/** What the suite runs on: the wasm engine at a thread count, with inputs allocated in its memory. */
interface Backend {
  label: string;
  spike: SpikeKernels;
  dense: Pick<Kernels, "gemm" | "conv2dForward" | "conv2dBackwardWeight">;
  f32(n: number): Float32Array;
  i32(n: number): Int32Array;
  u8(n: number): Uint8Array;
  close(): void;
}

async function backend(threads: number): Promise<Backend> {
  const e = await createWasmEngine({ threads });
  return {
    label: `wasm ${threads}t`,
    spike: e,
    dense: e,
    f32: (n) => e.allocF32(n),
    i32: (n) => e.allocI32(n),
    u8: (n) => e.allocU8(n),
    close: () => e.close(),
  };
}

interface Timing {
  median: number;
  min: number;
}

/** Warms every candidate for >= warmSec together, then times `rounds` interleaved rounds (ms). */
function race(candidates: (() => void)[], warmSec: number, rounds: number): Timing[] {
  const t = timeInterleaved(candidates, { warmupMs: warmSec * 1000, rounds });
  return t.wall.map((w) => ({ median: median(w), min: minimum(w) }));
}

function fillSpikes(rng: Rng, b: Backend, rows: number, rowLen: number, density: number) {
  const dense = b.f32(rows * rowLen);
  const bytes = b.u8(rows * rowLen);
  for (let i = 0; i < bytes.length; i++) {
    const on = rng.uniform() < density;
    bytes[i] = on ? 1 : 0;
    dense[i] = on ? 1 : 0;
  }
  const list: SpikeList = { rows, rowLen, idx: b.i32(rows * rowLen), offsets: b.i32(rows + 1) };
  b.spike.spikeIndices(bytes, list);
  return { dense, list };
}

function randomInto(rng: Rng, a: Float32Array, scale: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * scale;
  return a;
}

const densities = [0.01, 0.05, 0.2, 0.5];

/** Median times and their ratio, plus the ratio of the best times (less hurt by other load on a shared machine). */
function ratioCells(event: Timing, dense: Timing): BenchRow {
  return {
    event_ms: +event.median.toFixed(3),
    dense_ms: +dense.median.toFixed(3),
    speedup: +(dense.median / event.median).toFixed(2),
    speedup_best: +(dense.min / event.min).toFixed(2),
  };
}

function linearRows(b: Backend, rng: Rng, rows: number, inF: number, out: number, warm: number, rounds: number) {
  const result: BenchRow[] = [];
  const w = randomInto(rng, b.f32(out * inF), 0.05);
  const bias = randomInto(rng, b.f32(out), 0.05);
  const y = b.f32(rows * out);
  const gy = randomInto(rng, b.f32(rows * out), 1);
  const gw = b.f32(out * inF);
  for (const density of densities) {
    const { dense, list } = fillSpikes(rng, b, rows, inF, density);
    const shape = `${rows}x${inF}->${out}`;
    const d = b.dense;
    const f = race(
      [
        () => b.spike.linearSpikeForward(list, w, bias, y, out),
        () => d.gemm(false, true, rows, out, inF, 1, dense, w, 0, y),
      ],
      warm,
      rounds,
    );
    result.push({ backend: b.label, kernel: "linear fwd", shape, density, ...ratioCells(f[0]!, f[1]!) });
    const g = race(
      [
        () => b.spike.linearSpikeWeightGrad(list, gy, gw, out),
        () => d.gemm(true, false, out, inF, rows, 1, gy, dense, 1, gw),
      ],
      warm,
      rounds,
    );
    result.push({ backend: b.label, kernel: "linear wgrad", shape, density, ...ratioCells(g[0]!, g[1]!) });
  }
  return result;
}

function convRows(b: Backend, rng: Rng, s: ConvShape, warm: number, rounds: number) {
  const result: BenchRow[] = [];
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  const w = randomInto(rng, b.f32(s.cout * s.cin * s.kh * s.kw), 0.05);
  const bias = randomInto(rng, b.f32(s.cout), 0.05);
  const y = b.f32(s.n * s.cout * ho * wo);
  const gy = randomInto(rng, b.f32(y.length), 1);
  const gw = b.f32(w.length);
  const shape = `n${s.n} ${s.cin}->${s.cout} ${s.kh}x${s.kw} on ${s.h}x${s.w}`;
  for (const density of densities) {
    const { dense, list } = fillSpikes(rng, b, s.n, s.cin * s.h * s.w, density);
    const d = b.dense;
    const f = race(
      [() => b.spike.conv2dSpikeForward(list, w, bias, y, s), () => d.conv2dForward(dense, w, bias, y, s)],
      warm,
      rounds,
    );
    result.push({ backend: b.label, kernel: "conv fwd", shape, density, ...ratioCells(f[0]!, f[1]!) });
    const g = race(
      [() => b.spike.conv2dSpikeWeightGrad(list, gy, gw, s), () => d.conv2dBackwardWeight(dense, gy, gw, null, s)],
      warm,
      rounds,
    );
    result.push({ backend: b.label, kernel: "conv wgrad", shape, density, ...ratioCells(g[0]!, g[1]!) });
  }
  return result;
}

/** Fused LIF forward (with spike list) and backward over [t, n]: time and neuron-steps per second. */
function lifRows(b: Backend, rng: Rng, t: number, n: number, rowLen: number, warm: number, rounds: number) {
  const p: LifParams = { t, n, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" };
  const cur = b.f32(t * n);
  for (let i = 0; i < cur.length; i++) cur[i] = 0.3 * rng.normal();
  const spikes = b.u8(t * n);
  const u = b.f32(t * n);
  const g = randomInto(rng, b.f32(t * n), 1);
  const gc = b.f32(t * n);
  const list: SpikeList = { rows: (t * n) / rowLen, rowLen, idx: b.i32(t * n), offsets: b.i32((t * n) / rowLen + 1) };
  const [fwd, bwdRect] = race(
    [() => b.spike.lifForward(cur, spikes, u, p, list), () => b.spike.lifBackward(g, u, spikes, gc, p)],
    warm,
    rounds,
  );
  const [bwdSig] = race([() => b.spike.lifBackward(g, u, spikes, gc, { ...p, surrogate: "sigmoid" })], warm, rounds);
  const rate = list.offsets[list.rows]! / (t * n);
  const row = (kernel: string, ms: Timing): BenchRow => ({
    backend: b.label,
    kernel,
    shape: `t${t} n${n}`,
    density: +rate.toFixed(3),
    event_ms: +ms.median.toFixed(3),
    gsteps_per_s: +((t * n) / ms.median / 1e6).toFixed(3),
    gsteps_per_s_best: +((t * n) / ms.min / 1e6).toFixed(3),
  });
  return [row("lif fwd+list", fwd!), row("lif bwd rect", bwdRect!), row("lif bwd sigmoid", bwdSig!)];
}

export const suite: Suite = async ({ quick }) => {
  const warm = quick ? 0.1 : 0.4;
  const rounds = quick ? 3 : 7;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const threads of [1, 2]) {
    const b = await backend(threads);
    const rng = new Rng(1234);
    try {
      rows.push(...linearRows(b, rng, 6400, 700, 128, warm, rounds));
      rows.push(...linearRows(b, rng, 6400, 2048, 256, warm, rounds));
      const conv = { kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
      rows.push(...convRows(b, rng, { n: 32, cin: 64, h: 16, w: 16, cout: 128, ...conv }, warm, rounds));
      rows.push(...convRows(b, rng, { n: 32, cin: 2, h: 32, w: 32, cout: 64, ...conv }, warm, rounds));
      rows.push(...lifRows(b, rng, 100, 64 * 128, 128, warm, rounds));
    } finally {
      b.close();
    }
  }
  const at5 = rows.filter((r) => r.kernel === "linear fwd" && r.density === 0.05);
  for (const r of at5)
    notes.push(
      `${r.backend} linear fwd ${r.shape} at 5 %: ${r.speedup}x (best ${r.speedup_best}x) vs dense GEMM (target >= 5x)`,
    );
  notes.push("speedup = dense_ms / event_ms (medians of interleaved rounds, same run); speedup_best = ratio of minima");
  return { rows, notes };
};

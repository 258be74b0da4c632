/**
 * `npm run bench spike`: event-driven vs dense linear and conv at 1, 5, 20, 50 % input density (forward and weight
 * gradient), and fused LIF throughput, on the wasm engine at 1 and 2 threads. The dense baseline is the engine's
 * GEMM / conv2d in the same run on the same thread count. Both engines get the same inputs; each call is warmed up
 * for >= 0.4 s and then timed interleaved with its baseline and with both on the other thread count (median of the
 * rounds), so each 2-thread row also gives the 1 → 2 thread speed-up of the event-driven kernel and of the dense
 * one. A control (two integer loops side by side vs one, before and after) says whether the second core was free.
 */
import type { ConvShape, Kernels, LifParams, SpikeList } from "../../src/engine/api.js";
import { convOutSize } from "../../src/engine/api.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import type { SpikeKernelName } from "../../src/engine/reference-spike.js";
import { Rng } from "../../src/util/rng.js";
import { secondCoreCheck } from "../core-check.js";
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

/** A copy of `a` in the backend's memory. */
function copyF32(b: Backend, a: Float32Array): Float32Array {
  const c = b.f32(a.length);
  c.set(a);
  return c;
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

/**
 * Races each backend's [event-driven, dense] pair, all interleaved: candidates() gives one backend's pair, and the
 * result holds [event, dense] timings per backend, in the order of `backends`.
 */
function raceBackends(
  backends: Backend[],
  candidates: (b: Backend) => (() => void)[],
  warmSec: number,
  rounds: number,
): Timing[][] {
  const per = backends.map(candidates);
  const t = race(per.flat(), warmSec, rounds);
  let at = 0;
  return per.map((c) => t.slice(at, (at += c.length)));
}

/** Random 0/1 frames at `density`: as bytes and as floats (the dense baseline's input). */
function randomSpikes(rng: Rng, n: number, density: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() < density ? 1 : 0;
  return a;
}

/** The spikes in the backend's memory: dense floats and a spike list made by the backend. */
function spikesOn(b: Backend, spikes: Float32Array, rows: number, rowLen: number) {
  const dense = copyF32(b, spikes);
  const bytes = b.u8(spikes.length);
  for (let i = 0; i < spikes.length; i++) bytes[i] = spikes[i]!;
  const list: SpikeList = { rows, rowLen, idx: b.i32(rows * rowLen), offsets: b.i32(rows + 1) };
  b.spike.spikeIndices(bytes, list);
  return { dense, list };
}

function randomF32(rng: Rng, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
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

/**
 * One row per backend for a raced kernel: event vs dense, and on every row after the first (2 threads) the 1 → 2
 * thread speed-up of the event-driven kernel (medians; best: minima) and of the dense baseline, as a control.
 */
function backendRows(backends: Backend[], t: Timing[][], row: BenchRow): BenchRow[] {
  const [event1, dense1] = t[0]!;
  return backends.map((b, i) => {
    const [event, dense] = t[i]!;
    const cells: BenchRow = { backend: b.label, ...row, ...ratioCells(event!, dense!) };
    if (i === 0) return cells;
    return {
      ...cells,
      thread_speedup: +(event1!.median / event!.median).toFixed(2),
      thread_speedup_best: +(event1!.min / event!.min).toFixed(2),
      dense_thread_speedup: +(dense1!.median / dense!.median).toFixed(2),
    };
  });
}

/**
 * Per backend, the same inputs in its own memory: the spikes dense and as a list, weights, bias and output gradient,
 * an output y shaped like the output gradient and a weight gradient shaped like the weights.
 */
function kernelBuffers(
  backends: Backend[],
  spikes: Float32Array,
  rows: number,
  rowLen: number,
  host: { w: Float32Array; bias: Float32Array; gy: Float32Array },
) {
  return new Map(
    backends.map((b) => {
      const { dense, list } = spikesOn(b, spikes, rows, rowLen);
      const bufs = {
        dense,
        list,
        w: copyF32(b, host.w),
        bias: copyF32(b, host.bias),
        y: b.f32(host.gy.length),
        gy: copyF32(b, host.gy),
        gw: b.f32(host.w.length),
      };
      return [b, bufs] as const;
    }),
  );
}

function linearRows(
  backends: Backend[],
  rng: Rng,
  rows: number,
  inF: number,
  out: number,
  warm: number,
  rounds: number,
) {
  const result: BenchRow[] = [];
  const w = randomF32(rng, out * inF, 0.05);
  const bias = randomF32(rng, out, 0.05);
  const gy = randomF32(rng, rows * out, 1);
  const shape = `${rows}x${inF}->${out}`;
  for (const density of densities) {
    const bufs = kernelBuffers(backends, randomSpikes(rng, rows * inF, density), rows, inF, { w, bias, gy });
    const f = raceBackends(
      backends,
      (b) => {
        const { dense, list, w, bias, y } = bufs.get(b)!;
        return [
          () => b.spike.linearSpikeForward(list, w, bias, y, out),
          () => b.dense.gemm(false, true, rows, out, inF, 1, dense, w, 0, y),
        ];
      },
      warm,
      rounds,
    );
    result.push(...backendRows(backends, f, { kernel: "linear fwd", shape, density }));
    const g = raceBackends(
      backends,
      (b) => {
        const { dense, list, gy, gw } = bufs.get(b)!;
        return [
          () => b.spike.linearSpikeWeightGrad(list, gy, gw, out),
          () => b.dense.gemm(true, false, out, inF, rows, 1, gy, dense, 1, gw),
        ];
      },
      warm,
      rounds,
    );
    result.push(...backendRows(backends, g, { kernel: "linear wgrad", shape, density }));
  }
  return result;
}

function convRows(backends: Backend[], rng: Rng, s: ConvShape, warm: number, rounds: number) {
  const result: BenchRow[] = [];
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  const w = randomF32(rng, s.cout * s.cin * s.kh * s.kw, 0.05);
  const bias = randomF32(rng, s.cout, 0.05);
  const gy = randomF32(rng, s.n * s.cout * ho * wo, 1);
  const shape = `n${s.n} ${s.cin}->${s.cout} ${s.kh}x${s.kw} on ${s.h}x${s.w}`;
  const rowLen = s.cin * s.h * s.w;
  for (const density of densities) {
    const bufs = kernelBuffers(backends, randomSpikes(rng, s.n * rowLen, density), s.n, rowLen, { w, bias, gy });
    const f = raceBackends(
      backends,
      (b) => {
        const { dense, list, w, bias, y } = bufs.get(b)!;
        return [
          () => b.spike.conv2dSpikeForward(list, w, bias, y, s),
          () => b.dense.conv2dForward(dense, w, bias, y, s),
        ];
      },
      warm,
      rounds,
    );
    result.push(...backendRows(backends, f, { kernel: "conv fwd", shape, density }));
    const g = raceBackends(
      backends,
      (b) => {
        const { dense, list, gy, gw } = bufs.get(b)!;
        return [
          () => b.spike.conv2dSpikeWeightGrad(list, gy, gw, s),
          () => b.dense.conv2dBackwardWeight(dense, gy, gw, null, s),
        ];
      },
      warm,
      rounds,
    );
    result.push(...backendRows(backends, g, { kernel: "conv wgrad", shape, density }));
  }
  return result;
}

/** Fused LIF forward (with spike list) and backward over [t, n]: time and neuron-steps per second. */
function lifRows(backends: Backend[], rng: Rng, t: number, n: number, rowLen: number, warm: number, rounds: number) {
  const p: LifParams = { t, n, alpha: 0.3, vth: 0.3, surrogate: "rect", surrogateWidth: 0.5, reset: "soft" };
  const current = randomF32(rng, t * n, 0.3);
  const grad = randomF32(rng, t * n, 1);
  const rows = (t * n) / rowLen;
  const bufs = new Map(
    backends.map((b) => {
      const list: SpikeList = { rows, rowLen, idx: b.i32(t * n), offsets: b.i32(rows + 1) };
      const io = { cur: copyF32(b, current), spikes: b.u8(t * n), u: b.f32(t * n), g: copyF32(b, grad) };
      return [b, { ...io, gc: b.f32(t * n), list }];
    }),
  );
  // [forward, rect backward] per backend, then [sigmoid backward] per backend
  const fb = raceBackends(
    backends,
    (b) => {
      const { cur, spikes, u, g, gc, list } = bufs.get(b)!;
      return [() => b.spike.lifForward(cur, spikes, u, p, list), () => b.spike.lifBackward(g, u, spikes, gc, p)];
    },
    warm,
    rounds,
  );
  const sig = raceBackends(
    backends,
    (b) => {
      const { spikes, u, g, gc } = bufs.get(b)!;
      return [() => b.spike.lifBackward(g, u, spikes, gc, { ...p, surrogate: "sigmoid" })];
    },
    warm,
    rounds,
  );
  const list = bufs.get(backends[0]!)!.list;
  const rate = list.offsets[rows]! / (t * n);
  const row = (b: Backend, kernel: string, ms: Timing, one: Timing): BenchRow => ({
    backend: b.label,
    kernel,
    shape: `t${t} n${n}`,
    density: +rate.toFixed(3),
    event_ms: +ms.median.toFixed(3),
    gsteps_per_s: +((t * n) / ms.median / 1e6).toFixed(3),
    gsteps_per_s_best: +((t * n) / ms.min / 1e6).toFixed(3),
    ...(ms === one
      ? {}
      : { thread_speedup: +(one.median / ms.median).toFixed(2), thread_speedup_best: +(one.min / ms.min).toFixed(2) }),
  });
  return backends.flatMap((b, i) => [
    row(b, "lif fwd+list", fb[i]![0]!, fb[0]![0]!),
    row(b, "lif bwd rect", fb[i]![1]!, fb[0]![1]!),
    row(b, "lif bwd sigmoid", sig[i]![0]!, sig[0]![0]!),
  ]);
}

export const suite: Suite = async ({ quick }) => {
  const warm = quick ? 0.1 : 0.4;
  const rounds = quick ? 3 : 7;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const coreBefore = await secondCoreCheck();
  const backends = [await backend(1), await backend(2)];
  const rng = new Rng(1234);
  try {
    rows.push(...linearRows(backends, rng, 6400, 700, 128, warm, rounds));
    rows.push(...linearRows(backends, rng, 6400, 2048, 256, warm, rounds));
    const conv = { kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
    rows.push(...convRows(backends, rng, { n: 32, cin: 64, h: 16, w: 16, cout: 128, ...conv }, warm, rounds));
    rows.push(...convRows(backends, rng, { n: 32, cin: 2, h: 32, w: 32, cout: 64, ...conv }, warm, rounds));
    rows.push(...lifRows(backends, rng, 100, 64 * 128, 128, warm, rounds));
  } finally {
    for (const b of backends) b.close();
  }
  const coreAfter = await secondCoreCheck();
  rows.push({
    backend: "control",
    kernel: "2 integer loops side by side / 1",
    core_check_before: coreBefore,
    core_check_after: coreAfter,
  });
  const at5 = rows.filter((r) => r.kernel === "linear fwd" && r.density === 0.05);
  for (const r of at5)
    notes.push(
      `${r.backend} linear fwd ${r.shape} at 5 %: ${r.speedup}x (best ${r.speedup_best}x) vs dense GEMM (target >= 5x)`,
    );
  notes.push("speedup = dense_ms / event_ms (medians of interleaved rounds, same run); speedup_best = ratio of minima");
  notes.push(
    "thread_speedup = event_ms on 1 thread / on 2 threads (interleaved in the same rounds; _best: minima); " +
      "dense_thread_speedup: the same for the dense baseline",
  );
  notes.push(
    `core_check = time of two integer loops side by side / one alone: ${coreBefore} before, ${coreAfter} after ` +
      "(≈ 1.0: the second core was free; above 1.1 the thread speed-ups are hurt by other load)",
  );
  return { rows, notes };
};

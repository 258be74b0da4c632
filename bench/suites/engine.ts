/**
 * Engine benchmark: GFLOP/s of the wasm GEMM and of conv2d forward / input-gradient / weight-gradient at the
 * DVS128 Gesture network's shapes (method.md: 64C3-128C3-AP2-128C3-AP2-256FC-11 on 2×32×32 input, B·T folded into
 * the batch), on 1 and 2 threads. The 1-thread engine is the baseline: each row reports the 2-thread speedup
 * measured in the same run. Candidates are warmed up for ≥ 0.4 s (V8 tiers wasm up) and timed in interleaved
 * rounds, taking the median, so background load hits both alike.
 */
import { cpus, loadavg } from "node:os";
import type { ConvShape } from "../../src/engine/api.js";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { createWasmEngine, type WasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";
import type { BenchRow, Suite } from "../run.js";
import { median, timeInterleaved } from "../timing.js";

type Run = () => void;

/** CPU seconds per call of the last timeEngine, per candidate (process-wide: includes worker threads). */
let lastCpuPerCall: number[] = [];

/** Seconds per call of each candidate: warm-up, then `rounds` interleaved timing slices, median per candidate. */
function timeEngine(candidates: Run[], warmupS: number, rounds: number, sliceS: number): number[] {
  const t = timeInterleaved(candidates, {
    warmupMs: warmupS * 1000 * candidates.length,
    rounds,
    sliceMs: sliceS * 1000,
  });
  lastCpuPerCall = t.cpu.map((c) => median(c) / 1000);
  return t.wall.map((w) => median(w) / 1000);
}

function filled(e: WasmEngine, n: number, rng: Rng): Float32Array {
  const a = e.allocF32(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * 0.1;
  return a;
}

const gflops = (flops: number, seconds: number): number => Math.round((flops / seconds / 1e9) * 10) / 10;

export const suite: Suite = async ({ quick }) => {
  const engines = [await createWasmEngine({ threads: 1 }), await createWasmEngine({ threads: 2 })];
  const rng = new Rng(1);
  const warmup = quick ? 0.4 : 0.5;
  const rounds = quick ? 3 : 5;
  const sliceS = quick ? 0.1 : 0.2;
  const rows: BenchRow[] = [];
  try {
    // GEMM: square sizes and the FC layer (B·T = 16·60 frames × 8192 inputs → 256)
    const gemms: [string, number, number, number, boolean, boolean][] = [
      ["square NN", 256, 256, 256, false, false],
      ["square NN", 512, 512, 512, false, false],
      ["square NN", 1024, 1024, 1024, false, false],
      ["square TN", 1024, 1024, 1024, true, false],
      ["square NT", 1024, 1024, 1024, false, true],
      ["FC 8192→256 fwd (x·Wᵀ)", quick ? 240 : 960, 256, 8192, false, true],
    ];
    for (const [label, m, n, k, ta, tb] of gemms) {
      const runs = engines.map((e) => {
        const a = filled(e, m * k, rng);
        const b = filled(e, k * n, rng);
        const c = e.allocF32(m * n);
        return () => e.gemm(ta, tb, m, n, k, 1, a, b, 0, c);
      });
      const [t1, t2] = timeEngine(runs, warmup, rounds, sliceS);
      const flops = 2 * m * n * k;
      rows.push({
        kernel: `gemm ${label}`,
        shape: `${m}×${n}×${k}`,
        gflops_per_cpu_s_1t: gflops(flops, lastCpuPerCall[0]!),
        gflops_1t: gflops(flops, t1!),
        gflops_2t: gflops(flops, t2!),
        speedup_2t: Math.round((t1! / t2!) * 100) / 100,
        cpu_ratio_2t: Math.round((lastCpuPerCall[0]! / lastCpuPerCall[1]!) * 100) / 100,
      });
    }

    // conv layers of the Gesture network; n = B·T images per call (a slice of 16·60)
    const n = quick ? 16 : 48;
    const layers: [string, number, number, number][] = [
      ["conv1 2→64 @32×32", 2, 64, 32],
      ["conv2 64→128 @32×32", 64, 128, 32],
      ["conv3 128→128 @16×16", 128, 128, 16],
      ["conv 128→128 @8×8", 128, 128, 8],
    ];
    for (const [label, cin, cout, hw] of layers) {
      const s: ConvShape = { n, cin, h: hw, w: hw, cout, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
      const flops = 2 * n * cout * cin * 9 * hw * hw;
      const parts = engines.map((e) => {
        const x = filled(e, n * cin * hw * hw, rng);
        const w = filled(e, cout * cin * 9, rng);
        const b = filled(e, cout, rng);
        const y = e.allocF32(n * cout * hw * hw);
        const gy = filled(e, y.length, rng);
        const gx = e.allocF32(x.length);
        const gw = e.allocF32(w.length);
        const gb = e.allocF32(cout);
        return {
          fwd: () => e.conv2dForward(x, w, b, y, s),
          bwdInput: () => e.conv2dBackwardInput(gy, w, gx, s),
          bwdWeight: () => e.conv2dBackwardWeight(x, gy, gw, gb, s),
        };
      });
      const times: Record<string, number[]> = {};
      const cpu1: Record<string, number> = {};
      const cpu2: Record<string, number> = {};
      for (const part of ["fwd", "bwdInput", "bwdWeight"] as const) {
        times[part] = timeEngine(
          parts.map((p) => p[part]),
          warmup,
          rounds,
          sliceS,
        );
        cpu1[part] = lastCpuPerCall[0]!;
        cpu2[part] = lastCpuPerCall[1]!;
      }
      for (const part of ["fwd", "bwdInput", "bwdWeight"] as const) {
        const [t1, t2] = times[part]!;
        rows.push({
          kernel: `${label} ${part}`,
          shape: `n=${n}`,
          gflops_per_cpu_s_1t: gflops(flops, cpu1[part]!),
          gflops_1t: gflops(flops, t1!),
          gflops_2t: gflops(flops, t2!),
          speedup_2t: Math.round((t1! / t2!) * 100) / 100,
          cpu_ratio_2t: Math.round((cpu1[part]! / cpu2[part]!) * 100) / 100,
        });
      }
      const t1 = times.fwd![0]! + times.bwdInput![0]! + times.bwdWeight![0]!;
      const t2 = times.fwd![1]! + times.bwdInput![1]! + times.bwdWeight![1]!;
      rows.push({
        kernel: `${label} fwd+bwd`,
        shape: `n=${n}`,
        gflops_per_cpu_s_1t: gflops(3 * flops, cpu1.fwd! + cpu1.bwdInput! + cpu1.bwdWeight!),
        gflops_1t: gflops(3 * flops, t1),
        gflops_2t: gflops(3 * flops, t2),
        speedup_2t: Math.round((t1 / t2) * 100) / 100,
        cpu_ratio_2t:
          Math.round(
            ((cpu1.fwd! + cpu1.bwdInput! + cpu1.bwdWeight!) / (cpu2.fwd! + cpu2.bwdInput! + cpu2.bwdWeight!)) * 100,
          ) / 100,
      });
    }

    rows.push(...spikeByteRows(engines, n, rng, warmup, rounds, sliceS));

    // the pure-TS twin on a small GEMM, for scale
    const ref = createReferenceEngine();
    const small = 96;
    const a = new Float32Array(small * small).fill(0.5);
    const c = new Float32Array(small * small);
    const e1 = engines[0]!;
    const wa = filled(e1, small * small, rng);
    const wc = e1.allocF32(small * small);
    const [tRef, tWasm] = timeEngine(
      [
        () => ref.gemm(false, false, small, small, small, 1, a, a, 0, c),
        () => e1.gemm(false, false, small, small, small, 1, wa, wa, 0, wc),
      ],
      0.4,
      3,
      0.1,
    );
    rows.push({
      kernel: "gemm reference TS twin (baseline)",
      shape: `${small}³`,
      gflops_per_cpu_s_1t: null,
      gflops_1t: gflops(2 * small ** 3, tRef!),
      gflops_2t: null,
      speedup_2t: null,
      cpu_ratio_2t: null,
    });
    rows.push({
      kernel: "gemm wasm vs TS twin",
      shape: `${small}³`,
      gflops_per_cpu_s_1t: null,
      gflops_1t: gflops(2 * small ** 3, tWasm!),
      gflops_2t: null,
      speedup_2t: Math.round((tRef! / tWasm!) * 10) / 10,
      cpu_ratio_2t: null,
    });
  } finally {
    for (const e of engines) e.close();
  }
  return {
    rows,
    notes: [
      `load average during the run: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" / ")} (1/5/15 min) on ${cpus().length} cores; wall-clock numbers drop under load.`,
      "gflops_per_cpu_s_1t: flops per CPU-second of the 1-thread engine (less sensitive to other processes).",
      "cpu_ratio_2t: CPU time per call on 1 thread / on 2 threads (1.0 = threading wastes no CPU on handoffs and spinning).",
      "speedup_2t = time on 1 thread / time on 2 threads, measured interleaved in this run (last row: wasm vs TS twin).",
      "fwd+bwd GFLOP/s counts 3 × the forward flops (forward, input gradient, weight gradient).",
    ],
  };
};

/**
 * The dense weight gradients reading a layer's input spikes as bytes (what training keeps) against the same 0/1
 * values as f32, on 1 and 2 threads: 'bytes_vs_f32' = time on bytes / time on f32 (1.0 = the bytes cost nothing).
 */
function spikeByteRows(
  engines: WasmEngine[],
  n: number,
  rng: Rng,
  warmup: number,
  rounds: number,
  sliceS: number,
): BenchRow[] {
  const cases: [string, number, number, number][] = [
    ["conv2 64→128 @32×32 bwdWeight", 64, 128, 32],
    ["conv3 128→128 @16×16 bwdWeight", 128, 128, 16],
    ["fc 8192→256 weight gradient", 8192, 256, 0],
  ];
  const rows: BenchRow[] = [];
  for (const [label, cin, cout, hw] of cases) {
    // the FC layer sees 16× more frames per call than a conv image batch costs (one frame is one row)
    const frames = hw === 0 ? 16 * n : n;
    const inLen = hw === 0 ? frames * cin : n * cin * hw * hw;
    const outLen = hw === 0 ? frames * cout : n * cout * hw * hw;
    const flops = hw === 0 ? 2 * frames * cin * cout : 2 * n * cout * cin * 9 * hw * hw;
    const s: ConvShape = { n, cin, h: hw, w: hw, cout, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
    const ratios = engines.map((e) => {
      const bytes = e.allocU8(inLen);
      for (let i = 0; i < inLen; i++) bytes[i] = rng.uniform() < 0.2 ? 1 : 0;
      const floats = e.allocF32(inLen);
      floats.set(bytes);
      const gy = filled(e, outLen, rng);
      const gw = e.allocF32(cout * cin * (hw === 0 ? 1 : 9));
      const run = (x: Float32Array | Uint8Array): Run =>
        hw === 0
          ? () => e.gemm(true, false, cout, cin, frames, 1, gy, x, 1, gw)
          : () => e.conv2dBackwardWeight(x, gy, gw, null, s);
      const [tFloat, tBytes] = timeEngine([run(floats), run(bytes)], warmup, rounds, sliceS);
      return { gflops: gflops(flops, tBytes!), ratio: Math.round((tBytes! / tFloat!) * 100) / 100 };
    });
    rows.push({
      kernel: `${label} on spike bytes`,
      shape: `n=${frames}`,
      gflops_1t: ratios[0]!.gflops,
      gflops_2t: ratios[1]!.gflops,
      bytes_vs_f32_1t: ratios[0]!.ratio,
      bytes_vs_f32_2t: ratios[1]!.ratio,
    });
  }
  return rows;
}

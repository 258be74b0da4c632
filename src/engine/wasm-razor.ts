/**
 * The wasm wrappers of razorScores and razorSourceGrad (split over rows) and razorScoreGrad (over embeddings, then
 * rows) (assembly/razor-score.ts, assembly/razor-grad.ts); same checks as the twins in reference-razor.ts. The
 * float64 arrays travel through the runtime's staging as float32 views of their bytes.
 */
import type { Kernels } from "./api.js";
import { checkRazorScoreGrad, checkRazorScores, checkRazorSourceGrad, scanRows } from "./reference-razor.js";
import { float64Bytes as bytesOf, type TypedView, type WasmRuntime } from "./runtime.js";
import { splitRange, threadParts } from "./wasm-runtime.js";
import { policyMinItems, runTaskList, type SplitPolicy } from "./wasm-spike.js";

type RowsOf = { rows: number; channels: number; fOffsets: Int32Array; fIdx: Int32Array };

export function makeRazorKernels(
  rt: WasmRuntime,
  policy: SplitPolicy = {},
): Pick<Kernels, "razorSourceGrad" | "razorScoreGrad" | "razorScores"> {
  const perThread = (items: number, work: number): number => policyMinItems(policy, items, work);
  /** The descriptor rows' check, in wasm on the staged rows; the TS scan names the bad entry when there is one. */
  const checkRowsIn = (name: string, ptr: (v: TypedView) => number, p: RowsOf): void => {
    if (rt.exports.sparseRowsOrdered!(ptr(p.fOffsets), ptr(p.fIdx), p.rows, p.channels) === 0)
      scanRows(name, p.rows, p.channels, p.fOffsets, p.fIdx);
  };
  return {
    razorSourceGrad(p, gx) {
      checkRazorSourceGrad(p, gx, false);
      if (p.rows === 0) return;
      rt.call([gx], (ptr, temp) => {
        checkRowsIn("razorSourceGrad", ptr, p);
        const f64 = (a: Float64Array): number => ptr(bytesOf(a));
        const args = [ptr(p.active), f64(p.gp), f64(p.norm), f64(p.dot), f64(p.gAct), ptr(p.fOffsets)];
        args.push(ptr(p.fIdx), f64(p.fVal), f64(p.eHatT), ptr(gx), p.channels, p.K, p.hw);
        const work = p.rows * p.channels * (p.K + p.hw);
        // each thread's rows, with room for its row's per-channel terms
        const tasks = splitRange(p.rows, threadParts(rt.threads, p.rows, perThread(p.rows, work))).map(([b, e]) => ({
          fn: "razorSourceGrad",
          args: [...args, temp(8 * p.channels), b, e],
        }));
        runTaskList(rt, tasks);
      });
    },
    razorScores(p, out) {
      checkRazorScores(p, out, false);
      if (p.rows === 0) return;
      const f64s = [out.norm, out.p, out.alpha, out.s, out.act].map(bytesOf);
      const scalars = Float64Array.of(p.tau, p.gamma, p.eta, p.beta, p.eps);
      rt.call([...f64s, out.d], (ptr) => {
        checkRowsIn("razorScores", ptr, p);
        const args = [ptr(p.fOffsets), ptr(p.fIdx), ptr(bytesOf(p.fVal)), ptr(bytesOf(p.eHat)), ptr(bytesOf(scalars))];
        args.push(...f64s.map(ptr), ptr(out.d), p.channels, p.K);
        const work = (p.fOffsets[p.rows]! + p.rows) * (p.K + 2);
        rt.parallel("razorScores", args, p.rows, perThread(p.rows, work));
      });
    },
    razorScoreGrad(p, gEHat, dot) {
      checkRazorScoreGrad(p, gEHat, dot, false);
      if (p.rows === 0) return;
      const gE = bytesOf(gEHat);
      const d = dot === null ? null : bytesOf(dot);
      rt.call(d === null ? [gE] : [gE, d], (ptr) => {
        checkRowsIn("razorScoreGrad", ptr, p);
        const f64 = (a: Float64Array): number => ptr(bytesOf(a));
        const rows = [ptr(p.on), f64(p.gp), f64(p.norm), ptr(p.fOffsets), ptr(p.fIdx), f64(p.fVal)];
        const work = p.fOffsets[p.rows]! * p.K;
        // embeddings split over threads (each owns its rows of gEHat), frames for the dots
        rt.parallel("razorEHatGrad", [...rows, ptr(gE), p.rows, p.channels, p.K], p.K, perThread(p.K, work));
        if (d !== null)
          rt.parallel("razorGradDots", [...rows, f64(p.eHatT), ptr(d), p.K], p.rows, perThread(p.rows, work));
      });
    },
  };
}

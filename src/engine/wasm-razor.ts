/**
 * The wasm wrappers of razorSourceGrad (split over rows) and razorScoreGrad (over embeddings, then rows)
 * (assembly/razor-grad.ts); same checks as the twins in reference-razor.ts. The float64 inputs travel through the runtime's staging as float32 views of their bytes.
 */
import type { Kernels } from "./api.js";
import { checkRazorScoreGrad, checkRazorSourceGrad } from "./reference-razor.js";
import type { WasmRuntime } from "./runtime.js";
import { minItems } from "./wasm-spike.js";

/** The same bytes as a Float32Array (for staging; never read as floats). */
function bytesOf(a: Float64Array): Float32Array {
  return new Float32Array(a.buffer, a.byteOffset, a.length * 2);
}

export function makeRazorKernels(rt: WasmRuntime): Pick<Kernels, "razorSourceGrad" | "razorScoreGrad"> {
  return {
    razorSourceGrad(p, gx) {
      checkRazorSourceGrad(p, gx);
      if (p.rows === 0) return;
      rt.call([gx], (ptr) => {
        const f64 = (a: Float64Array): number => ptr(bytesOf(a));
        const args = [ptr(p.active), f64(p.gp), f64(p.norm), f64(p.dot), f64(p.gAct), ptr(p.fOffsets)];
        args.push(ptr(p.fIdx), f64(p.fVal), f64(p.eHatT), ptr(gx), p.channels, p.K, p.hw);
        const work = p.rows * p.channels * (p.K + p.hw);
        rt.parallel("razorSourceGrad", args, p.rows, minItems(p.rows, work));
      });
    },
    razorScoreGrad(p, gEHat, dot) {
      checkRazorScoreGrad(p, gEHat, dot);
      if (p.rows === 0) return;
      const gE = bytesOf(gEHat);
      const d = dot === null ? null : bytesOf(dot);
      rt.call(d === null ? [gE] : [gE, d], (ptr) => {
        const f64 = (a: Float64Array): number => ptr(bytesOf(a));
        const rows = [ptr(p.on), f64(p.gp), f64(p.norm), ptr(p.fOffsets), ptr(p.fIdx), f64(p.fVal)];
        const work = p.fOffsets[p.rows]! * p.K;
        // embeddings split over threads (each owns its rows of gEHat), frames for the dots
        rt.parallel("razorEHatGrad", [...rows, ptr(gE), p.rows, p.channels, p.K], p.K, minItems(p.K, work));
        if (d !== null)
          rt.parallel("razorGradDots", [...rows, f64(p.eHatT), ptr(d), p.K], p.rows, minItems(p.rows, work));
      });
    },
  };
}

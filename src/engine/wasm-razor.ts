/**
 * The wasm wrapper of razorSourceGrad (assembly/razor-grad.ts), split over rows; same checks as the twin in
 * reference-razor.ts. The float64 inputs travel through the runtime's staging as float32 views of their bytes.
 */
import type { Kernels } from "./api.js";
import { checkRazorSourceGrad } from "./reference-razor.js";
import type { WasmRuntime } from "./runtime.js";
import { minItems } from "./wasm-spike.js";

/** The same bytes as a Float32Array (for staging; never read as floats). */
function bytesOf(a: Float64Array): Float32Array {
  return new Float32Array(a.buffer, a.byteOffset, a.length * 2);
}

export function makeRazorKernels(rt: WasmRuntime): Pick<Kernels, "razorSourceGrad"> {
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
  };
}

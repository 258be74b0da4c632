/**
 * Wall-clock time per kernel: an Engine that forwards every call to another and adds up how long each kernel took.
 * For benchmarks and `--profile`-style reports: which kernels a training step spends its time in, and how each
 * group gains from a second thread. Kernels are synchronous (the wasm engine waits for its workers), so a call's
 * time is the kernel's whole time, threads included; calls a kernel makes internally are not counted twice.
 */
import type { Engine } from "./api.js";

/** Kernel groups, for reports: what runs event-driven, dense, the LIF, and the rest of the engine. */
export const KERNEL_GROUPS = {
  "event-driven": [
    "linearSpikeForward",
    "linearSpikeWeightGrad",
    "conv2dSpikeForward",
    "conv2dSpikeWeightGrad",
  ] as const,
  lists: ["spikeIndices", "spikeFloats", "spikeList", "valueList"] as const,
  dense: ["gemm", "conv2dForward", "conv2dBackwardInput", "conv2dBackwardWeight"] as const,
  lif: ["lifForward", "lifBackward", "lifGapSteps"] as const,
} satisfies Record<string, readonly (keyof Engine)[]>;

export type KernelGroup = keyof typeof KERNEL_GROUPS | "other";

export interface KernelTime {
  calls: number;
  ms: number;
}

/** Engine methods that are bookkeeping, not kernels (not timed). */
const UNTIMED = new Set<string>(["allocF32", "allocU8", "allocI32", "allocF64", "free", "bytesInUse", "peakBytes"]);

export interface KernelProfile {
  /** the profiled engine: use it in place of the original (same arrays, same results) */
  readonly engine: Engine;
  /** time per kernel name since the last reset */
  readonly kernels: ReadonlyMap<string, KernelTime>;
  /** time per group (KERNEL_GROUPS; every other kernel is "other") */
  groups(): Record<KernelGroup, KernelTime>;
  /** sum over all kernels */
  totalMs(): number;
  reset(): void;
}

const groupOf = new Map<string, KernelGroup>();
for (const [group, names] of Object.entries(KERNEL_GROUPS) as [KernelGroup, readonly string[]][])
  for (const n of names) groupOf.set(n, group);

/** Wraps `inner`: calls go through unchanged, and each kernel's time and call count are recorded. */
export function profileKernels(inner: Engine): KernelProfile {
  const kernels = new Map<string, KernelTime>();
  const wrapped = new Map<PropertyKey, unknown>();
  const engine = new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function" || typeof prop !== "string" || UNTIMED.has(prop)) return value;
      let fn = wrapped.get(prop);
      if (fn === undefined) {
        const kernel = value as (...args: unknown[]) => unknown;
        fn = (...args: unknown[]): unknown => {
          const t0 = performance.now();
          try {
            return kernel.apply(target, args);
          } finally {
            const k = kernels.get(prop) ?? { calls: 0, ms: 0 };
            k.calls++;
            k.ms += performance.now() - t0;
            kernels.set(prop, k);
          }
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
  return {
    engine,
    kernels,
    groups() {
      const out = {} as Record<KernelGroup, KernelTime>;
      for (const g of [...Object.keys(KERNEL_GROUPS), "other"] as KernelGroup[]) out[g] = { calls: 0, ms: 0 };
      for (const [name, k] of kernels) {
        const g = out[groupOf.get(name) ?? "other"];
        g.calls += k.calls;
        g.ms += k.ms;
      }
      return out;
    },
    totalMs() {
      let s = 0;
      for (const k of kernels.values()) s += k.ms;
      return s;
    },
    reset() {
      kernels.clear();
    },
  };
}

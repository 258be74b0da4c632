/**
 * Shared by the spike/LIF tests: random spike data, dense reference computations (plain loops, no event lists) and
 * tolerance checks.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ConvShape, convOutSize, type Kernels, type SpikeList } from "../../src/engine/api.js";
import type { SpikeKernelName } from "../../src/engine/reference-spike.js";
import type { TypedView, WasmRuntime } from "../../src/engine/runtime.js";
import { kernelImports } from "../../src/engine/thread-protocol.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { makeSpikeKernels } from "../../src/engine/wasm-spike.js";
import { projectRoot } from "../../src/util/paths.js";
import type { Rng } from "../../src/util/rng.js";

export function randomF32(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Binary spikes with each position active with probability `density` (exactly 0 % and 100 % at the ends). */
export function randomSpikes(rng: Rng, n: number, density: number): Uint8Array {
  const s = new Uint8Array(n);
  for (let i = 0; i < n; i++) s[i] = rng.uniform() < density ? 1 : 0;
  return s;
}

/** CSR list of the spikes built by the test itself, independent of the kernels under test. */
export function listOf(spikes: Uint8Array, rows: number, rowLen: number): SpikeList {
  const idx: number[] = [];
  const offsets = [0];
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < rowLen; i++) if (spikes[r * rowLen + i] === 1) idx.push(i);
    offsets.push(idx.length);
  }
  const full = new Int32Array(rows * rowLen);
  full.set(idx);
  return { rows, rowLen, idx: full, offsets: Int32Array.from(offsets) };
}

/** y = S Wᵀ + b with S [rows, in] dense 0/1, W [out, in]. */
export function denseLinear(
  s: Uint8Array,
  w: Float32Array,
  b: Float32Array | null,
  rows: number,
  inF: number,
  out: number,
) {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let acc = b === null ? 0 : b[o]!;
      for (let i = 0; i < inF; i++) acc += s[r * inF + i]! * w[o * inF + i]!;
      y[r * out + o] = acc;
    }
  return y;
}

/** gW = gyᵀ S. */
export function denseLinearWeightGrad(s: Uint8Array, gy: Float32Array, rows: number, inF: number, out: number) {
  const gw = new Float64Array(out * inF);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inF; i++) {
      let acc = 0;
      for (let r = 0; r < rows; r++) acc += gy[r * out + o]! * s[r * inF + i]!;
      gw[o * inF + i] = acc;
    }
  return gw;
}

/** Calls fn(yi, xi, wi) for every output element, input element and weight of a direct conv (zero padding). */
function forEachConvTerm(s: ConvShape, fn: (yi: number, xi: number, wi: number) => void): void {
  const ho = convOutSize(s.h, s.kh, s.strideH, s.padH);
  const wo = convOutSize(s.w, s.kw, s.strideW, s.padW);
  for (let n = 0; n < s.n; n++)
    for (let co = 0; co < s.cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++)
          for (let c = 0; c < s.cin; c++)
            for (let ky = 0; ky < s.kh; ky++)
              for (let kx = 0; kx < s.kw; kx++) {
                const iy = oy * s.strideH - s.padH + ky;
                const ix = ox * s.strideW - s.padW + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                fn(
                  ((n * s.cout + co) * ho + oy) * wo + ox,
                  ((n * s.cin + c) * s.h + iy) * s.w + ix,
                  ((co * s.cin + c) * s.kh + ky) * s.kw + kx,
                );
              }
}

/** Direct conv: y[n, co, oy, ox] = b + Σ w · x. */
export function denseConv(x: Uint8Array, w: Float32Array, b: Float32Array | null, s: ConvShape) {
  const plane = convOutSize(s.h, s.kh, s.strideH, s.padH) * convOutSize(s.w, s.kw, s.strideW, s.padW);
  const y = new Float64Array(s.n * s.cout * plane);
  for (let i = 0; i < y.length; i++) y[i] = b === null ? 0 : b[Math.floor(i / plane) % s.cout]!;
  forEachConvTerm(s, (yi, xi, wi) => {
    y[yi]! += x[xi]! * w[wi]!;
  });
  return y;
}

/** gw[co, c, ky, kx] = Σ gy[n, co, oy, ox] · x[n, c, iy, ix] over every output and tap. */
export function denseConvWeightGrad(x: Uint8Array, gy: Float32Array, s: ConvShape) {
  const gw = new Float64Array(s.cout * s.cin * s.kh * s.kw);
  forEachConvTerm(s, (yi, xi, wi) => {
    gw[wi]! += gy[yi]! * x[xi]!;
  });
  return gw;
}

/** Random conv geometry with a non-empty output; small so the direct loops stay fast. */
export function randomConvShape(rng: Rng): ConvShape {
  for (;;) {
    const kh = 1 + rng.int(4);
    const kw = 1 + rng.int(4);
    const s: ConvShape = {
      n: 1 + rng.int(3),
      cin: 1 + rng.int(5),
      h: 1 + rng.int(9),
      w: 1 + rng.int(9),
      cout: 1 + rng.int(11),
      kh,
      kw,
      strideH: 1 + rng.int(3),
      strideW: 1 + rng.int(3),
      padH: rng.int(kh),
      padW: rng.int(kw),
    };
    if (convOutSize(s.h, s.kh, s.strideH, s.padH) >= 1 && convOutSize(s.w, s.kw, s.strideW, s.padW) >= 1) return s;
  }
}

/** |a - b| <= atol + rtol |b| elementwise, naming the first offending index. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= atol + rtol * Math.abs(b[i]!)))
      assert.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]} (diff ${d})`);
  }
}

export function copyOut(a: Float32Array, n: number): Float32Array {
  return Float32Array.from(a.subarray(0, n));
}

/**
 * A minimal WasmRuntime over build/razor.wasm for testing the spike kernels on their own: a bump allocator for
 * staged arguments and a `parallel` that runs the range as `chunks` consecutive pieces on this thread, so the
 * kernels' handling of split ranges is exercised without a thread pool.
 */
export interface SplitRuntime extends WasmRuntime {
  /** Views living in the runtime's memory for good (so kernels use them in place, without copies). */
  allocF32(n: number): Float32Array;
  allocI32(n: number): Int32Array;
  allocU8(n: number): Uint8Array;
}

export async function splitRuntime(chunks: number): Promise<SplitRuntime> {
  const bytes = readFileSync(join(projectRoot(), "build", "razor.wasm"));
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const { instance } = await WebAssembly.instantiate(bytes, kernelImports(memory));
  const exports = instance.exports as unknown as Record<string, (...args: number[]) => number>;
  const base = 1 << 20; // above the module's static data
  let top = base;
  const reserve = (bytes: number): number => {
    const at = (top + 15) & ~15;
    top = at + bytes;
    const have = memory.buffer.byteLength;
    if (top > have) memory.grow(Math.ceil((top - have) / 65536));
    return at;
  };
  const resident = new WeakSet<ArrayBufferLike>();
  // Reserve before reading memory.buffer: growing replaces the buffer object.
  const place = (bytes: number): [ArrayBufferLike, number] => {
    const at = reserve(bytes);
    resident.add(memory.buffer);
    return [memory.buffer, at];
  };
  return {
    exports,
    threads: chunks,
    allocF32: (n) => new Float32Array(...place(4 * n), n),
    allocI32: (n) => new Int32Array(...place(4 * n), n),
    allocU8: (n) => new Uint8Array(...place(n), n),
    call(outputs, fn) {
      const mark = top;
      const staged = new Map<TypedView, number>();
      const ptr = (view: TypedView): number => {
        if (resident.has(view.buffer)) return view.byteOffset;
        let at = staged.get(view);
        if (at === undefined) {
          at = reserve(view.byteLength);
          new Uint8Array(memory.buffer, at, view.byteLength).set(
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
          );
          staged.set(view, at);
        }
        return at;
      };
      try {
        return fn(ptr, reserve);
      } finally {
        for (const view of outputs) {
          const at = staged.get(view);
          if (at !== undefined)
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(
              new Uint8Array(memory.buffer, at, view.byteLength),
            );
        }
        top = mark;
      }
    },
    parallel(name, args, items) {
      const kernel = exports[name];
      if (kernel === undefined) throw new Error(`no wasm export ${name}`);
      const pieces = Math.min(chunks, Math.max(1, items));
      for (let c = 0; c < pieces; c++) {
        kernel(...args, Math.floor((items * c) / pieces), Math.floor((items * (c + 1)) / pieces));
      }
    },
  };
}

export interface KernelVariant {
  label: string;
  /** How many pieces the variant cuts each splittable call into (the thread count, or the test runtime's pieces). */
  parts: number;
  k: Pick<Kernels, SpikeKernelName>;
  close(): void;
}

/**
 * The wasm spike kernels five ways: the test runtime running each call's range (or tasks) in 1, 2 and 3 pieces one
 * after another, and the engine's thread pool at 1 and 2 threads, every call split however small (so the threaded
 * paths run even on small shapes). A threaded result must equal the one-thread run of the same pieces bit for bit.
 */
export async function wasmVariants(): Promise<KernelVariant[]> {
  const out: KernelVariant[] = [];
  for (const pieces of [1, 2, 3]) {
    const k = makeSpikeKernels(await splitRuntime(pieces), { always: true });
    out.push({ label: `${pieces} piece(s)`, parts: pieces, k, close: () => {} });
  }
  for (const threads of [1, 2]) {
    const e = await createWasmEngine({ threads, alwaysSplit: true });
    out.push({ label: `engine ${threads}t`, parts: threads, k: e, close: () => e.close() });
  }
  return out;
}

/** Asserts that results of variants with the same `parts` are bit-identical (results[i] from variants[i]). */
export function assertSameForSameParts(variants: KernelVariant[], results: Float32Array[], what: string): void {
  results.forEach((r, i) => {
    const first = variants.findIndex((v) => v.parts === variants[i]!.parts);
    assert.deepEqual(r, results[first], `${what}: ${variants[i]!.label} vs ${variants[first]!.label}`);
  });
}

// The wasm engine as a whole: switching the active engine, memory lifetimes, oversize requests, worker errors and
// determinism across repeats and thread counts.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { ConvShape } from "../../src/engine/api.js";
import { engine, useEngine } from "../../src/engine/index.js";
import { createWasmEngine, type WasmEngine } from "../../src/engine/wasm.js";
import { Rng } from "../../src/util/rng.js";
import { randF32 } from "./helpers.js";

const opened: WasmEngine[] = [];
after(() => {
  for (const e of opened) e.close();
});
async function open(threads: number): Promise<WasmEngine> {
  const e = await createWasmEngine({ threads });
  opened.push(e);
  return e;
}

test("useEngine switches engine() to the wasm engine, whose allocations are zeroed views of wasm memory", async () => {
  const e = await open(2);
  useEngine(e);
  assert.equal(engine().name, "wasm");
  assert.equal(engine().threads, 2);
  const a = engine().allocF32(5);
  a.fill(3);
  engine().free(a);
  const b = engine().allocF32(5);
  assert.deepEqual(Array.from(b), [0, 0, 0, 0, 0], "reused memory comes back zeroed");
  assert.ok(e.runtime.owns(b));
  // float64 arrays too (Razor's descriptors): zeroed, in place for kernels, 8-byte aligned
  const d = engine().allocF64(3);
  d.fill(2.5);
  engine().free(d);
  const d2 = engine().allocF64(3);
  assert.deepEqual(Array.from(d2), [0, 0, 0]);
  assert.ok(e.runtime.owns(d2) && d2.byteOffset % 8 === 0);
  engine().free(d2);
  engine().free(b);
  assert.throws(() => e.free(b), /already freed/);
  assert.throws(() => e.free(new Float32Array(2)), /not allocated by this engine/);
});

test("a long loop of training-style allocate/compute/free steps does not grow memory", async () => {
  const e = await open(2);
  const rng = new Rng(21);
  const s: ConvShape = { n: 4, cin: 3, h: 12, w: 12, cout: 8, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
  const w = e.allocF32(8 * 27);
  w.set(randF32(rng, w.length));
  const step = (batch: number): void => {
    const sh = { ...s, n: batch };
    const x = e.allocF32(batch * 3 * 144);
    const y = e.allocF32(batch * 8 * 144);
    const gx = e.allocF32(x.length);
    const gw = e.allocF32(w.length);
    const argmax = e.allocI32(batch * 8 * 36);
    const pooled = e.allocF32(batch * 8 * 36);
    x.set(randF32(rng, x.length));
    e.conv2dForward(x, w, null, y, sh);
    e.maxPool2dForward(y, pooled, argmax, { n: batch, c: 8, h: 12, w: 12, k: 2, stride: 2 });
    e.maxPool2dBackward(pooled, argmax, y, { n: batch, c: 8, h: 12, w: 12, k: 2, stride: 2 });
    e.conv2dBackwardInput(y, w, gx, sh);
    e.conv2dBackwardWeight(x, y, gw, null, sh);
    // staged (non-wasm) arrays use temporaries that must be released too
    e.add(randF32(rng, 100), randF32(rng, 100), new Float32Array(100));
    for (const a of [pooled, x, gw, y, gx, argmax]) e.free(a);
  };
  const base = e.bytesInUse();
  for (let i = 0; i < 3; i++) step(4 + (i % 3));
  const reserved = e.memoryBytes();
  for (let i = 0; i < 300; i++) step(4 + (i % 3));
  assert.equal(e.memoryBytes(), reserved, "wasm memory grew during the loop");
  assert.equal(e.bytesInUse(), base);
  assert.ok(e.peakBytes() > base);
});

test("views stay valid when the memory grows", async () => {
  const e = await open(1);
  const a = e.allocF32(8);
  a.fill(7);
  const before = e.memoryBytes();
  const big = e.allocF32(16 << 20); // 64 MiB: forces growth
  assert.ok(e.memoryBytes() > before);
  e.scale(a, 2, a); // the old view, used in place after growth
  assert.deepEqual(Array.from(a), [14, 14, 14, 14, 14, 14, 14, 14]);
  const fresh = new Float32Array(e.runtime.memory.buffer, a.byteOffset, 8);
  fresh[0] = 1;
  assert.equal(a[0], 1, "old and new views see the same bytes");
  e.free(big);
  e.free(a);
});

test("a request beyond wasm32's 4 GiB is a clear error, and the engine keeps working", async () => {
  const e = await open(1);
  assert.throws(
    () => e.allocF32(2 ** 31),
    /cannot allocate 8589934592 bytes: wasm memory is limited to 4 GiB \(wasm32 addresses\)/,
  );
  assert.throws(() => e.allocU8(-1), /non-negative integer/);
  const a = e.allocF32(4);
  e.fill(a, 1);
  assert.deepEqual(Array.from(a), [1, 1, 1, 1]);
});

test("arrays above 2 GiB (pointers past int32) work in place, staged and on worker threads", async () => {
  const e = await createWasmEngine({ threads: 2, alwaysSplit: true });
  opened.push(e);
  // reserve (but never touch) 2.3 GB so that the next blocks sit above 2^31
  e.runtime.allocator.alloc(2.3e9);
  const rng = new Rng(24);
  const a = e.allocF32(64 * 48);
  const b = e.allocF32(48 * 40);
  const c = e.allocF32(64 * 40);
  assert.ok(c.byteOffset > 2 ** 31);
  a.set(randF32(rng, a.length));
  b.set(randF32(rng, b.length));
  e.gemm(false, false, 64, 40, 48, 1, a, b, 0, c);
  const { refGemm } = await import("../../src/engine/reference.js");
  const want = new Float32Array(c.length);
  refGemm(false, false, 64, 40, 48, 1, a, b, 0, want);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(c[i]! - want[i]!) < 1e-4, `c[${i}]`);
  const y = new Float32Array(1000);
  e.add(new Float32Array(1000).fill(1), new Float32Array(1000).fill(2), y);
  assert.ok(y.every((v) => v === 3));
});

test("results are bit-identical across repeats; all but the conv weight gradient also across 1 and 2 threads", async () => {
  const engines = [await open(1), await open(2)];
  const rng = new Rng(22);
  const s: ConvShape = {
    n: 6,
    cin: 16,
    h: 16,
    w: 16,
    cout: 32,
    kh: 3,
    kw: 3,
    strideH: 1,
    strideW: 1,
    padH: 1,
    padW: 1,
  };
  const x = randF32(rng, s.n * s.cin * 256);
  const w = randF32(rng, s.cout * s.cin * 9);
  const gy = randF32(rng, s.n * s.cout * 256);
  const a = randF32(rng, 300 * 200);
  const b = randF32(rng, 200 * 250);
  const run = (e: WasmEngine): Float32Array[] => {
    const y = new Float32Array(gy.length);
    const gx = new Float32Array(x.length);
    const gw = new Float32Array(w.length);
    const c = new Float32Array(300 * 250);
    const mean = new Float32Array(32);
    const inv = new Float32Array(32);
    e.conv2dForward(x, w, null, y, s);
    e.conv2dBackwardInput(gy, w, gx, s);
    e.conv2dBackwardWeight(x, gy, gw, null, s);
    e.gemm(false, true, 300, 250, 200, 1, a, b.subarray(0, 250 * 200), 0, c);
    e.batchNormForwardTrain(
      gy,
      new Float32Array(32).fill(1),
      new Float32Array(32),
      y,
      mean,
      inv,
      new Float32Array(32),
      new Float32Array(32),
      { n: 6, c: 32, hw: 256 },
      0.1,
      1e-5,
    );
    return [y, gx, gw, c, mean, inv];
  };
  const one = run(engines[0]!);
  const two = run(engines[1]!);
  for (const [e, want] of [
    [engines[0]!, one],
    [engines[1]!, two],
  ] as const) {
    const again = run(e);
    for (const [i, arr] of again.entries())
      assert.deepEqual(arr, want[i], `output ${i} differs on a repeat (threads ${e.threads})`);
  }
  // every split writes disjoint outputs with the same arithmetic, except the weight gradient on 2 threads: its
  // per-thread image sums are added in thread order, which rounds differently from one running sum
  for (const i of [0, 1, 3, 4, 5]) assert.deepEqual(two[i], one[i], `output ${i} differs between 1 and 2 threads`);
  assert.notDeepEqual(two[2], one[2], "the 2-thread weight gradient is expected to be split by images");
  for (let j = 0; j < one[2]!.length; j++) {
    assert.ok(Math.abs(two[2]![j]! - one[2]![j]!) < 1e-3 * (1 + Math.abs(one[2]![j]!)), `weight gradient ${j}`);
  }
});

test("a kernel failing on a worker thread surfaces as an error naming the kernel", async () => {
  const e = await open(2);
  // an address past the end of memory traps inside the kernel on both threads
  assert.throws(
    () =>
      e.runtime.runTasks([
        { fn: "fill", args: [2 ** 32 - 64, 1, 0, 64] },
        { fn: "fill", args: [2 ** 32 - 64, 1, 0, 64] },
      ]),
    /out of bounds/,
  );
  assert.throws(
    () =>
      e.runtime.runTasks([
        { fn: "fill", args: [0, 1, 0, 0] },
        { fn: "fill", args: [2 ** 32 - 64, 1, 0, 64] },
      ]),
    /kernel fill: .*out of bounds.*worker thread 1/,
  );
  assert.throws(
    () =>
      e.runtime.runTasks([
        { fn: "fill", args: [0, 1, 0, 0] },
        { fn: "noSuchKernel", args: [] },
      ]),
    /no kernel named noSuchKernel/,
  );
  const a = e.allocF32(3);
  e.fill(a, 2);
  assert.deepEqual(Array.from(a), [2, 2, 2]);
  const big = e.allocF32(1 << 18);
  e.fill(big, 3); // split across both threads again
  assert.ok(big.every((v) => v === 3));
});

test("the spike kernels run through the engine's thread pool and match the twins", async () => {
  const { createReferenceEngine } = await import("../../src/engine/reference.js");
  const ref = createReferenceEngine();
  const e = await createWasmEngine({ threads: 2, alwaysSplit: true });
  opened.push(e);
  const rng = new Rng(23);
  const p = {
    t: 5,
    n: 6 * 70,
    alpha: 0.5,
    vth: 0.3,
    surrogate: "rect" as const,
    surrogateWidth: 0.5,
    reset: "soft" as const,
  };
  const current = randF32(rng, p.t * p.n);
  const outs = (k: typeof ref) => {
    const spikes = new Uint8Array(p.t * p.n);
    const u = new Float32Array(p.t * p.n);
    k.lifForward(current, spikes, u, p);
    const list = { rows: p.t * 6, rowLen: 70, idx: new Int32Array(p.t * p.n), offsets: new Int32Array(p.t * 6 + 1) };
    k.spikeIndices(spikes, list);
    const w = new Float32Array(9 * 70).map((_, i) => Math.sin(i));
    const y = new Float32Array(p.t * 6 * 9);
    k.linearSpikeForward(list, w, null, y, 9);
    return { spikes, u, y };
  };
  const want = outs(ref);
  const got = outs(e);
  assert.deepEqual(got.spikes, want.spikes);
  assert.ok(want.spikes.some((s) => s === 1) && want.spikes.some((s) => s === 0));
  for (let i = 0; i < got.y.length; i++) assert.ok(Math.abs(got.y[i]! - want.y[i]!) < 1e-4, `linear y[${i}]`);
});

test("without shared memory: razor-single.wasm on a fixed memory, one thread, clear errors at its limits", async () => {
  const e = await createWasmEngine({ sharedMemory: false, memoryMiB: 16 });
  opened.push(e);
  assert.equal(e.threads, 1);
  assert.ok(!(e.runtime.memory.buffer instanceof SharedArrayBuffer));
  const rng = new Rng(25);
  const s: ConvShape = { n: 2, cin: 3, h: 9, w: 7, cout: 5, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
  const x = e.allocF32(2 * 3 * 63);
  const w = e.allocF32(5 * 27);
  x.set(randF32(rng, x.length));
  w.set(randF32(rng, w.length));
  const y = e.allocF32(2 * 5 * 63);
  e.conv2dForward(x, w, null, y, s);
  const { refConv2dForward } = await import("../../src/engine/reference.js");
  const want = new Float32Array(y.length);
  refConv2dForward(x, w, null, want, s);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y[i]! - want[i]!) < 1e-4, `y[${i}]`);
  const size = e.memoryBytes();
  assert.throws(() => e.allocF32(8 << 20), /limited to 16 MiB \(fixed non-shared memory: raise memoryMiB\)/);
  assert.equal(e.memoryBytes(), size, "a fixed memory never grows");
  x.fill(1); // earlier views are still attached
  await assert.rejects(createWasmEngine({ sharedMemory: false, threads: 2 }), /threads need shared memory/);
  const { loadDefaultWasm } = await import("../../src/engine/wasm-node.js");
  await assert.rejects(
    createWasmEngine({ sharedMemory: false, wasmSource: loadDefaultWasm("razor.wasm") }),
    /needs razor-single\.wasm/,
  );
});

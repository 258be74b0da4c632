import assert from "node:assert/strict";
import { test } from "node:test";
import lz4 from "lz4js";
import { lz4DecompressFrame } from "../../src/events/decoders/codecs.js";

/** Deterministic pseudo-random bytes in [0, n). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
}

/** Data with what LZ4 meets in event packets and elsewhere: short and long literals, near and far repeats, runs. */
function compressible(size: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(size);
  let i = 0;
  while (i < size) {
    const kind = r(4);
    const len = Math.min(size - i, kind === 3 ? 1 + r(300) : 1 + r(20));
    if (kind === 0 || i < 8) for (let k = 0; k < len; k++) out[i + k] = r(256);
    else if (kind === 1)
      out.fill(r(256), i, i + len); // a run: overlapping matches
    else {
      const from = i - 1 - r(Math.min(i, 70000) - 1);
      for (let k = 0; k < len; k++) out[i + k] = out[from + k]!; // a repeat, possibly overlapping itself
    }
    i += len;
  }
  return out;
}

test("LZ4 frames decode to the bytes compressed (lz4js as the reference encoder), all sizes and patterns", () => {
  for (const [size, seed] of [
    [0, 1],
    [1, 2],
    [15, 3],
    [100, 4],
    [5000, 5],
    [70000, 6],
    [300000, 7],
  ] as const) {
    const plain = compressible(size, seed);
    const frame = lz4.compress(plain);
    assert.deepEqual(lz4DecompressFrame(frame), plain, `size ${size}`);
  }
});

test("LZ4: corrupt frames throw Error with a reason, never read or write out of range", () => {
  const plain = compressible(20000, 9);
  const frame = lz4.compress(plain);
  const r = rng(10);
  let thrown = 0;
  for (let trial = 0; trial < 400; trial++) {
    const bad = frame.slice(0, trial % 2 ? frame.length : 7 + r(frame.length - 7));
    for (let f = 0; f < 1 + r(4); f++) bad[7 + r(bad.length - 7)] ^= 1 << r(8);
    try {
      const out = lz4DecompressFrame(bad);
      assert.ok(out.length <= 4 << 20);
    } catch (e) {
      assert.ok(e instanceof Error && /LZ4/.test(e.message), String(e));
      thrown++;
    }
  }
  assert.ok(thrown > 100);
});

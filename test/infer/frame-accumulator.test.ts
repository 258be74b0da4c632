import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEventStream, sliceByIndex } from "../../src/events/stream.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import { downsample } from "../../src/events/transforms/geometry.js";
import { FrameAccumulator } from "../../src/infer/frame-accumulator.js";
import { Rng } from "../../src/util/rng.js";

test("frames accumulated from chunks equal the batch pipeline's timeWindow frames, whatever the chunking", () => {
  const rng = new Rng(11);
  const n = 3000;
  const t = new Float64Array(n);
  for (let i = 1; i < n; i++) t[i] = t[i - 1]! + (rng.int(5) === 0 ? rng.int(4000) : rng.int(3)) + 0.5 * rng.int(2);
  const sensor = { width: 34, height: 34, polarities: 2 };
  const ev = makeEventStream(
    Float64Array.from(t, (v) => v + 1000),
    Uint16Array.from({ length: n }, () => rng.int(34)),
    Uint16Array.from({ length: n }, () => rng.int(34)),
    Uint8Array.from({ length: n }, () => rng.int(2)),
    sensor,
  );
  const dt = 1234.5;
  for (const [k, tStart] of [
    [1, undefined],
    [2, 600],
    [4, 1500],
  ] as const) {
    const acc = new FrameAccumulator({
      dtUs: dt,
      frameShape: [2, 34 / k, 34 / k].map(Math.ceil),
      downsample: k,
      tStart,
    });
    const got: Float32Array[] = [];
    for (let i = 0; i < n; ) {
      const j = Math.min(n, i + rng.int(400));
      got.push(...acc.push(sliceByIndex(ev, i, j)).map((f) => f.counts));
      i = j;
    }
    got.push(acc.flush()!.counts);
    const origin = tStart ?? ev.t[0]!;
    const frames = Math.floor((ev.t[n - 1]! - origin) / dt) + 1;
    const want = toFrames(downsample(k).apply(ev), { mode: "timeWindow", dt, frames, tStart: origin });
    assert.equal(got.length, frames, `downsample ${k}`);
    const size = want.data.length / frames;
    for (const [i, f] of got.entries()) {
      assert.deepEqual(f, want.data.subarray(i * size, (i + 1) * size), `frame ${i}, k ${k}`);
    }
  }
});

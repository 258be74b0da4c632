import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { frameWindows, toFrames } from "../../src/events/transforms/frames.js";
import { sample, streamOf } from "./helpers.js";

const S = { width: 4, height: 3, polarities: 2 };
// times 10, 20, ..., 100 (10 events), x = i % 4, y = i % 3, p = i % 2
const ten = streamOf(
  Array.from({ length: 10 }, (_, i) => [i % 4, i % 3, 10 * (i + 1), i % 2] as [number, number, number, number]),
  S,
);

function ranges(w: { start: number[]; end: number[] }): [number, number][] {
  return w.start.map((s, k) => [s, w.end[k]!]);
}

test("timeWindow, tonic: floor count, incomplete tail dropped unless includeIncomplete", () => {
  // span 90, dt 40: floor((90-40)/40)+1 = 2 windows [10,50) [50,90)
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 40 })), [
    [0, 4],
    [4, 8],
  ]);
  // ceil((90-40)/40)+1 = 3 windows, the third [90,130)
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 40, includeIncomplete: true })), [
    [0, 4],
    [4, 8],
    [8, 10],
  ]);
  // span 90, dt 30: exactly 3 windows; the last event (t = 100 = t0 + 90) falls outside [70,100), as in Tonic
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 30, includeIncomplete: true })), [
    [0, 3],
    [3, 6],
    [6, 9],
  ]);
  // overlap 10: stride 30, floor((90-40)/30)+1 = 2
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 40, overlap: 10 })), [
    [0, 4],
    [3, 7],
  ]);
});

test("timeWindow, spikingjelly: ceil(span/dt) windows, last one takes the rest", () => {
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 30, convention: "spikingjelly" })), [
    [0, 3],
    [3, 6],
    [6, 10],
  ]);
});

test("timeWindow with a fixed frame count is a grid from tStart; outside events ignored, empty frames padded", () => {
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 25, frames: 3, tStart: 20 })), [
    [1, 4],
    [4, 6],
    [6, 9],
  ]);
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeWindow", dt: 100, frames: 3 })), [
    [0, 10],
    [10, 10],
    [10, 10],
  ]);
});

test("timeBins: tonic drops the remainder, spikingjelly keeps it in the last bin", () => {
  // span 90, 4 bins: w = floor(90/4) = 22; tonic windows end at 10+88 = 98 -> t=100 dropped
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeBins", bins: 4, convention: "tonic" })), [
    [0, 3],
    [3, 5],
    [5, 7],
    [7, 9],
  ]);
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeBins", bins: 4 })), [
    [0, 3],
    [3, 5],
    [5, 7],
    [7, 10],
  ]);
  // span divisible: tonic loses the last event even so
  assert.deepEqual(ranges(frameWindows(ten, { mode: "timeBins", bins: 3, convention: "tonic" })).at(-1), [6, 9]);
});

test("eventBins: tonic drops N % bins, spikingjelly appends them to the last bin; eventCount", () => {
  assert.deepEqual(ranges(frameWindows(ten, { mode: "eventBins", bins: 3, convention: "tonic" })), [
    [0, 3],
    [3, 6],
    [6, 9],
  ]);
  assert.deepEqual(ranges(frameWindows(ten, { mode: "eventBins", bins: 3 })), [
    [0, 3],
    [3, 6],
    [6, 10],
  ]);
  assert.deepEqual(ranges(frameWindows(ten, { mode: "eventCount", count: 4 })), [
    [0, 4],
    [4, 8],
  ]);
  assert.deepEqual(ranges(frameWindows(ten, { mode: "eventCount", count: 4, includeIncomplete: true })), [
    [0, 4],
    [4, 8],
    [8, 10],
  ]);
  assert.deepEqual(ranges(frameWindows(ten, { mode: "eventCount", count: 4, overlap: 2 })), [
    [0, 4],
    [2, 6],
    [4, 8],
    [6, 10],
  ]);
});

test("toFrames counts into [T, P, H, W]: OFF in channel 0, ON in channel 1; P = 1 merges", () => {
  const f = toFrames(ten, { mode: "eventBins", bins: 1 });
  assert.deepEqual(f.shape, [1, 2, 3, 4]);
  const slow = new Float32Array(24);
  for (let i = 0; i < 10; i++) slow[ten.p[i]! * 12 + ten.y[i]! * 4 + ten.x[i]!]! += 1;
  assert.deepEqual(f.data, slow);
  const merged = toFrames(ten, { mode: "eventBins", bins: 2 }, { width: 4, height: 3, polarities: 1 });
  assert.deepEqual(merged.shape, [2, 1, 3, 4]);
  let sum = 0;
  for (const v of merged.data) sum += v;
  assert.equal(sum, 10);
});

test("frames of a real gesture clip equal a slow per-event twin", () => {
  const s = decodeEvents(sample("dvs_gesture/slayerPytorch_binarySpikeTestFiles/3.bs2")).stream;
  const dt = 50000;
  const T = 20;
  const f = toFrames(s, { mode: "timeWindow", dt, frames: T, tStart: 0 });
  const slow = new Float32Array(T * 2 * 128 * 128);
  for (let i = 0; i < s.t.length; i++) {
    const k = Math.floor(s.t[i]! / dt);
    if (k >= T) continue;
    slow[((k * 2 + (s.p[i]! ? 1 : 0)) * 128 + s.y[i]!) * 128 + s.x[i]!]! += 1;
  }
  assert.deepEqual(f.data, slow);
});

test("coordinates outside the frame sensor are refused", () => {
  assert.throws(
    () => toFrames(ten, { mode: "eventBins", bins: 1 }, { width: 2, height: 3, polarities: 2 }),
    RangeError,
  );
});

test("time-based frames refuse unsorted timestamps instead of giving wrong frames", () => {
  const s = streamOf(
    [
      [0, 0, 20, 1],
      [1, 1, 10, 0],
    ],
    S,
  );
  assert.throws(() => toFrames(s, { mode: "timeBins", bins: 2 }), /non-decreasing/);
  assert.equal(toFrames(s, { mode: "eventBins", bins: 2 }).shape[0], 2);
});

test("toFrames into a reused buffer zeroes it first and gives the same counts", () => {
  const buf = new Float32Array(100).fill(7);
  const a = toFrames(ten, { mode: "eventBins", bins: 2 }, S, buf);
  const b = toFrames(ten, { mode: "eventBins", bins: 2 });
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.equal(buf[48], 7, "values past T·P·H·W are left alone");
  assert.throws(() => toFrames(ten, { mode: "eventBins", bins: 2 }, S, new Float32Array(10)), /48 needed/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEventStream } from "../../src/events/stream.js";
import {
  defaultPalette,
  paintChannelFrames,
  paintEvents,
  paintFrame,
  paintRaster,
  rgba,
} from "../../src/web/render.js";

const sensor = { width: 3, height: 2, polarities: 2 };

test("paintEvents: ON, OFF and both colours at the right pixels; out-of-sensor events ignored", () => {
  // (x, y, p): ON at (0,0); OFF at (2,1); ON then OFF at (1,0) -> both; one event outside the sensor
  const ev = makeEventStream(
    new Float64Array([1, 2, 3, 4, 5]),
    new Uint16Array([0, 2, 1, 1, 7]),
    new Uint16Array([0, 1, 0, 0, 0]),
    new Uint8Array([1, 0, 1, 0, 1]),
    sensor,
  );
  const out = new Uint32Array(6);
  const painted = paintEvents(ev, 0, 5, out, 3, 2);
  assert.equal(painted, 4);
  const { background: bg, on, off, both } = defaultPalette;
  assert.deepEqual(Array.from(out), [on, both, bg, bg, bg, off]);
  // a sub-range paints only its events
  paintEvents(ev, 1, 2, out, 3, 2);
  assert.deepEqual(Array.from(out), [bg, bg, bg, bg, bg, off]);
});

test("paintFrame: brightest pixel is the frame's maximum; empty frame is background", () => {
  const frame = new Float32Array(2 * 6);
  frame[6 + 4] = 8; // ON channel, pixel 4
  frame[1] = 2; // OFF channel, pixel 1
  const out = new Uint32Array(6);
  paintFrame(frame, 2, 3, 2, out);
  assert.equal(out[0], defaultPalette.background);
  assert.notEqual(out[4], defaultPalette.background);
  assert.notEqual(out[1], defaultPalette.background);
  // ON pixel at full value is brighter in blue than the half-value (sqrt(2/8)) OFF pixel is in red
  assert.ok(((out[4]! >>> 16) & 255) > ((out[1]! >>> 16) & 255));
  paintFrame(new Float32Array(12), 2, 3, 2, out);
  assert.ok(out.every((c) => c === defaultPalette.background));
  assert.throws(() => paintFrame(new Float32Array(5), 2, 3, 2, out), /expected 2×2×3/);
});

test("paintRaster: time maps to columns, channel to rows with channel 0 at the bottom", () => {
  const ev = makeEventStream(
    new Float64Array([0, 50, 99, 150]),
    new Uint16Array([0, 3, 1, 2]),
    new Uint16Array(4),
    new Uint8Array([1, 1, 1, 1]),
    { width: 4, height: 1, polarities: 1 },
  );
  const w = 10;
  const h = 4;
  const out = new Uint32Array(w * h);
  const c = rgba(1, 2, 3);
  const painted = paintRaster(ev, 0, 100, 4, out, w, h, c, 0);
  assert.equal(painted, 3); // t = 150 is outside [0, 100)
  const lit = [...out.keys()].filter((k) => out[k] === c).map((k) => [k % w, Math.floor(k / w)]);
  assert.deepEqual(lit.sort(), [
    [0, 3],
    [5, 0],
    [9, 2],
  ]);
});

test("paintChannelFrames: frame t is a column band, channels rows from the bottom; brightest = maximum", () => {
  const T = 3;
  const F = 4;
  const data = new Float32Array(T * F);
  data[0 * F + 0] = 4; // frame 0, channel 0
  data[2 * F + 3] = 1; // frame 2, channel 3
  const w = 6;
  const h = 4;
  const out = new Uint32Array(w * h);
  const on = rgba(200, 100, 50);
  const bg = rgba(0, 0, 0);
  paintChannelFrames(data, T, F, out, w, h, on, bg);
  const lit = [...out.keys()].filter((k) => out[k] !== bg).map((k) => [k % w, Math.floor(k / w)]);
  // frame 0 → columns 0-1, channel 0 → bottom row; frame 2 → columns 4-5, channel 3 → top row
  assert.deepEqual(lit.sort(), [
    [0, 3],
    [1, 3],
    [4, 0],
    [5, 0],
  ]);
  assert.equal(out[3 * w], on, "the maximum gets the full colour");
  assert.ok((out[0 * w + 4]! & 255) < 200 && (out[0 * w + 4]! & 255) > 0, "a quarter of the maximum is dimmer");
  assert.throws(() => paintChannelFrames(new Float32Array(5), T, F, out, w, h), /expected 3×4/);
});

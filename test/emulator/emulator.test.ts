import assert from "node:assert/strict";
import { test } from "node:test";
import { EventCameraEmulator, emulateFrames } from "../../src/events/emulator/emulator.js";
import type { EmulatorParams } from "../../src/events/emulator/params.js";
import type { EventStream } from "../../src/events/stream.js";
import { Rng } from "../../src/util/rng.js";

/** No mismatch, no leak, no noise: the pure threshold model. */
const IDEAL: Partial<EmulatorParams> = {
  thresholdOn: 0.2,
  thresholdOff: 0.2,
  thresholdSigma: 0,
  leakRateHz: 0,
  shotNoiseRateHz: 0,
  refractoryUs: 0,
  darkLevel: 0.01,
};

/** Intensity whose log (with the dark offset) is `logDelta` above that of `i0`. */
function stepFrom(i0: number, logDelta: number, dark = 0.01): number {
  return (i0 + dark) * Math.exp(logDelta) - dark;
}

function uniform(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

function countsPerPixel(ev: EventStream, polarity: number): Int32Array {
  const c = new Int32Array(ev.sensor.width * ev.sensor.height);
  for (let k = 0; k < ev.t.length; k++) if (ev.p[k] === polarity) c[ev.y[k]! * ev.sensor.width + ev.x[k]!]!++;
  return c;
}

test("a step of 3.5 thresholds gives 3 ON events per pixel; the residual carries into the next step", () => {
  const w = 3;
  const h = 2;
  const i0 = 0.2;
  const i1 = stepFrom(i0, 3.5 * 0.2);
  const i2 = stepFrom(i1, -3.7 * 0.2); // from residual +0.5θ down 3.7θ = -3.2θ: 3 OFF
  const ev = emulateFrames(
    { width: w, height: h, frames: [uniform(6, i0), uniform(6, i1), uniform(6, i2)], timestamps: [0, 1000, 2000] },
    IDEAL,
  );
  const on = countsPerPixel(ev, 1);
  const off = countsPerPixel(ev, 0);
  for (let i = 0; i < w * h; i++) {
    assert.equal(on[i], 3, `pixel ${i} ON`);
    assert.equal(off[i], 3, `pixel ${i} OFF`);
  }
  // ON events in the first interval, OFF in the second
  for (let k = 0; k < ev.t.length; k++) assert.equal(ev.p[k], ev.t[k]! <= 1000 ? 1 : 0);
});

test("separate ON and OFF thresholds are honoured", () => {
  const params = { ...IDEAL, thresholdOn: 0.2, thresholdOff: 0.3 };
  const i0 = 0.3;
  const i1 = stepFrom(i0, 0.7); // 3 ON (3.5 x 0.2), residual 0.1
  const i2 = stepFrom(i1, -1.05); // 0.1 - 1.05 = -0.95 → 3 OFF (3.17 x 0.3)
  const ev = emulateFrames({ width: 1, height: 1, frames: [[i0], [i1], [i2]], timestamps: [0, 500, 1000] }, params);
  assert.deepEqual(Array.from(ev.p), [1, 1, 1, 0, 0, 0]);
});

test("sub-frame timestamps: crossings are spread inside the interval where the ramp meets each level", () => {
  const i1 = stepFrom(0.5, 3.5 * 0.2);
  const ev = emulateFrames({ width: 1, height: 1, frames: [[0.5], [i1]], timestamps: [10_000, 11_000] }, IDEAL);
  // level k·θ is met at fraction k/3.5 of the 1000 µs interval
  assert.deepEqual(
    Array.from(ev.t),
    [1, 2, 3].map((k) => Math.round(10_000 + (1000 * k) / 3.5)),
  );
  for (const t of ev.t) assert.ok(t > 10_000 && t <= 11_000);
});

test("a bright bar moving right gives ON at its leading edge and OFF at its trailing edge", () => {
  const w = 12;
  const frames: Float64Array[] = [];
  const ts: number[] = [];
  for (let f = 0; f < 6; f++) {
    const img = uniform(w, 0.05);
    for (let x = 2 + f; x < 5 + f; x++) img[x] = 0.9; // 3-pixel bar, one pixel per frame
    frames.push(img);
    ts.push(f * 1000);
  }
  const ev = emulateFrames({ width: w, height: 1, frames, timestamps: ts }, IDEAL);
  for (let k = 0; k < ev.t.length; k++) {
    const f = Math.ceil(ev.t[k]! / 1000); // the event happened between frame f-1 and f
    const expected = ev.x[k] === 4 + f ? 1 : ev.x[k] === 1 + f ? 0 : -1;
    assert.equal(ev.p[k], expected, `event ${k} at x=${ev.x[k]} t=${ev.t[k]}`);
  }
  assert.ok(ev.t.length >= 10);
});

test("the refractory period drops crossings that come too soon after the pixel's last event", () => {
  const i1 = stepFrom(0.5, 3.5 * 0.2); // crossings at 286, 571, 857 µs
  const run = (refractoryUs: number) =>
    emulateFrames({ width: 1, height: 1, frames: [[0.5], [i1]], timestamps: [0, 1000] }, { ...IDEAL, refractoryUs });
  assert.deepEqual(Array.from(run(0).t), [286, 571, 857]);
  assert.deepEqual(Array.from(run(400).t), [286, 857]);
  assert.deepEqual(Array.from(run(1000).t), [286]);
  // The suppressed change is consumed: going back down gives OFF events only for the way back.
  const back = emulateFrames(
    { width: 1, height: 1, frames: [[0.5], [i1], [0.5]], timestamps: [0, 1000, 2000] },
    { ...IDEAL, refractoryUs: 1000 },
  );
  assert.deepEqual(Array.from(back.p), [1, 0]);
});

test("leak gives exactly rate × duration ON events per still pixel", () => {
  const n = 10 * 10;
  const ev = emulateFrames(
    { width: 10, height: 10, frames: [uniform(n, 0.4), uniform(n, 0.4)], timestamps: [0, 10e6] },
    { ...IDEAL, thresholdSigma: 0.05, leakRateHz: 2 },
  );
  const on = countsPerPixel(ev, 1);
  for (let i = 0; i < n; i++) assert.equal(on[i], 20, `pixel ${i}`);
  assert.equal(
    countsPerPixel(ev, 0).reduce((a, b) => a + b, 0),
    0,
  );
});

test("hot pixels: the given share of pixels leaks at the hot rate", () => {
  const n = 40 * 40;
  const ev = emulateFrames(
    { width: 40, height: 40, frames: [uniform(n, 0.4), uniform(n, 0.4)], timestamps: [0, 2e6] },
    { ...IDEAL, leakRateHz: 1, hotPixelFraction: 0.1, hotPixelRateHz: 50, seed: 8 },
  );
  const on = countsPerPixel(ev, 1);
  const hot = on.filter((c) => c >= 99).length; // 50 Hz × 2 s = 100 (99 or 100 by leak phase)
  const normal = on.filter((c) => c === 2 || c === 1).length;
  assert.equal(hot + normal, n);
  assert.ok(Math.abs(hot - 160) < 4 * Math.sqrt(160 * 0.9), `${hot} hot pixels of ${n}`);
});

test("the photoreceptor low-pass delays and spreads events but keeps their number once settled", () => {
  const i1 = stepFrom(0.5, 4.5 * 0.2); // 4 ON events
  const seq = { width: 1, height: 1, frames: [[0.5], [i1]], timestamps: [0, 100] };
  const fast = emulateFrames(seq, IDEAL);
  const emu = new EventCameraEmulator(1, 1, { ...IDEAL, cutoffHz: 100 }); // time constant 1.59 ms
  emu.pushFrame([0.5], 0);
  emu.pushFrame([i1], 100);
  emu.holdUntil(50_000);
  const slow = emu.takeEvents();
  assert.equal(fast.t.length, 4);
  assert.equal(slow.t.length, 4);
  for (let k = 0; k < 4; k++) assert.ok(slow.t[k]! > fast.t[k]!);
  // level k·θ of a 4.5θ step is reached at τ·ln(4.5 / (4.5 − k)) after the step (within the sub-step resolution)
  const tau = 1e6 / (2 * Math.PI * 100);
  const last = tau * Math.log(4.5 / 0.5);
  assert.ok(Math.abs(slow.t[3]! - last) < 0.35 * tau, `last event ${slow.t[3]} µs, expected ≈ ${last.toFixed(0)}`);
});

test("shot noise arrives at the configured rate and ON share", () => {
  const n = 20 * 20;
  const rate = 5;
  const seconds = 10;
  const onFraction = 0.3;
  const ev = emulateFrames(
    { width: 20, height: 20, frames: [uniform(n, 0.4), uniform(n, 0.4)], timestamps: [0, seconds * 1e6] },
    { ...IDEAL, shotNoiseRateHz: rate, shotNoiseOnFraction: onFraction, seed: 5 },
  );
  const expected = rate * n * seconds; // 20 000, Poisson sd ≈ 141
  assert.ok(Math.abs(ev.t.length - expected) < 5 * Math.sqrt(expected), `${ev.t.length} vs ${expected}`);
  const on = ev.p.reduce((a, b) => a + b, 0) / ev.t.length;
  assert.ok(Math.abs(on - onFraction) < 0.02, `ON share ${on}`);
  // spread over the sensor: every pixel's count is plausible for Poisson(50)
  const per = countsPerPixel(ev, 1).map((c, i) => c + countsPerPixel(ev, 0)[i]!);
  assert.ok(Math.min(...per) > 15 && Math.max(...per) < 95);
  for (let k = 1; k < ev.t.length; k++) assert.ok(ev.t[k]! >= ev.t[k - 1]!);
});

test("on random frames the events account for the whole log change of every pixel (residual within thresholds)", () => {
  const rng = new Rng(11);
  for (const [w, h] of [
    [1, 1],
    [5, 3],
    [7, 9],
  ] as const) {
    const n = w * h;
    const frames: Float64Array[] = [];
    const ts: number[] = [];
    let t = 0;
    for (let f = 0; f < 15; f++) {
      frames.push(Float64Array.from({ length: n }, () => rng.uniform()));
      t += 1 + rng.int(5000);
      ts.push(t);
    }
    const params = { ...IDEAL, thresholdOn: 0.15, thresholdOff: 0.25 };
    const ev = emulateFrames({ width: w, height: h, frames, timestamps: ts }, params);
    const on = countsPerPixel(ev, 1);
    const off = countsPerPixel(ev, 0);
    for (let i = 0; i < n; i++) {
      const change = Math.log(frames[14]![i]! + 0.01) - Math.log(frames[0]![i]! + 0.01);
      const residual = change - (on[i]! * 0.15 - off[i]! * 0.25);
      assert.ok(residual > -0.25 - 1e-9 && residual < 0.15 + 1e-9, `pixel ${i} of ${w}x${h}: residual ${residual}`);
    }
    for (let k = 0; k < ev.t.length; k++) {
      assert.ok(ev.t[k]! > ts[0]! && ev.t[k]! <= ts[14]!);
      if (k > 0) assert.ok(ev.t[k]! >= ev.t[k - 1]!);
    }
  }
});

test("same seed gives identical events; another seed differs", () => {
  const n = 8 * 6;
  const rng = new Rng(3);
  const frames = Array.from({ length: 10 }, () => Float32Array.from({ length: n }, () => rng.uniform()));
  const ts = frames.map((_, f) => f * 2000);
  const params = { leakRateHz: 5, shotNoiseRateHz: 20, thresholdSigma: 0.05, refractoryUs: 100 };
  const seq = { width: 8, height: 6, frames, timestamps: ts };
  const a = emulateFrames(seq, { ...params, seed: 1 });
  const b = emulateFrames(seq, { ...params, seed: 1 });
  const c = emulateFrames(seq, { ...params, seed: 2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(Array.from(a.t), Array.from(c.t));
});

test("streaming in pieces gives the same events as one call, and holdUntil equals repeating the frame", () => {
  const n = 4 * 4;
  const rng = new Rng(9);
  const frames = Array.from({ length: 6 }, () => Uint8Array.from({ length: n }, () => rng.int(256)));
  const params = { leakRateHz: 3, shotNoiseRateHz: 10, seed: 4 };
  const whole = emulateFrames(
    { width: 4, height: 4, frames: [...frames, frames[5]!], timestamps: [0, 1e3, 2e3, 3e3, 4e3, 5e3, 9e3] },
    params,
  );
  const emu = new EventCameraEmulator(4, 4, params);
  const parts: number[] = [];
  frames.forEach((f, i) => {
    emu.pushFrame(f, i * 1000);
    parts.push(...emu.takeEvents().t);
  });
  emu.holdUntil(9e3);
  parts.push(...emu.takeEvents().t);
  assert.deepEqual(parts, Array.from(whole.t));
});

test("bad input is refused with the frame and what was expected", () => {
  const emu = new EventCameraEmulator(2, 2);
  assert.throws(() => emu.pushFrame(new Float32Array(3), 0), /frame 0 has 3 values, expected 4 \(2x2\)/);
  emu.pushFrame(new Float32Array(4), 100);
  assert.throws(() => emu.pushFrame(new Float32Array(4), 100), /frame 1 at t=100 µs is not after/);
  assert.throws(() => emu.pushFrame(Float32Array.of(0.9, Number.NaN, 0, 0), 200), /frame 1 pixel 1 has intensity NaN/);
  // a refused frame leaves no trace: the next good frame gives the events of the change from the last good one
  emu.pushFrame(Float32Array.of(0.9, 0, 0, 0), 300);
  assert.ok(emu.takeEvents().t.length >= 15); // log(0.91 / 0.01) / 0.2 ≈ 22 ON events at pixel 0
  assert.throws(() => new EventCameraEmulator(2, 2, { thresholdOn: 0 }), /'thresholdOn' must be > 0/);
  assert.throws(() => new EventCameraEmulator(2, 2, { hotPixelFraction: 2 }), /'hotPixelFraction' must be in \[0, 1\]/);
  assert.throws(
    () => new EventCameraEmulator(2, 2, { nonsense: 1 } as unknown as Partial<EmulatorParams>),
    /unknown parameter 'nonsense'/,
  );
});

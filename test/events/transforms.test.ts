import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { audioFrames } from "../../src/events/transforms/audio.js";
import { denoise, dropEvents, refractory } from "../../src/events/transforms/filters.js";
import { frameSpecKey, toFrames } from "../../src/events/transforms/frames.js";
import {
  centerCrop,
  crop,
  downsample,
  flipLR,
  flipPolarity,
  flipUD,
  mergePolarities,
  sumPoolFrames,
} from "../../src/events/transforms/geometry.js";
import { placeInNoise, poisson } from "../../src/events/transforms/noise.js";
import { evenClips, randomSlice, timeJitter } from "../../src/events/transforms/time.js";
import { compose, transformKey } from "../../src/events/transforms/types.js";
import { Rng } from "../../src/util/rng.js";
import { ev, sample, streamOf } from "./helpers.js";

const gesture = () => decodeEvents(sample("dvs_gesture/slayerPytorch_binarySpikeTestFiles/2.bs2")).stream;

test("downsample by 4 then integrate equals sum-pooling 4×4 blocks of full frames (TA-SNN 128→32)", () => {
  const s = gesture();
  const spec = { mode: "timeWindow" as const, dt: 100000, frames: 14, tStart: 0 };
  const pooled = sumPoolFrames(toFrames(s, spec), 4);
  const small = toFrames(downsample(4).apply(s), spec);
  assert.deepEqual(small.shape, [14, 2, 32, 32]);
  assert.deepEqual(pooled.shape, small.shape);
  assert.deepEqual(pooled.data, small.data);
});

test("crop, center crop, flips and polarity transforms move events as documented", () => {
  const S = { width: 10, height: 8, polarities: 2 };
  const s = streamOf(
    [
      [0, 0, 1, 1],
      [5, 4, 2, 0],
      [9, 7, 3, 1],
    ],
    S,
  );
  const c = crop(4, 3, 6, 5).apply(s);
  assert.equal(c.t.length, 2);
  assert.deepEqual(ev(c, 0), [1, 1, 2, 0]);
  assert.deepEqual(ev(c, 1), [5, 4, 3, 1]);
  assert.deepEqual(c.sensor, { width: 6, height: 5, polarities: 2 });
  assert.deepEqual(centerCrop(2, 2).apply(s).sensor, { width: 2, height: 2, polarities: 2 });
  assert.deepEqual(ev(flipLR().apply(s), 0), [9, 0, 1, 1]);
  assert.deepEqual(ev(flipUD().apply(s), 2), [9, 0, 3, 1]);
  assert.deepEqual(Array.from(flipPolarity().apply(s).p), [0, 1, 0]);
  const m = mergePolarities().apply(s);
  assert.equal(m.sensor.polarities, 1);
  assert.deepEqual(Array.from(m.p), [0, 0, 0]);
});

test("denoise keeps events with a 4-neighbour event within filterTime; refractory drops repeats", () => {
  const S = { width: 5, height: 5, polarities: 2 };
  const s = streamOf(
    [
      [2, 2, 100, 1], // no neighbour yet: dropped
      [2, 3, 150, 1], // (2,2) at 100 within 100 µs: kept
      [4, 4, 160, 0], // isolated: dropped
      [2, 2, 400, 1], // (2,3) last at 150, 250 µs ago: dropped
      [2, 2, 420, 0], // own pixel does not count: dropped
      [1, 2, 450, 1], // (2,2) at 420: kept
    ],
    S,
  );
  const d = denoise(100).apply(s);
  assert.deepEqual(Array.from(d.t), [150, 450]);
  const r = refractory(50).apply(
    streamOf(
      [
        [1, 1, 0, 1],
        [1, 1, 30, 0],
        [1, 1, 60, 1],
        [2, 1, 61, 1],
        [1, 1, 111, 1],
      ],
      S,
    ),
  );
  assert.deepEqual(Array.from(r.t), [0, 60, 61, 111]);
});

test("random transforms are reproducible with the same seed and need an Rng", () => {
  const s = gesture();
  const chain = compose(dropEvents(0.3), timeJitter(50), randomSlice(500000));
  const a = chain.apply(s, new Rng(5));
  const b = chain.apply(s, new Rng(5));
  const c = chain.apply(s, new Rng(6));
  assert.deepEqual(a.t, b.t);
  assert.deepEqual(a.x, b.x);
  assert.notDeepEqual(a.t.length, 0);
  assert.ok(a.t.length !== c.t.length || !a.t.every((v, i) => v === c.t[i]));
  assert.throws(() => dropEvents(0.5).apply(s), /pass an Rng/);
  const kept = dropEvents(0.3).apply(s, new Rng(1)).t.length / s.t.length;
  assert.ok(Math.abs(kept - 0.7) < 0.01, `kept fraction ${kept}`);
  assert.equal(
    transformKey([dropEvents(0.3), randomSlice(500000)]),
    "dropEvents(probability=0.3)|randomSlice(duration=500000)",
  );
  assert.equal(frameSpecKey({ mode: "timeBins", bins: 4 }), "toFrames(bins=4,mode=timeBins)");
});

test("time jitter keeps events sorted and drops negative times", () => {
  const s = gesture();
  const j = timeJitter(1000).apply(s, new Rng(3));
  for (let i = 1; i < j.t.length; i++) assert.ok(j.t[i]! >= j.t[i - 1]!);
  for (let i = 0; i < j.t.length; i++) assert.ok(j.t[i]! >= 0);
  assert.ok(j.t.length < s.t.length && j.t.length > s.t.length * 0.99);
});

test("random slice: window of the requested length inside the recording, re-based to 0", () => {
  const s = gesture();
  for (let seed = 0; seed < 20; seed++) {
    const w = randomSlice(300000).apply(s, new Rng(seed));
    assert.ok(w.t[0]! >= 0 && w.t[w.t.length - 1]! < 300000);
  }
  const f = toFrames(randomSlice(300000).apply(s, new Rng(1)), { mode: "timeWindow", dt: 50000, frames: 6, tStart: 0 });
  assert.deepEqual(f.shape, [6, 2, 128, 128]);
});

test("evenly spread clips: first starts at the first event, last ends at the last event, even spacing", () => {
  const rows: [number, number, number, number][] = [];
  for (let t = 1000; t <= 11000; t += 10) rows.push([1, 1, t, 1]);
  const s = streamOf(rows, { width: 4, height: 4, polarities: 2 });
  const clips = evenClips(s, 5, 2000);
  assert.equal(clips.length, 5);
  // starts 1000, 3000, 5000, 7000, 9000: 200 events each ([start, start + 2000))
  for (const c of clips) {
    assert.equal(c.t.length, 200);
    assert.equal(c.t[0], 0);
  }
  const one = evenClips(s, 1, 2000);
  assert.equal(one[0]!.t.length, 200);
});

test("placeInNoise: recording intact at a seeded offset, noise at the requested rate, window length", () => {
  const s = gesture();
  const dur = 4_000_000;
  const a = placeInNoise(s, dur, 0.5, new Rng(9));
  const b = placeInNoise(s, dur, 0.5, new Rng(9));
  assert.deepEqual(a.stream.t, b.stream.t);
  assert.equal(a.stream.t.length, s.t.length + a.noiseEvents);
  const expected = 0.5 * 128 * 128 * 4;
  assert.ok(Math.abs(a.noiseEvents - expected) < 5 * Math.sqrt(expected));
  assert.ok(a.signalStart >= 0 && a.signalEnd <= dur);
  for (let i = 1; i < a.stream.t.length; i++) assert.ok(a.stream.t[i]! >= a.stream.t[i - 1]!);
  assert.ok(a.stream.t[a.stream.t.length - 1]! < dur);
  // events inside the signal window: at least the whole recording
  let inside = 0;
  for (const t of a.stream.t) if (t >= a.signalStart && t < a.signalEnd) inside++;
  assert.ok(inside >= s.t.length);
  let mean = 0;
  const r = new Rng(4);
  for (let i = 0; i < 2000; i++) mean += poisson(r, 3);
  assert.ok(Math.abs(mean / 2000 - 3) < 0.15);
});

test("audio binning: channel groups and time bins from 0, [T, 1, 1, C]", () => {
  const s = {
    t: new Float64Array([0, 999, 1000, 5500]),
    x: new Uint16Array([0, 9, 10, 699]),
    y: new Uint16Array(4),
    p: new Uint8Array(4),
    sensor: { width: 700, height: 1, polarities: 1 },
  };
  const f = audioFrames(s, { channelBin: 10, dt: 1000, frames: 5 });
  assert.deepEqual(f.shape, [5, 1, 1, 70]);
  assert.equal(f.data[0], 2); // t 0 and 999, channels 0 and 9 -> group 0
  assert.equal(f.data[70 + 1], 1); // t 1000, channel 10 -> group 1
  let sum = 0;
  for (const v of f.data) sum += v;
  assert.equal(sum, 3); // t 5500 is past the 5 bins
});

test("stableTimeOrder sorts like a stable comparison sort on random, nearly sorted and tied input", async () => {
  const { stableTimeOrder } = await import("../../src/events/transforms/time.js");
  const r = new Rng(11);
  for (const [n, kind] of [
    [1, "random"],
    [33, "random"],
    [1000, "random"],
    [5000, "nearly"],
    [777, "ties"],
  ] as [number, string][]) {
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++)
      t[i] = kind === "random" ? r.uniform() * 1e6 : kind === "nearly" ? i * 10 + r.normal() * 30 : r.int(5);
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
    assert.deepEqual(Array.from(stableTimeOrder(t)), want, `${kind} n=${n}`);
  }
});

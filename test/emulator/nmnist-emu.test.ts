import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { directFrames } from "../../src/data/cache/frame-cache.js";
import { labelIndex, parseLabels } from "../../src/data/labels.js";
import { DIGIT_PIXELS, type DigitImages, digitCount, digitImage } from "../../src/data/emulated/digits.js";
import { NmnistEmuStore, nmnistEmuKey, openNmnistEmu } from "../../src/data/emulated/load.js";
import { loadMnistPackageDigits } from "../../src/data/emulated/mnist-package.js";
import {
  emulateSaccadeRecording,
  NMNIST_TIMING,
  nominalDurationMs,
  resolveNmnistEmuParams,
} from "../../src/data/emulated/nmnist-emu.js";
import { pearson, recordingStats } from "../../src/data/emulated/recording-stats.js";
import {
  isRealOverlap,
  NMNIST_SMALL_CLASS_COUNTS,
  realRecordingDigits,
  splitDigits,
  TEST_PER_CLASS,
} from "../../src/data/emulated/split.js";
import { epochBatches, FramesData } from "../../src/data/frames-data.js";
import { framePipeline } from "../../src/data/pipeline.js";
import { decodeEvents } from "../../src/events/decode.js";
import type { EventStream } from "../../src/events/stream.js";
import { sharedDataDir } from "../../src/util/paths.js";

const SMALL = join(sharedDataDir(), "nmnist", "small");
const tmp = mkdtempSync(join(tmpdir(), "nmnist-emu-test-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Labels of the real recordings in id order (ids 1..1000). */
function realLabels(): number[] {
  const file = join(SMALL, "train1K.txt");
  const lines = parseLabels(readFileSync(file, "utf8"), file);
  assert.deepEqual(
    lines.map((l) => l.id),
    lines.map((_, i) => String(i + 1)),
    "train1K.txt lists ids 1..1000 in order",
  );
  return labelIndex(lines).labels;
}

function realRecording(id: number): EventStream {
  const bytes = new Uint8Array(readFileSync(join(SMALL, `${id}.bs2`)));
  return decodeEvents(bytes, { format: "atis40", sensor: { width: 34, height: 34, polarities: 2 } }).stream;
}

function accumulate(ev: EventStream): Float64Array {
  const img = new Float64Array(ev.sensor.width * ev.sensor.height);
  for (let k = 0; k < ev.t.length; k++) img[ev.y[k]! * ev.sensor.width + ev.x[k]!]!++;
  return img;
}

/** Pearson correlation of a and b shifted by (dx, dy), best over shifts of up to 2 pixels. */
function bestCorrelation(a: Float64Array, b: Float64Array, side: number): number {
  let best = -1;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      let sa = 0;
      let sb = 0;
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      const n = side * side;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const u = a[y * side + x]!;
          const xb = x + dx;
          const yb = y + dy;
          const v = xb >= 0 && xb < side && yb >= 0 && yb < side ? b[yb * side + xb]! : 0;
          sa += u;
          sb += v;
          sab += u * v;
          saa += u * u;
          sbb += v * v;
        }
      }
      const r = (sab - (sa * sb) / n) / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
      best = Math.max(best, r);
    }
  }
  return best;
}

/** The first `k` package digits of each class, as a small digit set for fast cache tests. */
function firstDigits(k: number): DigitImages {
  const all = loadMnistPackageDigits();
  return { byClass: all.byClass.map((b) => b.slice(0, k * DIGIT_PIXELS)) };
}

test("the package holds 10 000 digits; the held-out counts are train1K.txt's class histogram", () => {
  const digits = loadMnistPackageDigits();
  const counts = digits.byClass.map((_, c) => digitCount(digits, c));
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    10000,
  );
  const hist = new Array(10).fill(0);
  for (const l of realLabels()) hist[l]++;
  assert.deepEqual(hist, [...NMNIST_SMALL_CLASS_COUNTS]);
});

test("split: test = last 100 per class, train = the rest, disjoint; exclusion drops exactly the real-overlap digits", () => {
  const counts = loadMnistPackageDigits().byClass.map((b) => b.length / DIGIT_PIXELS);
  const key = (r: { label: number; index: number }) => `${r.label}/${r.index}`;
  const train = splitDigits(counts, "train");
  const test = splitDigits(counts, "test");
  const trainX = splitDigits(counts, "train", true);
  assert.equal(test.length, 10 * TEST_PER_CLASS);
  assert.equal(train.length + test.length, 10000);
  const testKeys = new Set(test.map(key));
  assert.ok(train.every((r) => !testKeys.has(key(r))));
  assert.equal(trainX.length, train.length - 1000);
  assert.ok(trainX.every((r) => !isRealOverlap(r.label, r.index)));
  const dropped = train.filter((r) => isRealOverlap(r.label, r.index)).map(key);
  assert.deepEqual(new Set(dropped), new Set(realRecordingDigits(realLabels()).map(key)));
  // the first `count` are balanced over classes and in package order within a class
  const first = splitDigits(counts, "train", true, 25);
  assert.deepEqual(
    first.slice(0, 10).map((r) => r.label),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    first.filter((r) => r.label === 3).map((r) => r.index),
    [93, 94, 95],
  );
});

test("real recording k is package digit (class, rank in class): its events look like that digit, not its neighbours", () => {
  const digits = loadMnistPackageDigits();
  const refs = realRecordingDigits(realLabels());
  // a clean camera and a fixed path so that only the digit differs between candidates
  const params = resolveNmnistEmuParams({
    ...NMNIST_TIMING,
    positionJitterPx: 0,
    triangleJitter: 0,
    saccadeJitter: 0,
    emulator: { leakRateHz: 0, shotNoiseRateHz: 0, hotPixelFraction: 0 },
  });
  const cache = new Map<string, Float64Array>();
  const emulated = (label: number, index: number) => {
    const k = `${label}/${index}`;
    if (!cache.has(k))
      cache.set(k, accumulate(emulateSaccadeRecording(digitImage(digits, label, index), params, 1).events));
    return cache.get(k)!;
  };
  let wins = 0;
  const n = 20;
  for (let id = 1; id <= n; id++) {
    const { label, index } = refs[id - 1]!;
    const real = accumulate(realRecording(id));
    const matching = bestCorrelation(real, emulated(label, index), 34);
    let sibling = -1; // the best of 8 other digits of the same class
    for (let j = 0; j < 9; j++)
      if (j !== index) sibling = Math.max(sibling, bestCorrelation(real, emulated(label, j), 34));
    const otherClass = bestCorrelation(real, emulated((label + 1) % 10, index), 34);
    assert.ok(matching > otherClass, `recording ${id}: ${matching} vs other class ${otherClass}`);
    if (matching > sibling) wins++;
  }
  // Same-class siblings are hard to tell apart; by chance the matching digit would be best of 9 in ~1 of 9 cases
  // (P(>= 15 of 20) < 1e-12). Measured: 17/20 here, 57/60 over the first 60 recordings.
  assert.ok(wins >= 15, `matching digit best in ${wins}/${n}`);
});

test("defaults resemble the real recordings: events per recording, ON share, three saccades in time", () => {
  const digits = loadMnistPackageDigits();
  const refs = realRecordingDigits(realLabels());
  const params = resolveNmnistEmuParams(NMNIST_TIMING);
  const n = 40;
  const real: EventStream[] = [];
  const emu: EventStream[] = [];
  for (let id = 1; id <= n; id++) {
    const { label, index } = refs[id - 1]!;
    real.push(realRecording(id));
    emu.push(emulateSaccadeRecording(digitImage(digits, label, index), params, id).events);
  }
  const r = recordingStats(real);
  const e = recordingStats(emu);
  assert.ok(Math.abs(e.events.mean / r.events.mean - 1) < 0.2, `events ${e.events.mean} vs real ${r.events.mean}`);
  assert.ok(Math.abs(e.onShare.mean - r.onShare.mean) < 0.03, `ON share ${e.onShare.mean} vs ${r.onShare.mean}`);
  assert.ok(Math.abs(e.durationMs.median - r.durationMs.median) < 15);
  // event rate: high mid-saccade (~50, 150, 250 ms), low at the turns (~95, 205 ms), in both
  for (const s of [r, e]) {
    const m = s.rate.meanEvents;
    for (const [peak, turn] of [
      [4, 9],
      [15, 9],
      [25, 21],
    ] as const) {
      assert.ok(m[peak]! > 4 * m[turn]!, `bin ${peak} (${m[peak]}) vs bin ${turn} (${m[turn]})`);
    }
  }
  // per-digit event counts follow the real ones (more ink, more events)
  const rc = real.map((s) => s.t.length);
  const ec = emu.map((s) => s.t.length);
  assert.ok(pearson(rc, ec) > 0.7, `count correlation ${pearson(rc, ec)}`);
});

test("idle gaps carry only background activity: saccade frames hold far more events than idle ones", () => {
  const digits = loadMnistPackageDigits();
  const params = resolveNmnistEmuParams({ idleMs: 300 });
  const { events, timeline } = emulateSaccadeRecording(digitImage(digits, 3, 7), params, 42);
  assert.equal(timeline.saccades.length, 3);
  const moving = timeline.saccades.reduce((a, s) => a + (s.end - s.start), 0);
  assert.ok(Math.abs(timeline.duration - (moving + 3 * params.pauseMs * 1000 + 300_000)) < 1);
  assert.ok(Math.abs(timeline.duration / 1000 - nominalDurationMs(params)) < 10);
  let inSaccade = 0;
  for (const t of events.t) if (timeline.saccades.some((s) => t > s.start && t <= s.end + 20_000)) inSaccade++;
  const idleUs = timeline.duration - moving - 3 * 20_000;
  const rateIn = inSaccade / moving;
  const rateOut = (events.t.length - inSaccade) / idleUs;
  assert.ok(rateIn > 10 * rateOut, `events/µs in saccades ${rateIn} vs idle ${rateOut}`);
  assert.ok(rateOut > 0, "background activity is present in idle time");
  // gaps differ between recordings (random lengths)
  const other = emulateSaccadeRecording(digitImage(digits, 3, 7), params, 43).timeline;
  assert.ok(Math.abs(other.saccades[0]!.start - timeline.saccades[0]!.start) > 1000);
});

test("the store is deterministic, caches on disk, and a new key or a damaged file regenerates", () => {
  const digits = firstDigits(3);
  const root = join(tmp, "store");
  const a = new NmnistEmuStore({ digits, cacheRoot: root, seed: 7 });
  const first = a.recording(4, 2);
  assert.equal(a.generatedBlocks, 1);

  const b = new NmnistEmuStore({ digits, cacheRoot: root, seed: 7 });
  assert.deepEqual(b.recording(4, 2), first);
  assert.equal(b.generatedBlocks, 0);
  assert.equal(b.readBlocks, 1);

  // another seed, another parameter: another key and other events
  const c = new NmnistEmuStore({ digits, cacheRoot: root, seed: 8 });
  assert.notEqual(c.key, a.key);
  assert.notDeepEqual(Array.from(c.recording(4, 2).t), Array.from(first.t));
  const d = new NmnistEmuStore({ digits, cacheRoot: root, seed: 7, params: { emulator: { thresholdOn: 0.3 } } });
  assert.notEqual(d.key, a.key);
  assert.notEqual(d.recording(4, 2).t.length, first.t.length);
  assert.equal(d.generatedBlocks, 1);

  // parameter spelling does not matter, values do
  const p1 = resolveNmnistEmuParams({ idleMs: 100, blurPx: 0.5 });
  const p2 = resolveNmnistEmuParams({ blurPx: 0.5, idleMs: 100 });
  assert.equal(nmnistEmuKey(p1, 0), nmnistEmuKey(p2, 0));
  assert.notEqual(nmnistEmuKey(p1, 0), nmnistEmuKey(resolveNmnistEmuParams({ blurPx: 0.5, idleMs: 101 }), 0));

  // a truncated block file is regenerated, giving the same events
  const folder = join(root, a.key);
  const file = readdirSync(folder).find((f) => f.startsWith("c4-"))!;
  truncateSync(join(folder, file), 100);
  const e = new NmnistEmuStore({ digits, cacheRoot: root, seed: 7 });
  assert.deepEqual(e.recording(4, 2), first);
  assert.equal(e.generatedBlocks, 1);
});

test("openNmnistEmu gives train/test samples with labels, cache identities and loadable events", async () => {
  const ds = await openNmnistEmu({
    cacheRoot: join(tmp, "open"),
    trainCount: 10,
    testCount: 10,
    excludeRealOverlap: true,
    progress: false,
    blockSize: 1,
    params: NMNIST_TIMING,
  });
  assert.deepEqual(ds.sensor, { width: 34, height: 34, polarities: 2 });
  assert.equal(ds.splits.train!.length, 10);
  assert.deepEqual(
    ds.splits.train!.map((s) => s.label),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(ds.splits.train![0]!.id, `0-00${NMNIST_SMALL_CLASS_COUNTS[0]}`);
  const ev = await ds.splits.test![3]!.load();
  assert.ok(ev.t.length > 1000);
  for (let k = 1; k < ev.t.length; k++) assert.ok(ev.t[k]! >= ev.t[k - 1]!);
  assert.match(ds.splits.test![3]!.identity(), /^nmnist-emu\|v\d+-[0-9a-f]{16}\|3-\d{4}$/);
});

test("N-MNIST-emu goes through the data layer's frame pipeline and batch loader", async () => {
  const ds = await openNmnistEmu({
    cacheRoot: join(tmp, "loader"),
    trainCount: 4,
    testCount: 0,
    progress: false,
    blockSize: 1,
    params: { idleMs: 100 },
  });
  const pipeline = framePipeline({ mode: "timeWindow", dt: 20_000, frames: 21, tStart: 0 });
  const data = new FramesData({
    samples: ds.splits.train!,
    classes: Array.from({ length: 10 }, (_, i) => String(i)),
    pipeline,
    source: directFrames,
    T: 21,
    frameShape: [2, 34, 34],
    preprocessing: {},
  });
  const batches = [];
  for await (const { batch } of epochBatches(data, 0, { batchSize: 4, seed: 0, shuffle: false })) batches.push(batch);
  assert.equal(batches.length, 1);
  const b = batches[0]!;
  assert.deepEqual(b.input.shape, [21, 4, 2, 34, 34]);
  assert.deepEqual(Array.from(b.labels), [0, 1, 2, 3]);
  // frames differ in how much they carry: the busiest frame holds many times the events of the quietest
  const B = 4;
  const perFrame = Array.from({ length: 21 }, (_, t) => {
    let s = 0;
    for (let k = t * B * 2 * 34 * 34; k < (t + 1) * B * 2 * 34 * 34; k++) s += b.input.data[k]!;
    return s;
  });
  assert.ok(Math.max(...perFrame) > 10 * Math.max(1, Math.min(...perFrame)), perFrame.join(" "));
});

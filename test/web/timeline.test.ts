import assert from "node:assert/strict";
import { test } from "node:test";
import { type EventStream, lowerBoundTime, makeEventStream } from "../../src/events/stream.js";
import { Rng } from "../../src/util/rng.js";
import { buildTimeIndex, eventIndexAt } from "../../src/web/timeline.js";

function randomStream(rng: Rng, n: number, span: number): EventStream {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = 1000 + Math.floor(rng.uniform() * span);
  t.sort();
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = rng.uniform() < 0.5 ? 1 : 0;
  return makeEventStream(t, new Uint16Array(n), new Uint16Array(n), p, { width: 4, height: 4, polarities: 2 });
}

test("time index: bin offsets, ON/OFF counts and lookups agree with a plain scan", () => {
  const rng = new Rng(7);
  for (const [n, bins] of [
    [0, 1],
    [1, 1],
    [1, 7],
    [13, 5],
    [1000, 1],
    [1000, 37],
    [5000, 1000],
  ] as const) {
    const ev = randomStream(rng, n, 12345);
    const idx = buildTimeIndex(ev, bins);
    assert.equal(idx.offsets.length, bins + 1);
    assert.equal(idx.offsets[0], 0);
    assert.equal(idx.offsets[bins], n);
    let on = 0;
    let off = 0;
    for (let b = 0; b < bins; b++) {
      const lo = idx.offsets[b]!;
      const hi = idx.offsets[b + 1]!;
      assert.ok(lo <= hi);
      let bOn = 0;
      for (let i = lo; i < hi; i++) {
        const bin = Math.min(bins - 1, Math.floor((ev.t[i]! - idx.t0) / idx.binUs));
        assert.equal(bin, b, `event ${i} at t ${ev.t[i]} is in bin ${b}`);
        bOn += ev.p[i]!;
      }
      assert.equal(idx.on[b], bOn);
      assert.equal(idx.off[b], hi - lo - bOn);
      on += idx.on[b]!;
      off += idx.off[b]!;
    }
    assert.equal(on + off, n);
    for (let k = 0; k < 50; k++) {
      const time = idx.t0 - 100 + rng.uniform() * (idx.t1 - idx.t0 + 200);
      assert.equal(eventIndexAt(ev, idx, time), lowerBoundTime(ev.t, time), `n ${n} bins ${bins} time ${time}`);
    }
    if (n > 0) assert.equal(eventIndexAt(ev, idx, ev.t[n - 1]!), lowerBoundTime(ev.t, ev.t[n - 1]!));
  }
});

test("time index: rejects a bin count that is not a positive integer", () => {
  const ev = randomStream(new Rng(1), 10, 100);
  assert.throws(() => buildTimeIndex(ev, 0), /bins must be a positive integer/);
  assert.throws(() => buildTimeIndex(ev, 2.5), /bins must be a positive integer/);
});

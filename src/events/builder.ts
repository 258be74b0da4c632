import type { EventStream, SensorSize } from "./stream.js";

/**
 * An empty builder's arrays, shared by all: they have no room to write to and are never handed out (take() gives
 * fresh arrays for no events), so small decodes allocate only the arrays they fill.
 */
const NONE_T = new Float64Array(0);
const NONE_XY = new Uint16Array(0);
const NONE_P = new Uint8Array(0);

/** Outputs up to this many bytes share one allocation (13 bytes an event). */
const ONE_BUFFER_BYTES = 1 << 20;

/**
 * Arrays t, x, y, p for n events. A small output is one allocation (t first: 8-byte aligned) instead of four:
 * allocations are most of a small decode's cost; a user that keeps one column keeps all four alive. A large one
 * stays four: in repeated decodes of 1.2 M events, one 16 MB buffer was more often handed fresh pages by malloc,
 * which page-faulted in at several times the cost of the decode.
 */
function columns(n: number): [Float64Array, Uint16Array, Uint16Array, Uint8Array] {
  if (13 * n > ONE_BUFFER_BYTES)
    return [new Float64Array(n), new Uint16Array(n), new Uint16Array(n), new Uint8Array(n)];
  const b = new ArrayBuffer(13 * n);
  return [
    new Float64Array(b, 0, n),
    new Uint16Array(b, 8 * n, n),
    new Uint16Array(b, 10 * n, n),
    new Uint8Array(b, 12 * n, n),
  ];
}

/**
 * Growable struct-of-arrays event storage for decoders. Hot loops write straight into the public arrays after
 * `reserve(n)`, then set `length`; `take()` hands the events out as an EventStream and starts afresh.
 */
export class EventBuilder {
  t: Float64Array;
  x: Uint16Array;
  y: Uint16Array;
  p: Uint8Array;
  length = 0;

  constructor(capacity = 0) {
    if (capacity > 0) {
      [this.t, this.x, this.y, this.p] = columns(capacity);
    } else {
      this.t = NONE_T;
      this.x = NONE_XY;
      this.y = NONE_XY;
      this.p = NONE_P;
    }
  }

  /** Makes room for `extra` more events (amortised doubling). */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.t.length) return;
    const cap = Math.max(need, Math.min(this.t.length * 2, need + (1 << 24)), 1024);
    const [t, x, y, p] = columns(cap);
    const n = this.length;
    t.set(this.t.subarray(0, n));
    x.set(this.x.subarray(0, n));
    y.set(this.y.subarray(0, n));
    p.set(this.p.subarray(0, n));
    this.t = t;
    this.x = x;
    this.y = y;
    this.p = p;
  }

  /** Appends one event (slow path; hot loops write the arrays directly). */
  push(t: number, x: number, y: number, p: number): void {
    if (this.length === this.t.length) this.reserve(1);
    const k = this.length++;
    this.t[k] = t;
    this.x[k] = x;
    this.y[k] = y;
    this.p[k] = p;
  }

  /** The events so far as a stream; the builder is left empty. Views when little space is wasted, else copies. */
  take(sensor: SensorSize): EventStream {
    const n = this.length;
    const cap = this.t.length;
    this.length = 0;
    if (n === 0) return emptyStream(sensor); // keep the arrays: nothing to hand out
    if (n < cap * 0.75) {
      // copy out and keep the arrays for the next chunk
      const [t, x, y, p] = columns(n);
      t.set(this.t.subarray(0, n));
      x.set(this.x.subarray(0, n));
      y.set(this.y.subarray(0, n));
      p.set(this.p.subarray(0, n));
      return { t, x, y, p, sensor };
    }
    const out = {
      t: this.t.subarray(0, n),
      x: this.x.subarray(0, n),
      y: this.y.subarray(0, n),
      p: this.p.subarray(0, n),
      sensor,
    };
    this.t = NONE_T;
    this.x = NONE_XY;
    this.y = NONE_XY;
    this.p = NONE_P;
    return out;
  }
}

function emptyStream(sensor: SensorSize): EventStream {
  return { t: new Float64Array(0), x: new Uint16Array(0), y: new Uint16Array(0), p: new Uint8Array(0), sensor };
}

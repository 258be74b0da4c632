import { type EventStream, makeEventStream, type SensorSize } from "../stream.js";

/** A growable struct-of-arrays event buffer; `take()` hands out what was gathered and starts over. */
export class EventBuilder {
  private t = new Float64Array(1024);
  private x = new Uint16Array(1024);
  private y = new Uint16Array(1024);
  private p = new Uint8Array(1024);
  private n = 0;

  constructor(readonly sensor: SensorSize) {}

  get length(): number {
    return this.n;
  }

  push(t: number, x: number, y: number, p: number): void {
    if (this.n === this.t.length) this.grow();
    const k = this.n++;
    this.t[k] = t;
    this.x[k] = x;
    this.y[k] = y;
    this.p[k] = p;
  }

  /** The events gathered so far, as a stream of exactly that length (copies); the builder is emptied. */
  take(): EventStream {
    const n = this.n;
    const out = makeEventStream(
      this.t.slice(0, n),
      this.x.slice(0, n),
      this.y.slice(0, n),
      this.p.slice(0, n),
      this.sensor,
    );
    this.n = 0;
    return out;
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const t = new Float64Array(cap);
    const x = new Uint16Array(cap);
    const y = new Uint16Array(cap);
    const p = new Uint8Array(cap);
    t.set(this.t);
    x.set(this.x);
    y.set(this.y);
    p.set(this.p);
    this.t = t;
    this.x = x;
    this.y = y;
    this.p = p;
  }
}

/** Joins streams of the same sensor end to end (their times must already be in order). */
export function concatEventStreams(parts: EventStream[], sensor: SensorSize): EventStream {
  let n = 0;
  for (const s of parts) n += s.t.length;
  const t = new Float64Array(n);
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const p = new Uint8Array(n);
  let o = 0;
  for (const s of parts) {
    t.set(s.t, o);
    x.set(s.x, o);
    y.set(s.y, o);
    p.set(s.p, o);
    o += s.t.length;
  }
  return makeEventStream(t, x, y, p, sensor);
}

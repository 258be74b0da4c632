import { LOOP_SLICE, WordReader } from "./bytes.js";
import { type EventsWasm, eventsWasm, WASM_SLACK } from "./events-wasm.js";
import { PercentHeaderDecoder } from "./prophesee-header.js";

/** Records the wasm loop takes per slice: 256 KiB in and their columns stay in the second-level cache. */
const WASM_SLICE_RECORDS = 1 << 15;

/** Words of the records being decoded (shared: every use ends within one synchronous parse call). */
const recordWords = new WordReader();

/**
 * Prophesee DAT (v2, e.g. N-CARS): `%` header, one byte event type and one byte event size (8), then 8-byte
 * little-endian records: uint32 t (µs), uint32 a with x = a & 0x3FFF, y = (a >> 14) & 0x3FFF,
 * p = (a >> 28) & 0xF (stored as 0/1: any non-zero polarity is ON). A 32-bit timestamp that drops by more than
 * 2^31 is taken as a wrap (+2^32 µs), as expelliarmus does.
 */
export class DatDecoder extends PercentHeaderDecoder {
  readonly format = "dat" as const;
  private typeDone = false;
  private wraps = 0;
  private lastRaw = 0;
  private readonly wasm: EventsWasm | null = eventsWasm();

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = this.takeHeader(buf, base, final);
    if (pos < 0) return 0;
    if (!this.typeDone) {
      if (buf.length - pos < 2) {
        if (final && buf.length - pos === 1) this.truncated(base + pos, "the event type/size byte pair");
        if (final) return buf.length; // header only: no events
        return pos;
      }
      const type = buf[pos]!;
      const size = buf[pos + 1]!;
      if (size !== 8) this.fail(base + pos + 1, `DAT event size is ${size}; expected 8`);
      this.info.eventType = type;
      this.typeDone = true;
      pos += 2;
    }
    const n = ((buf.length - pos) / 8) | 0;
    const end = pos + n * 8;
    if (final && end !== buf.length) this.truncated(base + end, "an 8-byte DAT record");
    this.out.reserve(n);
    if (this.wasm !== null) {
      this.recordsWasm(this.wasm, buf, pos, n, base + pos);
      return end;
    }
    // each record as two little-endian words: t, then a; a slice at a time, so that a misaligned buffer is copied
    // through a scratch buffer that stays small and in cache
    for (let r = 0; r < n; r += LOOP_SLICE) {
      const m = Math.min(n - r, LOOP_SLICE);
      this.records(recordWords.words(buf, pos + 8 * r, 8 * m), m, base + pos + 8 * r);
    }
    return end;
  }

  /**
   * Records buf[pos, pos + 8n) (file offset `at`) through the wasm loop, a slice at a time, into the output. A
   * record the loop stops at is judged here as records() judges it: an error, or (time going back where that is
   * allowed) kept.
   */
  private recordsWasm(wasm: EventsWasm, buf: Uint8Array, pos: number, n: number, at: number): void {
    const [W, H] = this.sensorLimits();
    const per = Math.min(n, WASM_SLICE_RECORDS);
    const src = wasm.heap;
    const cols = wasm.columns(src + 8 * per + WASM_SLACK, per);
    const { T, X, Y, P } = cols;
    const f = wasm.f64;
    const si = wasm.stateIndex;
    f.set([this.lastT, this.maxX, this.maxY, this.wraps, this.lastRaw], si);
    for (let s0 = 0; s0 < n; s0 += per) {
      const m = Math.min(per, n - s0);
      const from = pos + 8 * s0;
      wasm.u8.set(buf.subarray(from, from + 8 * m), src);
      for (let i = 0; i < m; ) {
        const bad = wasm.fn.datRecords(src, i, m, T, X, Y, P, W, H, wasm.state);
        if (bad < 0) break;
        this.wraps = f[si + 3]!;
        this.lastRaw = f[si + 4]!;
        const odd: [number, number, number, number] = [f[si + 5]!, f[si + 6]!, f[si + 7]!, f[si + 8]!];
        this.keepOddWasmEvent(wasm, cols, bad, at + 8 * (s0 + bad), odd);
        i = bad + 1;
      }
      wasm.copyOut(this.out, T, X, Y, P, m);
    }
    this.lastT = f[si]!;
    this.maxX = f[si + 1]!;
    this.maxY = f[si + 2]!;
    this.wraps = f[si + 3]!;
    this.lastRaw = f[si + 4]!;
  }

  /** Records [0, n) of w (record 0 at file offset `at`) into the output (where wasm is unavailable). */
  private records(w: Int32Array, n: number, at: number): void {
    const out = this.out;
    const limits = this.sensorLimits();
    const W = limits[0];
    const H = limits[1];
    const T = out.t;
    const X = out.x;
    const Y = out.y;
    const P = out.p;
    let k = out.length;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    // the wrap state lives in locals inside the loop (fields would be stored back on every record)
    let lastRaw = this.lastRaw;
    let tHigh = this.wraps * 4294967296;
    for (let q = 0, j = at; q < 2 * n; q += 2, j += 8) {
      const raw = w[q]! >>> 0;
      const a = w[q + 1]!;
      if (raw < lastRaw && lastRaw - raw > 2147483648) {
        this.wraps++;
        tHigh = this.wraps * 4294967296;
      }
      lastRaw = raw;
      const t = tHigh + raw;
      const x = a & 0x3fff;
      const y = (a >>> 14) & 0x3fff;
      if (t < last || x >= W || y >= H) {
        this.lastRaw = lastRaw;
        if (t < last) {
          this.lastT = last;
          this.timeWentBack(j, t);
        }
        if (x >= W || y >= H) this.outOfSensor(j, x, y);
      }
      last = t;
      if (x > mx) mx = x;
      if (y > my) my = y;
      T[k] = t;
      X[k] = x;
      Y[k] = y;
      P[k] = ((a >>> 28) + 15) >> 4; // 0 for polarity 0, else 1, without a branch
      k++;
    }
    out.length = k;
    this.lastRaw = lastRaw;
    this.lastT = last;
    this.maxX = mx;
    this.maxY = my;
  }
}

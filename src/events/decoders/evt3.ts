import { WordReader } from "./bytes.js";
import { type EventsWasm, eventsWasm, WASM_SLACK } from "./events-wasm.js";
import { PercentHeaderDecoder } from "./prophesee-header.js";

/** Decoder state carried across words and chunks. */
interface Evt3State {
  y: number;
  baseX: number;
  pol: number;
  timeHigh: number;
  wraps: number;
  /** current time in µs */
  t: number;
  last: number;
  mx: number;
  my: number;
  k: number;
  unsorted: boolean;
  /** why runWords stopped early: 0 capacity or end, 1 time went back, 2 outside the sensor, 3 unknown word */
  stop: number;
  stopX: number;
}

/** Bytes of words copied into wasm memory at a time (bounds the wasm memory a large chunk needs). */
const WASM_CHUNK_BYTES = 4 << 20;
/** Bytes of words the wasm loops take per call: with their events, they stay in the second-level cache. */
const WASM_SLICE_BYTES = 64 << 10;
/** Where the word counts start among the wasm loops' state slots (assembly/events/evt3.ts). */
const WASM_COUNTS = 13;
/** The stop code of evt3Fast that asks for the checked loop (STOP_RECHECK in assembly/events/evt3.ts). */
const WASM_RECHECK = 4;

/** Events each 16-bit EVT 3.0 word yields: 1 for ADDR_X, the set bits of a VECT_12 / VECT_8 mask, else 0. */
let eventsPerWord: Uint8Array | null = null;

function eventsPerWordTable(): Uint8Array {
  if (eventsPerWord) return eventsPerWord;
  const tab = new Uint8Array(65536);
  for (let w = 0; w < 65536; w++) {
    const type = w >>> 12;
    let bits = type === 0x4 ? w & 0xfff : type === 0x5 ? w & 0xff : 0;
    let n = type === 0x2 ? 1 : 0;
    for (; bits !== 0; bits &= bits - 1) n++;
    tab[w] = n;
  }
  eventsPerWord = tab;
  return tab;
}

/** The number of events words [j, end) hold at most (exactly, when no word breaks a rule): sizes the output once. */
function countEvents(w: Uint16Array): number {
  const tab = eventsPerWordTable();
  let n = 0;
  for (let i = 0; i < w.length; i++) n += tab[w[i]!]!;
  return n;
}

/**
 * The hot loop over EVT 3.0 words [j, end) (as 16-bit words w[j >> 1 ...]; j counts bytes). Stops early when fewer
 * than 12 output slots remain or at the first word that breaks a rule (reported in st.stop); returns the byte
 * position of the word it stopped at. Per-word work is kept small: the row's x limit is set when y changes (so an
 * event checks one bound), the time order is checked once per time change, type counts live in locals.
 */
function runWords(
  w: Uint16Array,
  j: number,
  end: number,
  st: Evt3State,
  T: Float64Array,
  X: Uint16Array,
  Y: Uint16Array,
  P: Uint8Array,
  W: number,
  H: number,
  strict: boolean,
  counts: Uint32Array,
): number {
  let { y, baseX, pol, timeHigh, t, last, mx, my, k } = st;
  let tHighUs = st.wraps * 16777216 + timeHigh * 4096;
  // x must stay below xLimit: W on a row inside the sensor, 0 (every x fails) on a row outside it
  let xLimit = y < H ? W : 0;
  // the time changed since the last event: check its order at the next event
  let timeMoved = true;
  let nY = 0;
  let nX = 0;
  let nBase = 0;
  let n12 = 0;
  let n8 = 0;
  let nLow = 0;
  let nHigh = 0;
  const cap = T.length - 12;
  const stopAt = end >> 1;
  let i = j >> 1;
  st.stop = 0;
  for (; i < stopAt && k <= cap; i++) {
    const word = w[i]!;
    const type = word >>> 12;
    if (type === 0x2) {
      nX++;
      const x = word & 0x7ff;
      if (timeMoved) {
        if (t < last) {
          if (strict) {
            st.stop = 1;
            break;
          }
          st.unsorted = true;
        }
        last = t;
        timeMoved = false;
      }
      if (x >= xLimit) {
        st.stop = 2;
        st.stopX = x;
        break;
      }
      if (x > mx) mx = x;
      if (y > my) my = y;
      T[k] = t;
      X[k] = x;
      Y[k] = y;
      P[k] = (word >>> 11) & 1;
      k++;
    } else if (type === 0x0) {
      nY++;
      y = word & 0x7ff;
      xLimit = y < H ? W : 0;
    } else if (type === 0x4 || type === 0x5) {
      const bits = type === 0x4 ? 12 : 8;
      const mask = word & (type === 0x4 ? 0xfff : 0xff);
      if (type === 0x4) n12++;
      else n8++;
      if (mask !== 0) {
        if (timeMoved) {
          if (t < last) {
            if (strict) {
              st.stop = 1;
              break;
            }
            st.unsorted = true;
          }
          last = t;
          timeMoved = false;
        }
        const top = baseX + 31 - Math.clz32(mask);
        if (top >= xLimit) {
          st.stop = 2;
          st.stopX = top;
          break;
        }
        if (top > mx) mx = top;
        if (y > my) my = y;
        for (let m = mask, b = 0; m !== 0; m >>>= 1, b++) {
          if (m & 1) {
            T[k] = t;
            X[k] = baseX + b;
            Y[k] = y;
            P[k] = pol;
            k++;
          }
        }
      }
      baseX += bits;
    } else if (type === 0x3) {
      nBase++;
      baseX = word & 0x7ff;
      pol = (word >>> 11) & 1;
    } else if (type === 0x6) {
      nLow++;
      t = tHighUs + (word & 0xfff);
      timeMoved = true;
    } else if (type === 0x8) {
      nHigh++;
      const th = word & 0xfff;
      if (th < timeHigh) st.wraps++;
      timeHigh = th;
      tHighUs = st.wraps * 16777216 + timeHigh * 4096;
      t = tHighUs + (t % 4096);
      timeMoved = true;
    } else if (type !== 0x7 && type !== 0xa && type !== 0xe && type !== 0xf) {
      st.stop = 3;
      break;
    }
  }
  counts[0] += nY;
  counts[2] += nX;
  counts[3] += nBase;
  counts[4] += n12;
  counts[5] += n8;
  counts[6] += nLow;
  counts[8] += nHigh;
  st.y = y;
  st.baseX = baseX;
  st.pol = pol;
  st.timeHigh = timeHigh;
  st.t = t;
  st.last = last;
  st.mx = mx;
  st.my = my;
  st.k = k;
  return i << 1;
}

/**
 * Prophesee EVT 3.0: `%` header, then little-endian 16-bit words, type = w >> 12. A state machine keeps y, the
 * vector base x and polarity, and the 24-bit time (TIME_HIGH 12 MSB, TIME_LOW 12 LSB). The time wraps (+2^24 µs)
 * only when TIME_HIGH decreases; a TIME_LOW that goes back is not a wrap (event-formats.md §6).
 */
export class Evt3Decoder extends PercentHeaderDecoder {
  readonly format = "evt3" as const;
  private readonly st: Evt3State = {
    y: 0,
    baseX: 0,
    pol: 0,
    timeHigh: 0,
    wraps: 0,
    t: 0,
    last: Number.NEGATIVE_INFINITY,
    mx: -1,
    my: -1,
    k: 0,
    unsorted: false,
    stop: 0,
    stopX: 0,
  };
  readonly wordCounts = new Uint32Array(16);
  private readonly reader = new WordReader();
  private readonly wasm: EventsWasm | null = eventsWasm();

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    const pos = this.takeHeader(buf, base, final);
    if (pos < 0) return 0;
    const words = ((buf.length - pos) / 2) | 0;
    const end = pos + words * 2;
    if (final && end !== buf.length) this.truncated(base + end, "a 16-bit EVT 3.0 word");
    if (this.wasm !== null) this.runWasm(this.wasm, buf, base, pos, end);
    else this.runJs(buf, base, pos, end);
    const st = this.st;
    if (st.unsorted) this.timeSorted = false;
    this.lastT = st.last;
    this.maxX = st.mx;
    this.maxY = st.my;
    const c = this.wordCounts;
    this.info.wordCounts = {
      ADDR_Y: c[0],
      ADDR_X: c[2],
      VECT_BASE_X: c[3],
      VECT_12: c[4],
      VECT_8: c[5],
      TIME_LOW: c[6],
      TIME_HIGH: c[8],
    };
    return end;
  }

  /** Throws the error of the word runWords stopped at (st.stop 1, 2 or 3, at byte `at` of the file). */
  private stopped(at: number, word: number): void {
    const st = this.st;
    if (st.stop === 1) {
      this.lastT = st.last;
      this.timeWentBack(at, st.t);
    } else if (st.stop === 2) {
      this.lastT = st.last;
      this.maxX = st.mx;
      this.outOfSensor(at, st.stopX, st.y);
    } else if (st.stop === 3) {
      this.fail(at, `word type 0x${(word >>> 12).toString(16)} is not defined in EVT 3.0`);
    }
  }

  /**
   * The words of buf[pos, end) through the wasm loops: copied in up to WASM_CHUNK_BYTES at a time, their events
   * counted (the output is sized once), then run a slice at a time through evt3Fast, or where it finds something
   * to judge (a rule broken, or time going back even where allowed), through evt3Words over the same slice from
   * the same state. Slices small enough for the second-level cache keep the loop's events there until copied out.
   */
  private runWasm(wasm: EventsWasm, buf: Uint8Array, base: number, pos: number, end: number): void {
    const st = this.st;
    const c = this.wordCounts;
    const [W, H] = this.sensorLimits();
    const si = wasm.stateIndex;
    const fn = wasm.fn;
    const words = wasm.heap;
    for (let chunk = pos; chunk < end; ) {
      const chunkBytes = Math.min(end - chunk, WASM_CHUNK_BYTES);
      wasm.ensure(words + chunkBytes + WASM_SLACK);
      wasm.u8.set(buf.subarray(chunk, chunk + chunkBytes), words);
      this.out.reserve(fn.evt3CountEvents(words, chunkBytes >> 1));
      for (let from = 0; from < chunkBytes; ) {
        const bytes = Math.min(chunkBytes - from, WASM_SLICE_BYTES);
        const nw = bytes >> 1;
        const w = words + from;
        const cap = 12 * nw + 12;
        const { T, X, Y, P } = wasm.columns(words + chunkBytes + WASM_SLACK, cap);
        this.setWasmState(wasm);
        let i = fn.evt3Fast(w, nw, wasm.state, T, X, Y, P, W, H);
        if (wasm.f64[si + 11] === WASM_RECHECK) {
          this.setWasmState(wasm);
          fn.evt3CountTypes(w, nw, wasm.state);
          i = fn.evt3Words(w, 0, nw, wasm.state, T, X, Y, P, cap, W, H, this.strictTime ? 1 : 0);
        }
        const f = wasm.f64;
        [st.y, st.baseX, st.pol, st.timeHigh, st.wraps, st.t, st.last, st.mx, st.my] = f.subarray(si, si + 9);
        const k = f[si + 9]!;
        st.unsorted = f[si + 10] !== 0;
        st.stop = f[si + 11]!;
        st.stopX = f[si + 12]!;
        [c[0], c[2], c[3], c[4], c[5], c[6], c[8]] = f.subarray(si + WASM_COUNTS, si + WASM_COUNTS + 7);
        wasm.copyOut(this.out, T, X, Y, P, k);
        if (i < nw) this.stopped(base + chunk + from + 2 * i, wasm.u16[(w >> 1) + i]!);
        from += bytes;
      }
      chunk += chunkBytes;
    }
  }

  /** Writes the decoder state and word counts into the wasm loops' state slots (no events written yet). */
  private setWasmState(wasm: EventsWasm): void {
    const st = this.st;
    const c = this.wordCounts;
    const f = wasm.f64;
    const si = wasm.stateIndex;
    f.set([st.y, st.baseX, st.pol, st.timeHigh, st.wraps, st.t, st.last, st.mx, st.my, 0, st.unsorted ? 1 : 0], si);
    f.set([c[0]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[8]!], si + WASM_COUNTS);
  }

  /** The words of buf[pos, end) through runWords (where wasm is unavailable). */
  private runJs(buf: Uint8Array, base: number, pos: number, end: number): void {
    const out = this.out;
    const st = this.st;
    const [W, H] = this.sensorLimits();
    const w = this.reader.halfWords(buf, pos, end - pos);
    // room for exactly the events these words hold: no growing, no copy when the stream is handed out
    out.reserve(countEvents(w) + 12);
    const n = end - pos;
    for (let j = 0; j < n; ) {
      st.k = out.length;
      j = runWords(w, j, n, st, out.t, out.x, out.y, out.p, W, H, this.strictTime, this.wordCounts);
      out.length = st.k;
      if (st.stop !== 0) this.stopped(base + pos + j, w[j >> 1]!);
      else if (j < n) out.reserve(Math.max(1024, (n - j) >> 1) + 12);
    }
  }
}

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

/**
 * The hot loop over EVT 3.0 words [j, end). Stops early when fewer than 12 output slots remain or at the first
 * word that breaks a rule (reported in st.stop); returns the position of the word it stopped at.
 */
function runWords(
  buf: Uint8Array,
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
  const cap = T.length - 12;
  st.stop = 0;
  for (; j < end && k <= cap; j += 2) {
    const w = buf[j]! | (buf[j + 1]! << 8);
    const type = w >>> 12;
    counts[type]!++;
    if (type === 0x2) {
      const x = w & 0x7ff;
      if (t < last) {
        if (strict) {
          st.stop = 1;
          break;
        }
        st.unsorted = true;
      }
      if (x >= W || y >= H) {
        st.stop = 2;
        st.stopX = x;
        break;
      }
      last = t;
      if (x > mx) mx = x;
      if (y > my) my = y;
      T[k] = t;
      X[k] = x;
      Y[k] = y;
      P[k] = (w >>> 11) & 1;
      k++;
    } else if (type === 0x0) {
      y = w & 0x7ff;
    } else if (type === 0x4 || type === 0x5) {
      const bits = type === 0x4 ? 12 : 8;
      const mask = w & (type === 0x4 ? 0xfff : 0xff);
      if (mask !== 0) {
        if (t < last) {
          if (strict) {
            st.stop = 1;
            break;
          }
          st.unsorted = true;
        }
        const top = baseX + 31 - Math.clz32(mask);
        if (top >= W || y >= H) {
          st.stop = 2;
          st.stopX = top;
          break;
        }
        last = t;
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
      baseX = w & 0x7ff;
      pol = (w >>> 11) & 1;
    } else if (type === 0x6) {
      t = tHighUs + (w & 0xfff);
    } else if (type === 0x8) {
      const th = w & 0xfff;
      if (th < timeHigh) st.wraps++;
      timeHigh = th;
      tHighUs = st.wraps * 16777216 + timeHigh * 4096;
      t = tHighUs + (t % 4096);
    } else if (type !== 0x7 && type !== 0xa && type !== 0xe && type !== 0xf) {
      counts[type]!--;
      st.stop = 3;
      break;
    }
  }
  st.y = y;
  st.baseX = baseX;
  st.pol = pol;
  st.timeHigh = timeHigh;
  st.t = t;
  st.last = last;
  st.mx = mx;
  st.my = my;
  st.k = k;
  return j;
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

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    const pos = this.takeHeader(buf, base, final);
    if (pos < 0) return 0;
    const words = ((buf.length - pos) / 2) | 0;
    const end = pos + words * 2;
    if (final && end !== buf.length) this.truncated(base + end, "a 16-bit EVT 3.0 word");
    const out = this.out;
    const st = this.st;
    const [W, H] = this.sensorLimits();
    // real recordings have about one event per two words; grow when vectors make more
    out.reserve(Math.max(1024, words >> 1) + 12);
    for (let j = pos; j < end; ) {
      st.k = out.length;
      j = runWords(buf, j, end, st, out.t, out.x, out.y, out.p, W, H, this.strictTime, this.wordCounts);
      out.length = st.k;
      if (st.stop === 1) {
        this.lastT = st.last;
        this.timeWentBack(base + j, st.t);
      } else if (st.stop === 2) {
        this.lastT = st.last;
        this.maxX = st.mx;
        this.checkSensor();
        this.outOfSensor(base + j, st.stopX, st.y);
      } else if (st.stop === 3) {
        this.fail(base + j, `word type 0x${(buf[j + 1]! >> 4).toString(16)} is not defined in EVT 3.0`);
      } else if (j < end) {
        out.reserve(Math.max(1024, (end - j) >> 1) + 12);
      }
    }
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
}

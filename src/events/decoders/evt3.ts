import { PercentHeaderDecoder } from "./prophesee-header.js";

/**
 * Prophesee EVT 3.0: `%` header, then little-endian 16-bit words, type = w >> 12. A state machine keeps y, the
 * vector base x and polarity, and the 24-bit time (TIME_HIGH 12 MSB, TIME_LOW 12 LSB). The time wraps (+2^24 µs)
 * only when TIME_HIGH decreases; a TIME_LOW that goes back is not a wrap (event-formats.md §6).
 */
export class Evt3Decoder extends PercentHeaderDecoder {
  readonly format = "evt3" as const;
  private y = 0;
  private baseX = 0;
  private pol = 0;
  private timeHigh = 0;
  private timeLow = 0;
  private wraps = 0;
  readonly wordCounts = new Float64Array(16);

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    const pos = this.takeHeader(buf, base, final);
    if (pos < 0) return 0;
    const words = ((buf.length - pos) / 2) | 0;
    const end = pos + words * 2;
    if (final && end !== buf.length) this.truncated(base + end, "a 16-bit EVT 3.0 word");
    const out = this.out;
    const [W, H] = this.sensorLimits();
    const counts = this.wordCounts;
    let y = this.y;
    let baseX = this.baseX;
    let pol = this.pol;
    let timeHigh = this.timeHigh;
    let tHighUs = this.wraps * 16777216 + timeHigh * 4096;
    let t = tHighUs + this.timeLow;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    // room for the worst case of a chunk made only of VECT_12 words
    out.reserve(Math.min(words * 12, Math.max(1024, words)));
    let T = out.t;
    let X = out.x;
    let Y = out.y;
    let P = out.p;
    let k = out.length;
    for (let j = pos; j < end; j += 2) {
      const w = buf[j]! | (buf[j + 1]! << 8);
      const type = w >>> 12;
      counts[type]!++;
      if (k + 12 > T.length) {
        out.length = k;
        out.reserve(Math.max(1024, ((end - j) / 2) * 2));
        T = out.t;
        X = out.x;
        Y = out.y;
        P = out.p;
      }
      switch (type) {
        case 0x0:
          y = w & 0x7ff;
          break;
        case 0x2: {
          const x = w & 0x7ff;
          if (t < last) {
            this.lastT = last;
            this.timeWentBack(base + j, t);
          }
          if (x >= W || y >= H) this.outOfSensor(base + j, x, y);
          last = t;
          if (x > mx) mx = x;
          if (y > my) my = y;
          T[k] = t;
          X[k] = x;
          Y[k] = y;
          P[k] = (w >>> 11) & 1;
          k++;
          break;
        }
        case 0x3:
          baseX = w & 0x7ff;
          pol = (w >>> 11) & 1;
          break;
        case 0x4:
        case 0x5: {
          const bits = type === 0x4 ? 12 : 8;
          const mask = w & (type === 0x4 ? 0xfff : 0xff);
          if (mask !== 0) {
            if (t < last) {
              this.lastT = last;
              this.timeWentBack(base + j, t);
            }
            last = t;
            if (y > my) my = y;
            for (let b = 0; b < bits; b++) {
              if ((mask >>> b) & 1) {
                const x = baseX + b;
                if (x >= W || y >= H) this.outOfSensor(base + j, x, y);
                if (x > mx) mx = x;
                T[k] = t;
                X[k] = x;
                Y[k] = y;
                P[k] = pol;
                k++;
              }
            }
          }
          baseX += bits;
          break;
        }
        case 0x6:
          t = tHighUs + (w & 0xfff);
          break;
        case 0x8: {
          const th = w & 0xfff;
          if (th < timeHigh) this.wraps++;
          timeHigh = th;
          tHighUs = this.wraps * 16777216 + timeHigh * 4096;
          t = tHighUs + (t % 4096);
          break;
        }
        case 0x7:
        case 0xa:
        case 0xe:
        case 0xf:
          break;
        default:
          this.fail(base + j, `word type 0x${type.toString(16)} is not defined in EVT 3.0`);
      }
    }
    out.length = k;
    this.y = y;
    this.baseX = baseX;
    this.pol = pol;
    this.timeHigh = timeHigh;
    this.timeLow = t % 4096;
    this.lastT = last;
    this.maxX = mx;
    this.maxY = my;
    this.info.wordCounts = {
      ADDR_Y: counts[0],
      ADDR_X: counts[2],
      VECT_BASE_X: counts[3],
      VECT_12: counts[4],
      VECT_8: counts[5],
      TIME_LOW: counts[6],
      TIME_HIGH: counts[8],
    };
    return end;
  }
}

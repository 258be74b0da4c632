import { PercentHeaderDecoder } from "./prophesee-header.js";

/**
 * Prophesee EVT 2.0: `%` header, then little-endian 32-bit words, type = w >> 28.
 * CD_OFF (0) / CD_ON (1): t_low = bits 27..22, x = bits 21..11, y = bits 10..0; TIME_HIGH (8): bits 27..0;
 * t = t_high · 64 + t_low µs. EXT_TRIGGER (0xA), OTHERS (0xE) and CONTINUED (0xF) are skipped.
 */
export class Evt2Decoder extends PercentHeaderDecoder {
  readonly format = "evt2" as const;
  private tHigh = 0;

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    const pos = this.takeHeader(buf, base, final);
    if (pos < 0) return 0;
    const words = ((buf.length - pos) / 4) | 0;
    const end = pos + words * 4;
    if (final && end !== buf.length) this.truncated(base + end, "a 32-bit EVT 2.0 word");
    const out = this.out;
    out.reserve(words);
    const [W, H] = this.sensorLimits();
    const T = out.t;
    const X = out.x;
    const Y = out.y;
    const P = out.p;
    let k = out.length;
    let last = this.lastT;
    let mx = this.maxX;
    let my = this.maxY;
    let tHighUs = this.tHigh * 64;
    for (let j = pos; j < end; j += 4) {
      const w = (buf[j]! | (buf[j + 1]! << 8) | (buf[j + 2]! << 16) | (buf[j + 3]! << 24)) >>> 0;
      const type = w >>> 28;
      if (type <= 1) {
        const t = tHighUs + ((w >>> 22) & 0x3f);
        const x = (w >>> 11) & 0x7ff;
        const y = w & 0x7ff;
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
        P[k] = type;
        k++;
      } else if (type === 0x8) {
        this.tHigh = w & 0x0fffffff;
        tHighUs = this.tHigh * 64;
      } else if (type !== 0xa && type !== 0xe && type !== 0xf) {
        this.fail(base + j, `word type 0x${type.toString(16)} is not defined in EVT 2.0 (expected 0, 1, 8, A, E or F)`);
      }
    }
    out.length = k;
    this.lastT = last;
    this.maxX = mx;
    this.maxY = my;
    return end;
  }
}

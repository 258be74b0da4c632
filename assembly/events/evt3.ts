import { maxU16 } from "./columns";

// The EVT 3.0 word loop, the wasm twin of runWords in src/events/decoders/evt3.ts (same rules, same stops).

// decoder state at `st`, float64 slots (the JS side reads and writes them through a Float64Array)
const Y = 0;
const BASE_X = 1;
const POL = 2;
const TIME_HIGH = 3;
const WRAPS = 4;
const TIME = 5;
const LAST = 6;
const MAX_X = 7;
const MAX_Y = 8;
const K = 9;
const UNSORTED = 10;
const STOP = 11;
const STOP_X = 12;
/** word counts per type from here: ADDR_Y, ADDR_X, VECT_BASE_X, VECT_12, VECT_8, TIME_LOW, TIME_HIGH */
const COUNTS = 13;

@inline function slot(st: usize, i: i32): f64 {
  return load<f64>(st + (<usize>i << 3));
}

@inline function setSlot(st: usize, i: i32, v: f64): void {
  store<f64>(st + (<usize>i << 3), v);
}

/** Slot offsets (from COUNTS) of the word types counted, in the order of the COUNTS slots. */
const COUNTED_TYPES: StaticArray<i32> = [0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x8];

/** The sum of the unsigned 16-bit lanes of v. */
@inline function laneSum(v: v128): i32 {
  const q = i32x4.extadd_pairwise_i16x8_u(v);
  return i32x4.extract_lane(q, 0) + i32x4.extract_lane(q, 1) + i32x4.extract_lane(q, 2) + i32x4.extract_lane(q, 3);
}

/** Adds the words of type `type` among [0, n) to slot COUNTS + at. */
function countType(w: usize, n: i32, type: i32, st: usize, at: i32): void {
  const want = i16x8.splat(<i16>type);
  let total = 0;
  let i = 0;
  while (i + 8 <= n) {
    // a lane that matches is -1, so subtracting counts it; a 16-bit lane is summed before it could overflow
    const stop = min(n, i + 8 * 32768);
    let acc = i16x8.splat(0);
    for (; i + 8 <= stop; i += 8) acc = i16x8.sub(acc, i16x8.eq(i16x8.shr_u(v128.load(w + (<usize>i << 1)), 12), want));
    total += laneSum(acc);
  }
  for (; i < n; i++) total += <i32>((<i32>load<u16>(w + (<usize>i << 1)) >>> 12) == type);
  setSlot(st, COUNTS + at, slot(st, COUNTS + at) + <f64>total);
}

/** Adds the number of words of each counted type among [0, n) to the COUNTS slots of st. */
export function evt3CountTypes(w: usize, n: i32, st: usize): void {
  for (let j = 0; j < COUNTED_TYPES.length; j++) countType(w, n, unchecked(COUNTED_TYPES[j]), st, j);
}

/** The events words [0, n) hold at most: one per ADDR_X, one per set bit of a VECT_12 / VECT_8 mask. */
export function evt3CountEvents(w: usize, n: i32): i32 {
  // eight words at a time, branch-free (word types come in no predictable order): per 16-bit lane, the ADDR_X
  // flag plus the set bits of the masked vector word
  const two = i16x8.splat(0x2);
  const four = i16x8.splat(0x4);
  const five = i16x8.splat(0x5);
  const m12 = i16x8.splat(0xfff);
  const m8 = i16x8.splat(0xff);
  const one = i16x8.splat(1);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const word = v128.load(w + (<usize>i << 1));
    const type = i16x8.shr_u(word, 12);
    const mask = v128.or(v128.and(i16x8.eq(type, four), m12), v128.and(i16x8.eq(type, five), m8));
    const bits = i16x8.extadd_pairwise_i8x16_u(i8x16.popcnt(v128.and(word, mask)));
    const lane = i16x8.add(bits, v128.and(i16x8.eq(type, two), one));
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(lane));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const word = <i32>load<u16>(w + (<usize>i << 1));
    const type = word >>> 12;
    const mask = select<i32>(0xfff, select<i32>(0xff, 0, type == 0x5), type == 0x4);
    c += <i32>(type == 0x2) + popcnt(word & mask);
  }
  return c;
}

/** Whether a word of this type yields events: ADDR_X, or a vector word with a bit set. */
@inline function emitsEvents(word: i32, type: i32): bool {
  return type == 0x2 || (type == 0x4 && (word & 0xfff) != 0) || (type == 0x5 && (word & 0xff) != 0);
}

/**
 * Runs words [i, n) into T/X/Y/P from index st[K], stopping when fewer than 12 output slots remain (cap = their
 * length) or at the first word that breaks a rule (st[STOP]: 1 time went back, 2 outside the sensor, 3 unknown
 * word type). Returns the index of the word it stopped at.
 */
export function evt3Words(
  w: usize,
  i: i32,
  n: i32,
  st: usize,
  T: usize,
  X: usize,
  Yo: usize,
  P: usize,
  cap: i32,
  W: i32,
  H: i32,
  strict: bool,
): i32 {
  let y = <i32>slot(st, Y);
  let baseX = <i32>slot(st, BASE_X);
  let pol = <i32>slot(st, POL);
  let timeHigh = <i32>slot(st, TIME_HIGH);
  let wraps = <i64>slot(st, WRAPS);
  let t = <i64>slot(st, TIME);
  let last = slot(st, LAST);
  let mx = <i32>slot(st, MAX_X);
  let my = <i32>slot(st, MAX_Y);
  let k = <i32>slot(st, K);
  let unsorted = slot(st, UNSORTED) != 0;
  let tHighUs = wraps * 16777216 + <i64>timeHigh * 4096;
  let xLimit = y < H ? W : 0;
  let timeMoved = true;
  let stop = 0;
  let stopX = 0;
  const limit = cap - 12;
  for (; i < n && k <= limit; i++) {
    const word = <i32>load<u16>(w + (<usize>i << 1));
    const type = word >>> 12;
    // the first event after a time word checks the time order
    if (timeMoved && emitsEvents(word, type)) {
      if (<f64>t < last) {
        if (strict) {
          stop = 1;
          break;
        }
        unsorted = true;
      }
      last = <f64>t;
      timeMoved = false;
    }
    if ((type & 0xd) == 0) {
      // ADDR_Y (type 0) or ADDR_X (type 2), most words and in no predictable order: branch-free between the two.
      // The event is stored either way but only an ADDR_X word advances k past it.
      const isX = type >> 1;
      const v = word & 0x7ff;
      if ((isX & <i32>(v >= xLimit)) != 0) {
        stop = 2;
        stopX = v;
        break;
      }
      y = select<i32>(y, v, isX);
      xLimit = select<i32>(xLimit, select<i32>(W, 0, v < H), isX);
      mx = max(mx, v * isX);
      my = max(my, y * isX);
      store<f64>(T + (<usize>k << 3), <f64>t);
      store<u16>(X + (<usize>k << 1), <u16>v);
      store<u16>(Yo + (<usize>k << 1), <u16>y);
      store<u8>(P + <usize>k, <u8>((word >>> 11) & 1));
      k += isX;
    } else if (type == 0x4 || type == 0x5) {
      const bits = type == 0x4 ? 12 : 8;
      const mask = word & (type == 0x4 ? 0xfff : 0xff);
      if (mask != 0) {
        const top = baseX + 31 - clz(mask);
        if (top >= xLimit) {
          stop = 2;
          stopX = top;
          break;
        }
        mx = max(mx, top);
        my = max(my, y);
        const tf = <f64>t;
        for (let m = mask; m != 0; m &= m - 1) {
          store<f64>(T + (<usize>k << 3), tf);
          store<u16>(X + (<usize>k << 1), <u16>(baseX + ctz(m)));
          store<u16>(Yo + (<usize>k << 1), <u16>y);
          store<u8>(P + <usize>k, <u8>pol);
          k++;
        }
      }
      baseX += bits;
    } else if (type == 0x3) {
      baseX = word & 0x7ff;
      pol = (word >>> 11) & 1;
    } else if (type == 0x6) {
      t = tHighUs + <i64>(word & 0xfff);
      timeMoved = true;
    } else if (type == 0x8) {
      const th = word & 0xfff;
      if (th < timeHigh) wraps++;
      timeHigh = th;
      tHighUs = wraps * 16777216 + <i64>timeHigh * 4096;
      t = tHighUs + (t & 4095);
      timeMoved = true;
    } else if (type != 0x7 && type != 0xa && type != 0xe && type != 0xf) {
      stop = 3;
      break;
    }
  }
  setSlot(st, Y, <f64>y);
  setSlot(st, BASE_X, <f64>baseX);
  setSlot(st, POL, <f64>pol);
  setSlot(st, TIME_HIGH, <f64>timeHigh);
  setSlot(st, WRAPS, <f64>wraps);
  setSlot(st, TIME, <f64>t);
  setSlot(st, LAST, last);
  setSlot(st, MAX_X, <f64>mx);
  setSlot(st, MAX_Y, <f64>my);
  setSlot(st, K, <f64>k);
  setSlot(st, UNSORTED, unsorted ? 1 : 0);
  setSlot(st, STOP, <f64>stop);
  setSlot(st, STOP_X, <f64>stopX);
  return i;
}

@inline function addCount(st: usize, at: i32, n: i32): void {
  setSlot(st, COUNTS + at, slot(st, COUNTS + at) + <f64>n);
}

/** st[STOP] of evt3Fast when it met something only the checked loop may judge: the caller reruns evt3Words. */
const STOP_RECHECK = 4;

/** Whether the doubles at a[0, n) never decrease and a[0] >= last (true for none). */
function nonDecreasing(a: usize, n: i32, last: f64): bool {
  if (n == 0) return true;
  if (load<f64>(a) < last) return false;
  // pairs (a[j], a[j+1]) against (a[j-1], a[j]), four values a step
  let bad = v128.splat<i64>(0);
  let j = 1;
  for (; j + 4 <= n; j += 4) {
    const p = a + (<usize>j << 3);
    bad = v128.or(bad, f64x2.lt(v128.load(p), v128.load(p - 8)));
    bad = v128.or(bad, f64x2.lt(v128.load(p + 16), v128.load(p + 8)));
  }
  if (v128.any_true(bad)) return false;
  for (; j < n; j++) if (load<f64>(a + (<usize>j << 3)) < load<f64>(a + (<usize>(j - 1) << 3))) return false;
  return true;
}

/**
 * The fast twin of evt3Words for words [0, n) with room for 12 events per word: the same events and state, but no
 * rule is checked per event. It stops with st[STOP] = STOP_RECHECK at an undefined word type or a vector word
 * reaching past the sensor's width, and after the loop checks the events it wrote at once (their time never goes
 * back, from st[LAST] on; their x and y inside W × H): if any of that fails, the caller reruns the same words
 * through evt3Words, which finds the word and the rule. Otherwise st[STOP] is 0 and the word counts are added to
 * the COUNTS slots (evt3Words needs evt3CountTypes for them). Returns the number of words run.
 */
export function evt3Fast(w: usize, n: i32, st: usize, T: usize, X: usize, Yo: usize, P: usize, W: i32, H: i32): i32 {
  let y = <i32>slot(st, Y);
  let baseX = <i32>slot(st, BASE_X);
  let pol = <i32>slot(st, POL);
  let timeHigh = <i32>slot(st, TIME_HIGH);
  let wraps = <i64>slot(st, WRAPS);
  let t = <i64>slot(st, TIME);
  const k0 = <i32>slot(st, K);
  let k = k0;
  let tHighUs = wraps * 16777216 + <i64>timeHigh * 4096;
  let tf = <f64>t;
  let recheck = false;
  // word counts of the rarer types; ADDR_X and ADDR_Y follow from the events and the words run
  let vectorEvents = 0;
  let nBase = 0;
  let n12 = 0;
  let n8 = 0;
  let nLow = 0;
  let nHigh = 0;
  let nPad = 0;
  let i = 0;
  for (; i < n; i++) {
    const word = <i32>load<u16>(w + (<usize>i << 1));
    const type = word >>> 12;
    if ((type & 0xd) == 0) {
      // ADDR_Y (type 0) or ADDR_X (type 2), branch-free: the event is stored either way, only ADDR_X keeps it
      const isX = type >> 1;
      const v = word & 0x7ff;
      y = select<i32>(y, v, isX);
      store<f64>(T + (<usize>k << 3), tf);
      store<u16>(X + (<usize>k << 1), <u16>v);
      store<u16>(Yo + (<usize>k << 1), <u16>y);
      store<u8>(P + <usize>k, <u8>((word >>> 11) & 1));
      k += isX;
      continue;
    }
    let mask = 0;
    let width = 0;
    if (type == 0x3) {
      baseX = word & 0x7ff;
      pol = (word >>> 11) & 1;
      nBase++;
      // the usual 32-pixel group, VECT_BASE_X then VECT_12, VECT_12, VECT_8: its three masks as one
      const next = load<u64>(w + (<usize>(i + 1) << 1));
      if (i + 3 < n && (next & 0xf000f000f000) == 0x500040004000) {
        mask = <i32>(next & 0xfff) | (<i32>((next >> 16) & 0xfff) << 12) | (<i32>((next >> 32) & 0xff) << 24);
        width = 32;
        n12 += 2;
        n8++;
        i += 3;
      }
    } else if (type == 0x4) {
      mask = word & 0xfff;
      width = 12;
      n12++;
    } else if (type == 0x5) {
      mask = word & 0xff;
      width = 8;
      n8++;
    } else if (type == 0x6) {
      t = tHighUs + <i64>(word & 0xfff);
      tf = <f64>t;
      nLow++;
    } else if (type == 0x8) {
      const th = word & 0xfff;
      if (th < timeHigh) wraps++;
      timeHigh = th;
      tHighUs = wraps * 16777216 + <i64>timeHigh * 4096;
      t = tHighUs + (t & 4095);
      tf = <f64>t;
      nHigh++;
    } else if (type == 0x7 || type == 0xa || type == 0xe || type == 0xf) {
      nPad++;
    } else {
      recheck = true;
      break;
    }
    if (mask != 0) {
      // the checked loop rejects x past the sensor; the stored u16 would hide an x past 65535
      if (baseX + 31 - clz(mask) >= W) {
        recheck = true;
        break;
      }
      for (let m = mask; m != 0; m &= m - 1) {
        store<f64>(T + (<usize>k << 3), tf);
        store<u16>(X + (<usize>k << 1), <u16>(baseX + ctz(m)));
        store<u16>(Yo + (<usize>k << 1), <u16>y);
        store<u8>(P + <usize>k, <u8>pol);
        k++;
      }
      vectorEvents += popcnt(mask);
    }
    baseX += width;
  }
  const m = k - k0;
  const mx = maxU16(X + (<usize>k0 << 1), m);
  const my = maxU16(Yo + (<usize>k0 << 1), m);
  if (recheck || !nonDecreasing(T + (<usize>k0 << 3), m, slot(st, LAST)) || (m > 0 && (mx >= W || my >= H))) {
    setSlot(st, STOP, STOP_RECHECK);
    return i;
  }
  setSlot(st, Y, <f64>y);
  setSlot(st, BASE_X, <f64>baseX);
  setSlot(st, POL, <f64>pol);
  setSlot(st, TIME_HIGH, <f64>timeHigh);
  setSlot(st, WRAPS, <f64>wraps);
  setSlot(st, TIME, <f64>t);
  if (m > 0) {
    setSlot(st, LAST, load<f64>(T + (<usize>(k - 1) << 3)));
    setSlot(st, MAX_X, <f64>max(<i32>slot(st, MAX_X), mx));
    setSlot(st, MAX_Y, <f64>max(<i32>slot(st, MAX_Y), my));
  }
  setSlot(st, K, <f64>k);
  setSlot(st, STOP, 0);
  const nX = k - k0 - vectorEvents;
  addCount(st, 0, i - nX - nBase - n12 - n8 - nLow - nHigh - nPad);
  addCount(st, 1, nX);
  addCount(st, 2, nBase);
  addCount(st, 3, n12);
  addCount(st, 4, n8);
  addCount(st, 5, nLow);
  addCount(st, 6, nHigh);
  return i;
}

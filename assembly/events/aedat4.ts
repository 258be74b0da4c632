// AEDAT 4 event structs (int64 t, int16 x, int16 y, uint8 on, 3 bytes padding) into t/x/y/p columns: the wasm
// twin of the loop in src/events/decoders/aedat4.ts.

/** Running state at `st` (float64 slots): carried between packets, and where the loop stopped. */
const LAST = 0;
const MAX_X = 1;
const MAX_Y = 2;

/**
 * Writes events [i, n) of the structs at src into T, X, Y, P from index i. Returns the index of the first event
 * outside [0, W) × [0, H) or earlier than the one before (not written), or -1 when all were written.
 */
export function aedat4Events(src: usize, i: i32, n: i32, T: usize, X: usize, Y: usize, P: usize, W: i32, H: i32, st: usize): i32 {
  let last = load<f64>(st + (LAST << 3));
  let mx = <i32>load<f64>(st + (MAX_X << 3));
  let my = <i32>load<f64>(st + (MAX_Y << 3));
  let bad = -1;
  for (; i < n; i++) {
    const o = src + (<usize>i << 4);
    const t = <f64>load<i64>(o);
    const x = <i32>load<i16>(o, 8);
    const y = <i32>load<i16>(o, 10);
    // one unsigned test per coordinate also catches negative ones
    if (<u32>x >= <u32>W || <u32>y >= <u32>H || t < last) {
      bad = i;
      break;
    }
    last = t;
    mx = max(mx, x);
    my = max(my, y);
    store<f64>(T + (<usize>i << 3), t);
    store<u16>(X + (<usize>i << 1), <u16>x);
    store<u16>(Y + (<usize>i << 1), <u16>y);
    store<u8>(P + <usize>i, load<u8>(o, 12) != 0 ? 1 : 0);
  }
  store<f64>(st + (LAST << 3), last);
  store<f64>(st + (MAX_X << 3), <f64>mx);
  store<f64>(st + (MAX_Y << 3), <f64>my);
  return bad;
}

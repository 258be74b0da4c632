// Razor's per-frame scores (the twin is refRazorScores in src/engine/reference-razor.ts; the formula is in
// src/nn/razor.ts): float64, the twin's operations in the twin's order. exp and log are the host's own Math.exp and
// Math.log, imported, so that every thread and the twin round them alike (wasm has no exp or log instruction, and a
// different implementation could differ in the last bit). Frames are the work items: any split gives the same bits.

// @ts-ignore: decorator
@external("env", "exp")
declare function hostExp(x: f64): f64;
// @ts-ignore: decorator
@external("env", "log")
declare function hostLog(x: f64): f64;

/** Scalars at `sc` (float64): tau, gamma, eta, beta, eps. Outputs per frame: norm, p [K], alpha [K], s, act, d (f32). */
export function razorScores(
  fOff: usize,
  fIdx: usize,
  fVal: usize,
  eHat: usize,
  sc: usize,
  norm: usize,
  P: usize,
  A: usize,
  S: usize,
  act: usize,
  d: usize,
  C: i32,
  K: i32,
  begin: i32,
  end: i32,
): void {
  const tau = load<f64>(sc);
  const gamma = load<f64>(sc, 8);
  const eta = load<f64>(sc, 16);
  const beta = load<f64>(sc, 24);
  const eps = load<f64>(sc, 32);
  for (let r = begin; r < end; r++) {
    const lo = load<i32>(fOff + (<usize>r << 2));
    const hi = load<i32>(fOff + (<usize>(r + 1) << 2));
    let sq: f64 = 0;
    let l1: f64 = 0;
    for (let j = lo; j < hi; j++) {
      const v = load<f64>(fVal + (<usize>j << 3));
      sq += v * v;
      l1 += abs(v);
    }
    const n = sqrt(sq);
    store<f64>(norm + (<usize>r << 3), n);
    const pr = P + ((<usize>r * <usize>K) << 3);
    const ar = A + ((<usize>r * <usize>K) << 3);
    let maxLogit = -Infinity;
    for (let k = 0; k < K; k++) {
      let dot: f64 = 0;
      if (n > 0) {
        const e = eHat + ((<usize>k * <usize>C) << 3);
        for (let j = lo; j < hi; j++) {
          dot += load<f64>(fVal + (<usize>j << 3)) * load<f64>(e + (<usize>load<i32>(fIdx + (<usize>j << 2)) << 3));
        }
        dot /= n;
      }
      store<f64>(pr + (<usize>k << 3), dot);
      maxLogit = max(maxLogit, dot / tau);
    }
    let z: f64 = 0;
    for (let k = 0; k < K; k++) {
      const e = hostExp(load<f64>(pr + (<usize>k << 3)) / tau - maxLogit);
      store<f64>(ar + (<usize>k << 3), e);
      z += e;
    }
    let sr: f64 = 0;
    for (let k = 0; k < K; k++) {
      const a = load<f64>(ar + (<usize>k << 3)) / z;
      store<f64>(ar + (<usize>k << 3), a);
      sr += a * load<f64>(pr + (<usize>k << 3));
    }
    store<f64>(S + (<usize>r << 3), sr);
    const ac = l1 / <f64>C;
    store<f64>(act + (<usize>r << 3), ac);
    store<f32>(d + (<usize>r << 2), <f32>(1 / (1 + hostExp(-(gamma * sr + eta * hostLog(eps + ac) + beta)))));
  }
}

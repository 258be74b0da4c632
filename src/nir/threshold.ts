/**
 * NIR fires on v > v_threshold, razor-snn on U >= Vth. Membranes are float32 in razor-snn's kernels, and for a
 * float32 U, `U > x` holds exactly when `U >= the smallest float32 above x`. So the two conditions map onto each
 * other without any tie left over: import takes Vth = float32Above(v_threshold), export writes
 * v_threshold = float32Below(Vth) (a NIR consumer computing in float32 then fires exactly where razor-snn does).
 */
const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** The float32 next to the float32 value `x` towards +∞ (dir 1) or −∞ (dir −1). */
function step(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 2 ** -149;
  f32[0] = x;
  bits[0] = bits[0]! + (x > 0 ? dir : -dir);
  return f32[0]!;
}

/** The smallest float32 strictly greater than x (x finite). */
export function float32Above(x: number): number {
  const r = Math.fround(x);
  return r > x ? r : step(r, 1);
}

/** The largest float32 strictly less than x (x finite). */
export function float32Below(x: number): number {
  const r = Math.fround(x);
  return r < x ? r : step(r, -1);
}

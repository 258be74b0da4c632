/**
 * The 2×2, stride-2 average pool in the wasm kernel's f32 steps (assembly/pool.ts): ((x00 + x10) + (x01 + x11))
 * · 0.25 per window, over `planes` planes of h × w into floor(h/2) × floor(w/2). The TS twins use it so that both
 * engines, and the fused conv epilogue, agree bit for bit.
 */
export function avgPool2x2(x: Float32Array, y: Float32Array, planes: number, h: number, w: number): void {
  const f32 = Math.fround;
  const ho = Math.floor(h / 2);
  const wo = Math.floor(w / 2);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const r0 = base + 2 * oy * w;
      const r1 = r0 + w;
      for (let ox = 0; ox < wo; ox++) {
        const left = f32(x[r0 + 2 * ox]! + x[r1 + 2 * ox]!);
        const right = f32(x[r0 + 2 * ox + 1]! + x[r1 + 2 * ox + 1]!);
        y[(p * ho + oy) * wo + ox] = f32(f32(left + right) * 0.25);
      }
    }
  }
}

// Placeholder kernel so the build pipeline is exercised; the engine replaces it.
export function axpy(n: i32, a: f32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

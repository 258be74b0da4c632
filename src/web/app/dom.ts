// Small DOM helpers for the page.

/** The element with this id, or a clear error naming it (a missing id is a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`viewer page: element #${id} is missing`);
  return el as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

/** Paints a Uint32 RGBA pixel buffer onto a canvas of the same size. */
export function blit(canvas: HTMLCanvasElement, pixels: Uint32Array<ArrayBuffer>): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const img = new ImageData(new Uint8ClampedArray(pixels.buffer, pixels.byteOffset, pixels.length * 4), canvas.width);
  ctx.putImageData(img, 0, 0);
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function formatUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(3)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(1)} ms`;
  return `${us.toFixed(0)} µs`;
}

/** Large counts in engineering style (1.2 M, 340 k). */
export function formatBig(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

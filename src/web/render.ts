/**
 * Pixel painting for the viewer: events, integrated frames and spike rasters written into RGBA pixel buffers
 * (one Uint32 per pixel, as ImageData's bytes read on little-endian machines). Nothing here touches the DOM, so
 * the same code paints in a Worker, on the main thread or in Node tests.
 */
import type { EventStream } from "../events/stream.js";

/** Packs r, g, b (0..255) into a little-endian RGBA pixel with alpha 255. */
export function rgba(r: number, g: number, b: number): number {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export interface EventPalette {
  background: number;
  on: number;
  off: number;
  /** both polarities at one pixel in the same window */
  both: number;
}

export const defaultPalette: EventPalette = {
  background: rgba(16, 18, 24),
  on: rgba(80, 200, 255),
  off: rgba(255, 96, 64),
  both: rgba(240, 240, 240),
};

/**
 * Paints events [start, end) of `ev` into `out` (width × height pixels, row-major, y down): ON and OFF colours,
 * a third colour where both polarities fired. Events outside the image are ignored. Returns the count painted.
 */
export function paintEvents(
  ev: EventStream,
  start: number,
  end: number,
  out: Uint32Array,
  width: number,
  height: number,
  palette: EventPalette = defaultPalette,
): number {
  out.fill(palette.background);
  let painted = 0;
  const { x, y, p } = ev;
  for (let i = start; i < end; i++) {
    const px = x[i]!;
    const py = y[i]!;
    if (px >= width || py >= height) continue;
    const k = py * width + px;
    const c = p[i] === 1 ? palette.on : palette.off;
    const prev = out[k]!;
    out[k] = prev === palette.background || prev === c ? c : palette.both;
    painted++;
  }
  return painted;
}

/**
 * Paints one integrated frame [polarities, height, width] (counts or any non-negative values): brightness scales
 * with the value relative to the frame's maximum; channel 1 (ON) in the ON colour, channel 0 (OFF) in the OFF
 * colour, added. A single-channel frame is painted in grey.
 */
export function paintFrame(
  frame: Float32Array,
  polarities: number,
  width: number,
  height: number,
  out: Uint32Array,
  palette: EventPalette = defaultPalette,
): void {
  const hw = width * height;
  if (frame.length < polarities * hw) {
    throw new RangeError(`frame has ${frame.length} values, expected ${polarities}×${height}×${width}`);
  }
  let max = 0;
  for (let i = 0; i < polarities * hw; i++) if (frame[i]! > max) max = frame[i]!;
  const scale = max > 0 ? 1 / max : 0;
  const bg = unpack(palette.background);
  const on = unpack(palette.on);
  const off = unpack(palette.off);
  for (let k = 0; k < hw; k++) {
    let r = bg[0];
    let g = bg[1];
    let b = bg[2];
    if (polarities === 1) {
      const v = Math.sqrt(frame[k]! * scale);
      r += (255 - r) * v;
      g += (255 - g) * v;
      b += (255 - b) * v;
    } else {
      const vOff = Math.sqrt(frame[k]! * scale);
      const vOn = Math.sqrt(frame[hw + k]! * scale);
      r += on[0] * vOn + off[0] * vOff;
      g += on[1] * vOn + off[1] * vOff;
      b += on[2] * vOn + off[2] * vOff;
    }
    out[k] = rgba(Math.min(255, r | 0), Math.min(255, g | 0), Math.min(255, b | 0));
  }
}

/**
 * Spike raster (channel × time) for audio data: x = time over [tStart, tEnd) mapped onto `width` columns,
 * y = channel (ev.x) mapped onto `height` rows, channel 0 at the bottom; each spike a `dot`×`dot` square (clipped at
 * the edges). Returns the number of events painted.
 */
export function paintRaster(
  ev: EventStream,
  tStart: number,
  tEnd: number,
  channels: number,
  out: Uint32Array,
  width: number,
  height: number,
  color: number = defaultPalette.on,
  background: number = defaultPalette.background,
  dot = 1,
): number {
  out.fill(background);
  const span = tEnd - tStart;
  if (span <= 0 || channels <= 0) return 0;
  let painted = 0;
  const { t, x } = ev;
  for (let i = 0; i < t.length; i++) {
    const ti = t[i]!;
    if (ti < tStart || ti >= tEnd || x[i]! >= channels) continue;
    const col = Math.floor(((ti - tStart) / span) * width);
    const row = height - 1 - Math.floor((x[i]! / channels) * height);
    for (let dy = 0; dy < dot && row - dy >= 0; dy++) {
      for (let dx = 0; dx < dot && col + dx < width; dx++) out[(row - dy) * width + col + dx] = color;
    }
    painted++;
  }
  return painted;
}

function unpack(c: number): [number, number, number] {
  return [c & 255, (c >>> 8) & 255, (c >>> 16) & 255];
}

/**
 * Frames of a channel input (audio: [T, F]) as one image: frame t is column band t of `width / T` pixels, channel f
 * a row (channel 0 at the bottom, F mapped onto `height` rows, summed where rows merge); brightness = value
 * relative to the maximum.
 */
export function paintChannelFrames(
  data: Float32Array,
  T: number,
  F: number,
  out: Uint32Array,
  width: number,
  height: number,
  color: number = defaultPalette.on,
  background: number = defaultPalette.background,
): void {
  if (data.length < T * F) throw new RangeError(`channel frames have ${data.length} values, expected ${T}×${F}`);
  const cells = new Float32Array(T * height);
  for (let t = 0; t < T; t++) {
    for (let f = 0; f < F; f++) cells[t * height + Math.floor((f / F) * height)]! += data[t * F + f]!;
  }
  let max = 0;
  for (const v of cells) if (v > max) max = v;
  const [r0, g0, b0] = unpack(background);
  const [r1, g1, b1] = unpack(color);
  for (let y = 0; y < height; y++) {
    const row = height - 1 - y;
    for (let x = 0; x < width; x++) {
      const t = Math.min(T - 1, Math.floor((x / width) * T));
      const v = max > 0 ? Math.sqrt(cells[t * height + row]! / max) : 0;
      out[y * width + x] = rgba((r0 + (r1 - r0) * v) | 0, (g0 + (g1 - g0) * v) | 0, (b0 + (b1 - b0) * v) | 0);
    }
  }
}

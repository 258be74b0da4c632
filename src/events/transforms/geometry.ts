import type { EventStream } from "../stream.js";
import type { Frames } from "./frames.js";
import { checkPositive, type EventTransform, filterEvents } from "./types.js";

/**
 * Spatial downsampling of events: x → floor(x / kx), y → floor(y / ky), sensor ceil(W/kx) × ceil(H/ky).
 * Integrating afterwards equals summing kx×ky blocks of the full-resolution frames (TA-SNN's 128→32 with k = 4).
 */
export function downsample(kx: number, ky = kx): EventTransform {
  checkPositive("kx", kx, true);
  checkPositive("ky", ky, true);
  return {
    name: "downsample",
    params: { kx, ky },
    apply(ev) {
      const n = ev.t.length;
      const x = new Uint16Array(n);
      const y = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = Math.floor(ev.x[i]! / kx);
        y[i] = Math.floor(ev.y[i]! / ky);
      }
      const s = ev.sensor;
      return {
        t: ev.t,
        x,
        y,
        p: ev.p,
        sensor: { width: Math.ceil(s.width / kx), height: Math.ceil(s.height / ky), polarities: s.polarities },
      };
    },
  };
}

/** Sums k×k blocks of [T, P, H, W] frames (edge blocks of a size not divisible by k are partial). */
export function sumPoolFrames(f: Frames, k: number): Frames {
  checkPositive("k", k, true);
  const [T, P, H, W] = f.shape;
  const h = Math.ceil(H / k);
  const w = Math.ceil(W / k);
  const out = new Float32Array(T * P * h * w);
  for (let tp = 0; tp < T * P; tp++) {
    const src = tp * H * W;
    const dst = tp * h * w;
    for (let yy = 0; yy < H; yy++) {
      const row = dst + Math.floor(yy / k) * w;
      for (let xx = 0; xx < W; xx++) out[row + Math.floor(xx / k)]! += f.data[src + yy * W + xx]!;
    }
  }
  return { data: out, shape: [T, P, h, w] };
}

/** Keeps events inside the box [x0, x0+width) × [y0, y0+height), shifted to the box's origin. */
export function crop(x0: number, y0: number, width: number, height: number): EventTransform {
  checkPositive("width", width, true);
  checkPositive("height", height, true);
  return {
    name: "crop",
    params: { x0, y0, width, height },
    apply(ev) {
      const out = filterEvents(
        ev,
        (i) => ev.x[i]! >= x0 && ev.x[i]! < x0 + width && ev.y[i]! >= y0 && ev.y[i]! < y0 + height,
        { width, height, polarities: ev.sensor.polarities },
      );
      for (let i = 0; i < out.t.length; i++) {
        out.x[i] = out.x[i]! - x0;
        out.y[i] = out.y[i]! - y0;
      }
      return out;
    },
  };
}

/** A centred crop to width × height. */
export function centerCrop(width: number, height: number): EventTransform {
  return {
    name: "centerCrop",
    params: { width, height },
    apply(ev) {
      const x0 = Math.max(0, Math.floor((ev.sensor.width - width) / 2));
      const y0 = Math.max(0, Math.floor((ev.sensor.height - height) / 2));
      return crop(x0, y0, width, height).apply(ev);
    },
  };
}

function mirror(name: string, axis: "x" | "y"): EventTransform {
  return {
    name,
    params: {},
    apply(ev: EventStream) {
      const size = axis === "x" ? ev.sensor.width : ev.sensor.height;
      const src = ev[axis];
      const dst = new Uint16Array(src.length);
      for (let i = 0; i < src.length; i++) dst[i] = size - 1 - src[i]!;
      return { ...ev, [axis]: dst };
    },
  };
}

/** Left-right mirror: x → W − 1 − x. */
export const flipLR = (): EventTransform => mirror("flipLR", "x");
/** Up-down mirror: y → H − 1 − y. */
export const flipUD = (): EventTransform => mirror("flipUD", "y");

/** One polarity channel: every event gets p = 0 and the sensor reports 1 polarity. */
export function mergePolarities(): EventTransform {
  return {
    name: "mergePolarities",
    params: {},
    apply(ev) {
      return { ...ev, p: new Uint8Array(ev.t.length), sensor: { ...ev.sensor, polarities: 1 } };
    },
  };
}

/** Swaps ON and OFF. */
export function flipPolarity(): EventTransform {
  return {
    name: "flipPolarity",
    params: {},
    apply(ev) {
      const p = new Uint8Array(ev.p.length);
      for (let i = 0; i < p.length; i++) p[i] = ev.p[i]! !== 0 ? 0 : 1;
      return { ...ev, p };
    },
  };
}

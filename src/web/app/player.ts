// Event playback: the event view (or spike raster for audio), the time slider, the event-rate timeline and the
// strip of integrated frames. Drawing reads precomputed per-bin offsets, never walks the whole stream per frame.
import type { EventStream } from "../../events/stream.js";
import { frameWindows } from "../../events/transforms/frames.js";
import { defaultPalette, paintEvents, paintFrame, paintRaster, rgba } from "../render.js";
import { eventIndexAt, type TimeIndex } from "../timeline.js";
import { blit, byId, formatCount, formatUs, setText } from "./dom.js";

const sliderSteps = 1000;

export interface PlayerRecording {
  stream: EventStream;
  index: TimeIndex;
}

/** Audio datasets store the channel in x and use a one-row sensor. */
export function isAudio(ev: EventStream): boolean {
  return ev.sensor.height === 1;
}

export class Player {
  private rec: PlayerRecording | null = null;
  private time = 0;
  private playing = false;
  private lastTick = 0;
  private pixels = new Uint32Array(0);
  private rasterBase: ImageData | null = null;
  private readonly eventsCanvas = byId<HTMLCanvasElement>("events-canvas");
  private readonly rasterCanvas = byId<HTMLCanvasElement>("raster-canvas");
  private readonly timeline = byId<HTMLCanvasElement>("timeline-canvas");
  private readonly slider = byId<HTMLInputElement>("time-slider");
  private readonly playButton = byId<HTMLButtonElement>("play");
  private readonly speed = byId<HTMLSelectElement>("speed");
  private readonly windowSelect = byId<HTMLSelectElement>("window");

  /** called after every redraw with the playback time (µs of the recording) */
  onTime: ((time: number) => void) | null = null;

  constructor() {
    // these canvases are read back (getImageData) on every draw; the first getContext call fixes the attributes
    this.timeline.getContext("2d", { willReadFrequently: true });
    this.rasterCanvas.getContext("2d", { willReadFrequently: true });
    this.slider.addEventListener("input", () => {
      if (this.rec === null) return;
      const { t0, t1 } = this.rec.index;
      this.time = t0 + (Number(this.slider.value) / sliderSteps) * (t1 - t0);
      this.draw();
    });
    this.playButton.addEventListener("click", () => this.setPlaying(!this.playing));
    this.windowSelect.addEventListener("change", () => this.draw());
  }

  show(rec: PlayerRecording): void {
    this.rec = rec;
    const ev = rec.stream;
    const audio = isAudio(ev);
    this.eventsCanvas.hidden = audio;
    this.rasterCanvas.hidden = !audio;
    if (!audio) {
      this.eventsCanvas.width = Math.max(1, ev.sensor.width);
      this.eventsCanvas.height = Math.max(1, ev.sensor.height);
      this.pixels = new Uint32Array(this.eventsCanvas.width * this.eventsCanvas.height);
    } else {
      this.drawRasterBase();
    }
    this.slider.disabled = false;
    this.playButton.disabled = false;
    this.time = busiestTime(rec.index);
    this.drawTimelineBase();
    this.draw();
  }

  /** Window length in µs: the chosen one, or about 1/50 of the recording. */
  windowUs(): number {
    const chosen = Number(this.windowSelect.value);
    if (chosen > 0) return chosen;
    if (this.rec === null) return 10_000;
    return Math.max(50, (this.rec.index.t1 - this.rec.index.t0) / 50);
  }

  setPlaying(on: boolean): void {
    if (this.rec === null) return;
    this.playing = on;
    this.playButton.textContent = on ? "❚❚ Pause" : "▶ Play";
    if (on) {
      if (this.time >= this.rec.index.t1) this.time = this.rec.index.t0;
      this.lastTick = performance.now();
      requestAnimationFrame((now) => this.tick(now));
    }
  }

  private tick(now: number): void {
    if (!this.playing || this.rec === null) return;
    const elapsedUs = (now - this.lastTick) * 1000 * Number(this.speed.value);
    this.lastTick = now;
    this.time = Math.min(this.rec.index.t1, this.time + elapsedUs);
    this.draw();
    if (this.time >= this.rec.index.t1) this.setPlaying(false);
    else requestAnimationFrame((n) => this.tick(n));
  }

  draw(): void {
    const rec = this.rec;
    if (rec === null) return;
    const { t0, t1 } = rec.index;
    const win = this.windowUs();
    const start = eventIndexAt(rec.stream, rec.index, this.time - win);
    const end = eventIndexAt(rec.stream, rec.index, this.time);
    if (!isAudio(rec.stream)) {
      paintEvents(rec.stream, start, end, this.pixels, this.eventsCanvas.width, this.eventsCanvas.height);
      blit(this.eventsCanvas, this.pixels);
    } else {
      this.drawRasterCursor();
    }
    this.slider.value = String(Math.round(((this.time - t0) / Math.max(1, t1 - t0)) * sliderSteps));
    setText(
      "time-label",
      `t = ${formatUs(this.time - t0)} / ${formatUs(t1 - t0)} · ${formatCount(end - start)} events in ${formatUs(win)}`,
    );
    this.drawTimelineCursor();
    this.onTime?.(this.time);
  }

  /** Moves playback to `time` (µs of the recording) and redraws. */
  seek(time: number): void {
    if (this.rec === null) return;
    this.time = Math.max(this.rec.index.t0, Math.min(this.rec.index.t1, time));
    this.draw();
  }

  /** Event rate per bin, ON stacked over OFF, scaled to the busiest bin. */
  private timelineBase: ImageData | null = null;
  private drawTimelineBase(): void {
    const rec = this.rec!;
    const c = this.timeline;
    const ctx = c.getContext("2d", { willReadFrequently: true })!;
    const w = c.width;
    const h = c.height;
    ctx.fillStyle = "#0a0b0f";
    ctx.fillRect(0, 0, w, h);
    const { bins } = rec.index;
    // one polarity (audio): every event counts as ON
    const single = rec.stream.sensor.polarities === 1;
    const on = single ? rec.index.on.map((v, b) => v + rec.index.off[b]!) : rec.index.on;
    const off = single ? new Uint32Array(bins) : rec.index.off;
    let max = 1;
    for (let b = 0; b < bins; b++) max = Math.max(max, on[b]! + off[b]!);
    const colW = w / bins;
    for (let b = 0; b < bins; b++) {
      const hOn = (on[b]! / max) * h;
      const hOff = (off[b]! / max) * h;
      ctx.fillStyle = "rgb(80,200,255)";
      ctx.fillRect(b * colW, h - hOn - hOff, Math.max(1, colW), hOn);
      ctx.fillStyle = "rgb(255,96,64)";
      ctx.fillRect(b * colW, h - hOff, Math.max(1, colW), hOff);
    }
    this.timelineBase = ctx.getImageData(0, 0, w, h);
  }

  private drawTimelineCursor(): void {
    const rec = this.rec;
    if (rec === null || this.timelineBase === null) return;
    const ctx = this.timeline.getContext("2d")!;
    ctx.putImageData(this.timelineBase, 0, 0);
    const { t0, t1 } = rec.index;
    const w = this.timeline.width;
    const x1 = ((this.time - t0) / (t1 - t0)) * w;
    const x0 = ((this.time - this.windowUs() - t0) / (t1 - t0)) * w;
    ctx.fillStyle = "rgba(255,255,255,0.18)";
    ctx.fillRect(x0, 0, Math.max(1, x1 - x0), this.timeline.height);
    ctx.fillStyle = "#fff";
    ctx.fillRect(x1 - 1, 0, 2, this.timeline.height);
  }

  private drawRasterBase(): void {
    const rec = this.rec!;
    const c = this.rasterCanvas;
    c.height = Math.min(350, Math.max(50, rec.stream.sensor.width));
    const px = new Uint32Array(c.width * c.height);
    const { background, on } = defaultPalette;
    paintRaster(
      rec.stream,
      rec.index.t0,
      rec.index.t1,
      rec.stream.sensor.width,
      px,
      c.width,
      c.height,
      on,
      background,
      2,
    );
    blit(c, px);
    this.rasterBase = c.getContext("2d", { willReadFrequently: true })!.getImageData(0, 0, c.width, c.height);
  }

  private drawRasterCursor(): void {
    const rec = this.rec!;
    if (this.rasterBase === null) return;
    const ctx = this.rasterCanvas.getContext("2d")!;
    ctx.putImageData(this.rasterBase, 0, 0);
    const { t0, t1 } = rec.index;
    const x = ((this.time - t0) / (t1 - t0)) * this.rasterCanvas.width;
    ctx.fillStyle = "#fff";
    ctx.fillRect(x - 1, 0, 2, this.rasterCanvas.height);
  }
}

/** The end of the busiest bin: a starting point that shows something. */
function busiestTime(index: TimeIndex): number {
  let best = 0;
  for (let b = 1; b < index.bins; b++) if (index.on[b]! + index.off[b]! > index.on[best]! + index.off[best]!) best = b;
  return Math.min(index.t1, index.t0 + (best + 1) * index.binUs);
}

/** One small canvas per frame, with a caption; `dropped` frames are dimmed. */
export function drawFrameStrip(
  title: string,
  frames: {
    paint: (out: Uint32Array, w: number, h: number) => void;
    caption: string;
    dropped?: boolean;
    /** one image as wide as the strip instead of a thumbnail */
    wide?: boolean;
  }[],
  width: number,
  height: number,
): void {
  setText("frames-title", title);
  const strip = byId("frames-strip");
  strip.replaceChildren();
  const px = new Uint32Array(width * height);
  for (const f of frames) {
    const fig = document.createElement("figure");
    if (f.dropped) fig.classList.add("dropped");
    if (f.wide) fig.classList.add("wide");
    const c = document.createElement("canvas");
    c.width = width;
    c.height = height;
    f.paint(px, width, height);
    blit(c, px);
    const cap = document.createElement("figcaption");
    cap.textContent = f.caption;
    fig.append(c, cap);
    strip.append(fig);
  }
}

/** Display frames of a recording without a model: `count` equal time bins (frame integration's index ranges). */
export function eventBinFrames(rec: PlayerRecording, count: number) {
  const win = frameWindows(rec.stream, { mode: "timeBins", bins: count, convention: "spikingjelly" });
  const t0 = rec.index.t0;
  return win.start.map((s, k) => ({
    caption: formatUs((rec.stream.t[s] ?? t0) - t0),
    paint: (out: Uint32Array, w: number, h: number) => {
      paintEvents(rec.stream, s, win.end[k]!, out, w, h);
    },
  }));
}

/** Display frames of the model's input [T, P, H, W]. */
export function modelInputFrames(data: Float32Array, shape: [number, number, number, number], mask?: Uint8Array) {
  const [t, p, h, w] = shape;
  const size = p * h * w;
  return Array.from({ length: t }, (_, k) => ({
    caption: `${k}${mask && mask[k] === 0 ? " ✕" : ""}`,
    dropped: mask !== undefined && mask[k] === 0,
    paint: (out: Uint32Array) => paintFrame(data.subarray(k * size, (k + 1) * size), p, w, h, out),
  }));
}

export const dimColor = rgba(40, 44, 56);
export { defaultPalette };

// The model side of the page: threshold slider, kept frames, per-layer heat strips, prediction over time, SOPs,
// time, accuracy and savings. Inference runs in the Worker; this module only shows results.
import type { RazorWorkerInference, RazorWorkerModel } from "../protocol.js";
import { byId, formatBig, setText } from "./dom.js";

export interface ScoredRecording {
  name: string;
  label: number | undefined;
  result: RazorWorkerInference | undefined;
}

export function showModel(model: RazorWorkerModel): void {
  byId("model-panel").hidden = false;
  byId("razor-views").hidden = false;
  setText("model-name", model.name);
  const layers = model.maskedLayers.length;
  setText(
    "model-summary",
    `${model.kind} · ${model.dataset} · ${model.classes} classes · T = ${model.timesteps} · ` +
      (layers > 0 ? `${layers} masked layer${layers > 1 ? "s" : ""}` : "no Razor mask (threshold has no effect)") +
      ` · engine: ${model.engine}`,
  );
  const theta = model.thresholds.length > 0 ? Math.max(...model.thresholds) : 0;
  byId<HTMLInputElement>("threshold").value = String(theta);
  byId("threshold-checkpoint").hidden = !hasOwnThresholds(model);
}

/** True when the checkpoint stores thresholds that one slider value cannot express (they differ per layer). */
export function hasOwnThresholds(model: RazorWorkerModel): boolean {
  return model.thresholds.some((t) => t !== model.thresholds[0]);
}

/** The θ per masked layer for a run, and how to show it. */
export function thresholdsFor(model: RazorWorkerModel, fromCheckpoint: boolean, slider: number) {
  if (fromCheckpoint) {
    return {
      thresholds: model.thresholds.slice(),
      label: `checkpoint: ${model.thresholds.map((t) => t.toFixed(2)).join(" / ")}`,
    };
  }
  return { thresholds: model.maskedLayers.map(() => slider), label: slider.toFixed(2) };
}

/** Left margin (row labels) and the width of one frame's column on the heat and prediction canvases. */
const labelW = 80;
function columnWidth(c: HTMLCanvasElement, T: number): number {
  return (c.width - labelW) / T;
}

/** The result on show and the frame under the playback time (-1: none), for the cursor on both canvases. */
let shown: RazorWorkerInference | null = null;
let cursorFrame = -1;

/** Marks the model frame that contains `time` (µs of the recording) on the heat strip and prediction rows. */
export function setPlaybackTime(time: number): void {
  const b = shown?.frameTimes;
  let k = -1;
  if (b) for (let i = 0; i + 1 < b.length; i++) if (time > b[i]! && time <= b[i + 1]!) k = i;
  if (k === cursorFrame || shown === null) return;
  cursorFrame = k;
  drawHeat(shown);
  drawPredictions(shown);
  // the same frame in the strip of model input frames
  byId("frames-strip")
    .querySelectorAll("figure")
    .forEach((fig, i) => {
      fig.classList.toggle("current", i === k);
    });
}

/** The frame under a click on either canvas, and where it ends in the recording (null outside the frames). */
export function frameAtClick(c: HTMLCanvasElement, ev: MouseEvent): { frame: number; end: number } | null {
  const b = shown?.frameTimes;
  if (!shown || !b) return null;
  const x = ((ev.clientX - c.getBoundingClientRect().left) / c.clientWidth) * c.width;
  const k = Math.floor((x - labelW) / columnWidth(c, shown.timesteps));
  return k >= 0 && k < shown.timesteps ? { frame: k, end: b[k + 1]! } : null;
}

function drawCursor(ctx: CanvasRenderingContext2D, c: HTMLCanvasElement, T: number): void {
  if (cursorFrame < 0) return;
  const colW = columnWidth(c, T);
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 2;
  ctx.strokeRect(labelW + cursorFrame * colW, 1, Math.max(2, colW - 1), c.height - 2);
}

/** Shows one recording's result, and accuracy and savings over all scored recordings. */
export function showResult(current: ScoredRecording, all: ScoredRecording[]): void {
  const r = current.result;
  if (r === undefined) return;
  shown = r;
  cursorFrame = -1;
  const keptTotal = r.layers.reduce((s, l) => s + l.kept, 0);
  const frameTotal = r.layers.length * r.timesteps;
  setText("kept-count", r.layers.length > 0 ? `${keptTotal} / ${frameTotal}` : `${r.timesteps} / ${r.timesteps}`);
  setText("kept-detail", r.layers.map((l) => `${l.name}: ${l.kept}`).join(" · "));
  drawHeat(r);
  drawPredictions(r);
  const label = current.label !== undefined ? ` (label ${current.label})` : "";
  setText("pred-masked", `${className(r.masked.predicted)}${label}`);
  setText("pred-unmasked", className(r.unmasked.predicted));
  setText("sops-masked", formatBig(r.masked.sops));
  setText("sops-unmasked", formatBig(r.unmasked.sops));
  setText("sops-saving", saving(r.masked.sops, r.unmasked.sops));
  setText("time-masked", `${r.masked.ms.toFixed(1)} ms`);
  setText("time-unmasked", `${r.unmasked.ms.toFixed(1)} ms`);
  setText("time-saving", saving(r.masked.ms, r.unmasked.ms));
  setText("timing-runs", `best of ${r.timingRuns} alternating run${r.timingRuns > 1 ? "s" : ""}`);
  setText("accuracy", accuracyText(all));
}

/** A class index, or "–" when the output never spiked. */
export function className(cls: number): string {
  return cls < 0 ? "–" : String(cls);
}

function saving(masked: number, unmasked: number): string {
  if (unmasked <= 0) return "–";
  return `${(100 * (1 - masked / unmasked)).toFixed(1)} %`;
}

function accuracyText(all: ScoredRecording[]): string {
  const labelled = all.filter((s) => s.label !== undefined && s.result !== undefined);
  if (labelled.length === 0) return "no labels (open a label list .txt with the recordings)";
  const hits = (pick: (r: RazorWorkerInference) => number) =>
    labelled.filter((s) => pick(s.result!) === s.label).length;
  const masked = hits((r) => r.masked.predicted);
  const unmasked = hits((r) => r.unmasked.predicted);
  const n = labelled.length;
  return `${masked}/${n} = ${((100 * masked) / n).toFixed(1)} % with mask, ${((100 * unmasked) / n).toFixed(1)} % without`;
}

/** One row per masked layer: score as colour (dark blue → yellow), dropped frames dark with a red tick. */
function drawHeat(r: RazorWorkerInference): void {
  const c = byId<HTMLCanvasElement>("heat-canvas");
  const rows = Math.max(1, r.layers.length);
  const rowH = 24;
  c.height = rows * rowH + 14;
  const ctx = c.getContext("2d")!;
  ctx.fillStyle = "#0a0b0f";
  ctx.fillRect(0, 0, c.width, c.height);
  const colW = columnWidth(c, r.timesteps);
  ctx.font = "12px system-ui";
  r.layers.forEach((layer, i) => {
    const y = i * rowH;
    ctx.fillStyle = "#8a92a6";
    ctx.fillText(layer.name.slice(0, 10), 6, y + 16);
    for (let t = 0; t < r.timesteps; t++) {
      const s = layer.scores[t]!;
      const x = labelW + t * colW;
      // dropped frames keep their score colour, faded, so the scores stay readable at any θ
      ctx.globalAlpha = layer.mask[t] ? 1 : 0.3;
      ctx.fillStyle = heat(s);
      ctx.fillRect(x, y + 2, Math.max(1, colW - 1), rowH - 4);
      ctx.globalAlpha = 1;
      if (!layer.mask[t]) {
        ctx.fillStyle = "#c04030";
        ctx.fillRect(x, y + rowH - 5, Math.max(1, colW - 1), 2);
      }
    }
  });
  ctx.fillStyle = "#8a92a6";
  ctx.fillText(`frame 0 … ${r.timesteps - 1}`, labelW, c.height - 2);
  drawCursor(ctx, c, r.timesteps);
}

/** Predicted class after each frame, with and without the mask, as two rows of class-coloured cells. */
function drawPredictions(r: RazorWorkerInference): void {
  const c = byId<HTMLCanvasElement>("prediction-canvas");
  const ctx = c.getContext("2d")!;
  ctx.fillStyle = "#0a0b0f";
  ctx.fillRect(0, 0, c.width, c.height);
  const colW = columnWidth(c, r.timesteps);
  ctx.font = "12px system-ui";
  const rows: [string, Int32Array][] = [
    ["masked", r.masked.predictionOverTime],
    ["unmasked", r.unmasked.predictionOverTime],
  ];
  rows.forEach(([name, pred], i) => {
    const y = 4 + i * 36;
    ctx.fillStyle = "#8a92a6";
    ctx.fillText(name, 6, y + 18);
    for (let t = 0; t < r.timesteps; t++) {
      const cls = pred[t]!;
      ctx.fillStyle = classColor(cls);
      ctx.fillRect(labelW + t * colW, y, Math.max(1, colW - 1), 28);
      if (colW >= 12) {
        ctx.fillStyle = cls < 0 ? "#8a92a6" : "#000";
        ctx.fillText(className(cls), labelW + t * colW + 3, y + 18);
      }
    }
  });
  drawCursor(ctx, c, r.timesteps);
}

function heat(s: number): string {
  const v = Math.max(0, Math.min(1, s));
  const r = Math.round(40 + 215 * v);
  const g = Math.round(60 + 170 * v * v);
  const b = Math.round(140 * (1 - v) + 40);
  return `rgb(${r},${g},${b})`;
}

function classColor(cls: number): string {
  if (cls < 0) return "#333";
  return `hsl(${(cls * 137.5) % 360}, 65%, 60%)`;
}

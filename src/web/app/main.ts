// The viewer page: opens recordings, label lists and checkpoints (picker, drag-and-drop, or the files the
// `razor-snn view` command serves), decodes and runs models in the Worker, and wires the panels together.
import type { RazorWorkerInference, RazorWorkerModel, RazorWorkerRecording } from "../protocol.js";
import { paintChannelFrames, paintRaster } from "../render.js";
import { buildTimeIndex, type TimeIndex } from "../timeline.js";
import { RazorWorkerClient } from "../worker-client.js";
import { byId, formatCount, formatUs, setText } from "./dom.js";
import { labelId, labelsById } from "../../data/labels.js";
import {
  className,
  hasOwnThresholds,
  type ScoredRecording,
  frameAtClick,
  setPlaybackTime,
  showModel,
  showResult,
  thresholdsFor,
} from "./model-panel.js";
import { drawFrameStrip, eventBinFrames, isAudio, modelInputFrames, Player } from "./player.js";

interface LoadedRecording extends ScoredRecording {
  decoded: RazorWorkerRecording;
  index: TimeIndex;
}

interface Session {
  recordings: { name: string; url: string }[];
  checkpoint: { name: string; url: string } | null;
  labels: { name: string; url: string } | null;
  wasm: string | null;
}

const worker = new RazorWorkerClient(new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }));
const player = new Player();
const recordings: LoadedRecording[] = [];
let labels = new Map<string, number>();
let current = -1;
let model: RazorWorkerModel | null = null;
let wasmUrl: string | null = "/razor.wasm";
player.onTime = setPlaybackTime;
for (const id of ["heat-canvas", "prediction-canvas"]) {
  const c = byId<HTMLCanvasElement>(id);
  c.addEventListener("click", (ev) => {
    const hit = frameAtClick(c, ev);
    if (hit !== null) player.seek(hit.end);
  });
}

const threshold = byId<HTMLInputElement>("threshold");
/** whether runs use the checkpoint's θ per layer instead of the slider's one value */
let thetaFromCheckpoint = false;
/** completed inference runs (the model panel's data-generation) */
let inferenceGeneration = 0;

function status(text: string, error = false): void {
  const el = byId("status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

/**
 * Opens any mix of files: .safetensors = checkpoint, .nir = NIR graph (imported as a model by the Worker), .txt =
 * label list, anything else = a recording.
 */
async function openFiles(files: { name: string; bytes: () => Promise<ArrayBuffer> }[]): Promise<void> {
  const ckpts = files.filter((f) => f.name.endsWith(".safetensors") || f.name.endsWith(".nir"));
  const lists = files.filter((f) => f.name.endsWith(".txt"));
  const recs = files.filter((f) => !ckpts.includes(f) && !lists.includes(f));
  try {
    for (const f of lists) {
      labels = new Map([...labels, ...labelsById(new TextDecoder().decode(await f.bytes()), f.name)]);
      for (const r of recordings) r.label = labels.get(labelId(r.name));
    }
    const first = recordings.length;
    for (const [i, f] of recs.entries()) {
      status(`decoding ${f.name} (${i + 1}/${recs.length})…`);
      const decoded = await worker.decode(await f.bytes(), { fileName: f.name });
      addRecording(decoded);
      const c = decoded.container;
      if (c !== null) {
        // a file of many samples (SHD/SSC): open the first few as separate recordings
        const n = Math.min(c.samples, samplesPerFile);
        for (let k = 1; k < n; k++) addRecording(await worker.sample(c.handle, k));
      }
    }
    if (recs.length > 0) select(first);
    for (const f of ckpts) await loadModel(f.name, await f.bytes());
    if (model !== null && recordings.length > 0 && (recs.length > 0 || ckpts.length > 0)) await runInference();
    else if (recs.length > 0 || lists.length > 0) status(readyText());
  } catch (err) {
    status((err as Error).message, true);
  }
}

/** How many samples of a multi-sample file (SHD/SSC HDF5) the page opens. */
const samplesPerFile = 16;

function addRecording(decoded: RazorWorkerRecording): void {
  recordings.push({
    name: decoded.name,
    decoded,
    index: buildTimeIndex(decoded.stream, 1000),
    label: decoded.container?.label ?? labels.get(labelId(decoded.name)),
    result: undefined,
  });
}

function readyText(): string {
  const n = recordings.length;
  return `${n} recording${n === 1 ? "" : "s"} open${model ? ` · model ${model.name}` : ""}`;
}

function select(i: number): void {
  current = i;
  const r = recordings[i]!;
  const ev = r.decoded.stream;
  const on = countOn(ev.p);
  setText("rec-name", r.name + (r.label !== undefined ? ` (label ${r.label})` : ""));
  const c = r.decoded.container;
  setText(
    "rec-format",
    c === null
      ? r.decoded.format
      : `${r.decoded.format}, sample ${c.index + 1} of ${c.samples}${c.className ? ` (${c.className})` : ""}`,
  );
  setText(
    "rec-sensor",
    isAudio(ev)
      ? `${ev.sensor.width} channels`
      : `${ev.sensor.width}×${ev.sensor.height}${r.decoded.sensorGuessed ? " (guessed)" : ""}`,
  );
  setText("event-count", formatCount(ev.t.length));
  setText(
    "rec-onoff",
    ev.sensor.polarities === 1 ? "one polarity" : `${formatCount(on)} / ${formatCount(ev.t.length - on)}`,
  );
  setText("rec-duration", formatUs(r.index.t1 - r.index.t0));
  setText("rec-decode", `${r.decoded.decodeMs.toFixed(0)} ms`);
  // the result first, so the player's first draw puts the frame cursor on this recording's strips
  if (r.result !== undefined) showResult(r, recordings);
  player.show({ stream: ev, index: r.index });
  drawFrames();
  renderList();
}

function countOn(p: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < p.length; i++) n += p[i]!;
  return n;
}

function drawFrames(): void {
  const r = recordings[current];
  if (r === undefined) return;
  const ev = r.decoded.stream;
  if (r.result !== undefined && r.result.frameShape[2] === 1) {
    // a channel input (audio): all T frames as one channel × frame image
    const [t, , , f] = r.result.frameShape;
    const frames = r.result.frames;
    drawFrameStrip(
      `Model input frames (T = ${t}, ${f} channels; time →, channel 0 at the bottom)`,
      [
        {
          caption: `frames 0 … ${t - 1}`,
          wide: true,
          paint: (out, w, h) => paintChannelFrames(frames, t, f, out, w, h),
        },
      ],
      Math.max(t, Math.min(1000, t * 8)),
      Math.min(350, f),
    );
  } else if (r.result !== undefined) {
    const [t, , h, w] = r.result.frameShape;
    const lastMask = r.result.layers.at(-1)?.mask;
    drawFrameStrip(
      `Model input frames (T = ${t}; dimmed = dropped by the last masked layer)`,
      modelInputFrames(r.result.frames, r.result.frameShape, lastMask),
      w,
      h,
    );
  } else if (isAudio(ev)) {
    const bins = 10;
    const span = (r.index.t1 - r.index.t0) / bins;
    const frames = Array.from({ length: bins }, (_, k) => ({
      caption: formatUs(k * span),
      paint: (out: Uint32Array, w: number, h: number) =>
        paintRaster(
          ev,
          r.index.t0 + k * span,
          r.index.t0 + (k + 1) * span,
          ev.sensor.width,
          out,
          w,
          h,
          undefined,
          undefined,
          2,
        ),
    }));
    drawFrameStrip("Spike raster in 10 time bins", frames, 60, 140);
  } else {
    drawFrameStrip(
      "Integrated frames (10 equal time bins)",
      eventBinFrames({ stream: ev, index: r.index }, 10),
      ev.sensor.width,
      ev.sensor.height,
    );
  }
}

function renderList(): void {
  const list = byId("recording-list");
  list.replaceChildren();
  if (recordings.length < 2) return;
  recordings.forEach((r, i) => {
    const li = document.createElement("li");
    const pred = r.result ? ` → ${className(r.result.masked.predicted)}` : "";
    const lab = r.label !== undefined ? ` [${r.label}]` : "";
    li.textContent = `${r.name}${lab}${pred}`;
    if (i === current) li.className = "current";
    li.addEventListener("click", () => select(i));
    list.append(li);
  });
}

async function loadModel(name: string, bytes: ArrayBuffer): Promise<void> {
  status(`loading model ${name}…`);
  model = await worker.loadModel(bytes, name, wasmUrl);
  showModel(model);
  // a checkpoint with its own θ per layer starts with them; one slider value can then replace them
  thetaFromCheckpoint = hasOwnThresholds(model);
  status(readyText());
}

/**
 * Runs the model on every open recording with the slider's θ. One run at a time: a request while one runs is
 * remembered, and when the run ends it starts again with the slider's latest value, so dragging the slider
 * updates the page as fast as inference allows without queueing stale work. The model panel's `data-theta` and
 * `data-busy` say what the shown results are for.
 */
let inferenceRunning = false;
let inferenceWanted = false;

async function runInference(): Promise<void> {
  if (model === null || recordings.length === 0) return;
  if (inferenceRunning) {
    inferenceWanted = true;
    return;
  }
  const panel = byId("model-panel");
  inferenceRunning = true;
  panel.dataset.busy = "1";
  try {
    do {
      inferenceWanted = false;
      const generation = ++inferenceGeneration;
      const { thresholds, label } = thresholdsFor(model, thetaFromCheckpoint, Number(threshold.value));
      setText("threshold-value", label);
      status(`running ${model.name} on ${recordings.length} recording(s), θ = ${label}…`);
      const results: RazorWorkerInference[] = [];
      // careful timing only for the recording on show; the others need predictions (accuracy) and one timing run
      for (const [i, r] of recordings.entries()) {
        results.push(await worker.infer(r.decoded.handle, thresholds, i === current ? 5 : 1));
      }
      recordings.forEach((r, i) => {
        r.result = results[i];
      });
      select(current);
      status(`${readyText()} · θ = ${label}`);
      panel.dataset.generation = String(generation);
      panel.dataset.theta = label;
    } while (inferenceWanted);
  } finally {
    inferenceRunning = false;
    panel.dataset.busy = "0";
  }
}

async function loadSession(): Promise<void> {
  const res = await fetch("./session.json");
  if (!res.ok) return;
  const s = (await res.json()) as Session;
  wasmUrl = s.wasm;
  const remote = (f: { name: string; url: string }) => ({
    name: f.name,
    bytes: async () => {
      const r = await fetch(f.url);
      if (!r.ok) throw new Error(`could not fetch ${f.name}: HTTP ${r.status}`);
      return r.arrayBuffer();
    },
  });
  const files = [...(s.labels ? [s.labels] : []), ...s.recordings, ...(s.checkpoint ? [s.checkpoint] : [])];
  if (files.length > 0) await openFiles(files.map(remote));
}

function localFiles(list: FileList | null) {
  return Array.from(list ?? [], (f) => ({ name: f.name, bytes: () => f.arrayBuffer() }));
}

byId<HTMLInputElement>("open-recordings").addEventListener("change", (e) => {
  const input = e.target as HTMLInputElement;
  void openFiles(localFiles(input.files)).then(() => {
    input.value = "";
  });
});
byId<HTMLInputElement>("open-checkpoint").addEventListener("change", (e) => {
  const input = e.target as HTMLInputElement;
  void openFiles(localFiles(input.files)).then(() => {
    input.value = "";
  });
});

threshold.addEventListener("input", () => {
  thetaFromCheckpoint = false;
  setText("threshold-value", Number(threshold.value).toFixed(2));
  void runInference().catch((err: Error) => status(err.message, true));
});
byId("threshold-checkpoint").addEventListener("click", () => {
  thetaFromCheckpoint = true;
  void runInference().catch((err: Error) => status(err.message, true));
});

const overlay = byId("drop-overlay");
let dragDepth = 0;
window.addEventListener("dragenter", (e) => {
  e.preventDefault();
  dragDepth++;
  overlay.hidden = false;
});
window.addEventListener("dragleave", () => {
  if (--dragDepth <= 0) overlay.hidden = true;
});
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => {
  e.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  void openFiles(localFiles(e.dataTransfer?.files ?? null));
});

void loadSession().catch((err: Error) => status(err.message, true));

import { basename } from "node:path";
import { parseArgs } from "node:util";
import { engine } from "../../engine/current.js";
import { argmax } from "../../util/argmax.js";
import { readEventFile } from "../../events/read-file.js";
import { type EventStream, sliceByIndex } from "../../events/stream.js";
import { type EfficiencySummary, summarizeEfficiency } from "../../infer/accounting.js";
import { PrunedRunner } from "../../infer/pruned.js";
import { timeMaskedVsUnmasked } from "../../infer/compare.js";
import { createStream, type FramePrediction } from "../../infer/stream.js";
import type { SnnModel } from "../../models/model.js";
import { releaseEngine, selectEngine } from "../engine-option.js";
import { loadAnyCheckpointModel } from "../../checkpoint/load-model.js";
import { type Preprocessing, pipelineFor } from "../../checkpoint/preprocess.js";
import { GraphStreamRunner } from "../../infer/graph-stream.js";
import { GraphModel, pruningDoesNotApply } from "../../models/graph-model.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import type { Command } from "../command.js";
import { countOpt, intOpt } from "../options.js";

const HELP = `usage: razor-snn infer --checkpoint FILE RECORDING... [options]

Classifies recordings (any format the decoders read) with pruned inference: a frame masked at layer n is not
computed in layer n or any later layer. Uses the checkpoint's preprocessing and thresholds.
  --checkpoint FILE      a .safetensors file written by 'razor-snn train' or 'razor-snn nir import' (an imported
                         NIR graph has no scorer: it runs unpruned, and --threshold/--gap-floor/--compare say so)
  --format NAME          decoder override (default: detected from the content)
  --threshold LIST       θ per layer, comma-separated (index 0 = encoder, ignored; '-' = none), or one value
                         for every masked layer; overrides the checkpoint's thresholds
  --gap-floor G          never drop more than G frames in a row per layer
  --stream               feed the events in chunks through the streaming runtime (frames of the model's dt over
                         the whole recording; prints the prediction after each frame with --verbose)
  --chunk N              events per chunk with --stream (default 4096)
  --compare              also time the same model with nothing masked
  --threads N            engine threads (default: min(2, cores))
  --verbose              per-frame output with --stream
  --out FILE             also write the JSON result here
  --json                 print one JSON object`;

export const command: Command = {
  summary: "classify recordings with pruned (or streaming) inference",
  async run(argv: string[]): Promise<number> {
    try {
      return await run(argv);
    } finally {
      releaseEngine();
    }
  },
};

interface RecordingResult {
  file: string;
  format: string;
  events: number;
  prediction: number;
  confidence: number;
  counts: number[];
  T: number;
  framesKept: { layer: number; kept: number; frames: number }[];
  efficiency: EfficiencySummary;
  ms: number;
  unmaskedMs?: number;
  frames?: { index: number; prediction: number; computed: boolean[]; latencyMs: number }[];
}

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      checkpoint: { type: "string" },
      format: { type: "string" },
      threshold: { type: "string" },
      "gap-floor": { type: "string" },
      stream: { type: "boolean", default: false },
      chunk: { type: "string" },
      compare: { type: "boolean", default: false },
      threads: { type: "string" },
      verbose: { type: "boolean", default: false },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (v.checkpoint === undefined) throw new Error("--checkpoint FILE is required (see razor-snn infer --help)");
  if (positionals.length === 0) throw new Error("give at least one recording to classify (see razor-snn infer --help)");
  const gap = countOpt("gap-floor", v["gap-floor"]);
  const chunk = countOpt("chunk", v.chunk) ?? 4096;
  await selectEngine(intOpt("threads", v.threads));
  const { model, pre } = loadAnyCheckpointModel(v.checkpoint);
  if (model instanceof GraphModel) {
    const flag =
      v.threshold !== undefined ? "--threshold" : gap !== undefined ? "--gap-floor" : v.compare ? "--compare" : null;
    if (flag !== null) {
      model.dispose();
      throw new Error(pruningDoesNotApply(`infer ${flag}`));
    }
  } else {
    if (v.threshold !== undefined) model.setThresholds(parseThresholds(v.threshold, model.layers.length));
    if (gap !== undefined) model.setGapFloor(gap);
  }
  const results: RecordingResult[] = [];
  for (const file of positionals) {
    const rec = await readEventFile(file, v.format === undefined ? {} : { format: v.format as never });
    const frames = () => pipelineFor(pre).toFrames(rec.stream, { id: basename(file) });
    const r =
      model instanceof GraphModel
        ? v.stream
          ? streamOutcome(
              graphStream(model, pre),
              model.config.ops.filter((o) => o.type === "lif").length,
              rec.stream,
              chunk,
              v.verbose,
            )
          : graphBatch(model, frames())
        : v.stream
          ? streamOutcome(createStream(model), model.layers.length, rec.stream, chunk, v.verbose)
          : batchRecording(model, frames(), v.compare);
    const res: RecordingResult = { file, format: rec.format, events: rec.stream.t.length, ...r };
    results.push(res);
    if (!v.json) printResult(res);
  }
  const json = { checkpoint: v.checkpoint, mode: v.stream ? "stream" : "batch", recordings: results };
  if (v.out !== undefined) writeFileAtomic(v.out, `${JSON.stringify(json, null, 2)}\n`);
  if (v.json) console.log(JSON.stringify(json));
  model.dispose();
  return 0;
}

type Outcome = Omit<RecordingResult, "file" | "format" | "events">;

function batchRecording(
  model: SnnModel,
  frames: { data: Float32Array; shape: readonly number[] },
  compare: boolean,
): Outcome {
  const T = frames.shape[0]!;
  const input = model.config.input;
  const x = engine().allocF32(frames.data.length);
  x.set(frames.data);
  const seq = { data: x, shape: [T, 1, ...input] };
  const runner = new PrunedRunner(model);
  let res = runner.run(seq);
  let unmaskedMs: number | undefined;
  if (compare) {
    const thresholds = model.thresholds();
    const t = timeMaskedVsUnmasked(
      runner,
      seq,
      () => model.setThresholds(thresholds),
      () => model.setThresholds(null),
    );
    res = t.result;
    unmaskedMs = t.unmaskedMs;
  }
  engine().free(x);
  return {
    ...votes(res.counts),
    T,
    framesKept: res.layers.map((l) => ({ layer: l.layer, kept: l.framesExecuted, frames: l.frames })),
    efficiency: summarizeEfficiency(res.layers, 1),
    ms: res.ms,
    ...(unmaskedMs !== undefined && { unmaskedMs }),
  };
}

/** Class votes: prediction (-1 without any output spike), its share of the spikes, the counts. */
function votes(c: Float32Array): Pick<Outcome, "prediction" | "confidence" | "counts"> {
  const counts = Array.from(c);
  const total = counts.reduce((a, x) => a + x, 0);
  const prediction = total > 0 ? argmax(c) : -1;
  return { prediction, confidence: total > 0 ? counts[prediction]! / total : 0, counts };
}

/** An imported graph on the whole recording: the model's forward (every frame, every layer; nothing to prune). */
function graphBatch(model: GraphModel, frames: { data: Float32Array; shape: readonly number[] }): Outcome {
  const start = performance.now();
  const T = frames.shape[0]!;
  const x = engine().allocF32(frames.data.length);
  x.set(frames.data);
  const out = model.forward({ data: x, shape: [T, 1, ...model.config.input] });
  const classes = model.config.classes;
  const counts = new Float32Array(classes);
  for (let i = 0; i < out.data.length; i++) counts[i % classes]! += out.data[i]!;
  engine().free(x);
  const layers = model.counts();
  return {
    ...votes(counts),
    T,
    framesKept: layers.map((l) => ({ layer: l.layer, kept: l.framesExecuted, frames: l.frames })),
    efficiency: summarizeEfficiency(layers, 1),
    ms: performance.now() - start,
  };
}

function graphStream(model: GraphModel, pre: Preprocessing): GraphStreamRunner {
  if (pre.framing !== "time-window" || pre.dtUs === null)
    throw new Error("this checkpoint's frames are spread over each recording, so it cannot stream");
  return new GraphStreamRunner(model, { dtUs: pre.dtUs, downsample: pre.downsample });
}

interface FrameStream {
  push(chunk: EventStream): FramePrediction[];
  flush(): FramePrediction[];
}

function streamOutcome(s: FrameStream, layers: number, ev: EventStream, chunk: number, verbose: boolean): Outcome {
  const start = performance.now();
  const frames: FramePrediction[] = [];
  for (let i = 0; i < ev.t.length; i += chunk) {
    for (const f of s.push(sliceByIndex(ev, i, i + chunk))) {
      frames.push(f);
      if (verbose) printFrame(f);
    }
  }
  for (const f of s.flush()) {
    frames.push(f);
    if (verbose) printFrame(f);
  }
  const ms = performance.now() - start;
  const last = frames[frames.length - 1];
  const framesKept = Array.from({ length: layers }, (_, n) => ({
    layer: n,
    kept: frames.filter((f) => f.computed[n]).length,
    frames: frames.length,
  }));
  const sops = frames.reduce((a, f) => a + f.sops, 0);
  return {
    prediction: last?.prediction ?? -1,
    confidence: last?.confidence ?? 0,
    counts: Array.from(last?.counts ?? []),
    T: frames.length,
    framesKept,
    efficiency: {
      sops,
      dropShare: dropShareOf(framesKept),
      energyPJ: null,
      energyNote: "streaming reports SOPs only",
    },
    ms,
    frames: frames.map((f) => ({
      index: f.index,
      prediction: f.prediction,
      computed: f.computed,
      latencyMs: f.latencyMs,
    })),
  };
}

function dropShareOf(kept: { layer: number; kept: number; frames: number }[]): number {
  const later = kept.filter((k) => k.layer > 0);
  const all = later.reduce((a, k) => a + k.frames, 0);
  return all === 0 ? 0 : 1 - later.reduce((a, k) => a + k.kept, 0) / all;
}

function printFrame(f: FramePrediction): void {
  const kept = f.computed.map((c) => (c ? "1" : "0")).join("");
  console.log(
    `  frame ${String(f.index).padStart(4)}  ${f.events} events  layers ${kept}  prediction ${f.prediction}  ` +
      `(${(100 * f.confidence).toFixed(0)} %)  ${f.latencyMs.toFixed(2)} ms`,
  );
}

function printResult(r: RecordingResult): void {
  const kept = r.framesKept.map((k) => `${k.kept}/${k.frames}`).join(" ");
  const cls = r.prediction < 0 ? "none (no output spikes)" : String(r.prediction);
  console.log(`${r.file}: class ${cls}, confidence ${(100 * r.confidence).toFixed(1)} %`);
  console.log(`  ${r.format}, ${r.events} events, ${r.T} frames; frames computed per layer: ${kept}`);
  const e = r.efficiency;
  const energy =
    e.energyPJ === null ? "" : `, energy ≈ ${(e.energyPJ / 1e6).toFixed(3)} µJ (an estimate; --json has the basis)`;
  console.log(`  frame-layer work dropped ${(100 * e.dropShare).toFixed(1)} %, ${Math.round(e.sops)} SOPs${energy}`);
  const cmp =
    r.unmaskedMs === undefined ? "" : ` (unmasked ${r.unmaskedMs.toFixed(1)} ms, ${(r.unmaskedMs / r.ms).toFixed(2)}x)`;
  console.log(`  time ${r.ms.toFixed(1)} ms${cmp}`);
}

/** "0.4" → that θ for every layer after the encoder; "-,0.4,0.5,-" → one per layer. */
export function parseThresholds(text: string, layers: number): (number | null)[] {
  const parts = text.split(",").map((s) => s.trim());
  const parse = (s: string): number | null => {
    if (s === "-" || s === "") return null;
    const x = Number(s);
    if (!Number.isFinite(x)) throw new Error(`--threshold: '${s}' is not a number (use '-' for none)`);
    return x;
  };
  if (parts.length === 1) {
    const x = parse(parts[0]!);
    return Array.from({ length: layers }, (_, i) => (i === 0 ? null : x));
  }
  if (parts.length !== layers) {
    throw new Error(`--threshold: expected 1 value or ${layers} (one per layer, encoder first), got ${parts.length}`);
  }
  return parts.map(parse);
}

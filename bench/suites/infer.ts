/**
 * Inference benchmark (issue 5): the DVS128 Gesture and SHD Razor networks at several per-layer thresholds, with
 * the masks the model produces on recordings: samples/s, frame-layer work dropped and SOPs of the pruned runner,
 * against the same model unmasked on its fastest path (same runner, no threshold) and against dense kernels only.
 *
 * Models: a trained checkpoint when RAZOR_BENCH_GESTURE_CKPT / RAZOR_BENCH_SHD_CKPT name one; otherwise the
 * networks with their seeded initial weights (labelled "untrained" in the rows: their masks and firing rates are not
 * a trained model's). Recordings: the 10 real DVS128 Gesture clips in ../shared/data (1.45 s, 128×128 → 32×32,
 * frames of the config's dt), and for SHD the synthetic-layout fixture (random spikes: no real SHD file is available).
 * Timing: warm-up, then candidates interleaved, best of several rounds (background load hits all alike).
 */
import { join } from "node:path";
import { engine, useEngine } from "../../src/engine/index.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import { openShd } from "../../src/events/shd-node.js";
import { openNmnistEmu } from "../../src/data/emulated/load.js";
import { readEventFile } from "../../src/events/read-file.js";
import { frameLayersDropped, sopsDropped } from "../../src/infer/compare.js";
import { PrunedRunner } from "../../src/infer/pruned.js";
import { createStream } from "../../src/infer/stream.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import type { SnnModel } from "../../src/models/model.js";
import type { Seq } from "../../src/nn/module.js";
import { loadCheckpointModel } from "../../src/checkpoint/load-model.js";
import { pipelineFor, preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { sharedDataDir } from "../../src/util/paths.js";
import type { BenchRow, Suite } from "../run.js";
import { median, minimum, timeInterleaved } from "../timing.js";

interface Subject {
  name: string;
  model: SnnModel;
  trained: boolean;
  input: Seq;
  samples: number;
  data: string;
}

/** Best wall time (ms) per candidate over `rounds` interleaved rounds after one warm-up call each. */
function bestOf(candidates: (() => void)[], rounds: number): number[] {
  return timeInterleaved(candidates, { warmupMs: 0, rounds }).wall.map(minimum);
}

/** θ per layer at the q-quantile of each layer's scores in an unmasked pass (q = 0: keep everything). */
function quantileThresholds(model: SnnModel, x: Seq, q: number): (number | null)[] {
  model.setThresholds(null);
  model.eval().forward(x);
  return model.scores().map((d, i) => {
    if (i === 0 || d === null || q === 0) return null;
    const s = Float32Array.from(d).sort();
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  });
}

async function gestureSubject(quick: boolean): Promise<Subject> {
  const ck = process.env.RAZOR_BENCH_GESTURE_CKPT;
  const loaded = ck ? loadCheckpointModel(ck) : null;
  const config = loaded?.model.config ?? loadModelConfig("dvs128-gesture", { variant: "razor" });
  const model = loaded?.model ?? buildModel(config);
  const pre = preprocessingFor(config, { width: 128, height: 128, polarities: 2 });
  const pipe = pipelineFor(pre);
  const dir = join(sharedDataDir(), "dvs_gesture", "slayerPytorch_binarySpikeTestFiles");
  const clips = quick ? [1, 2] : [1, 2, 3, 4];
  const frames = [];
  for (const i of clips)
    frames.push(pipe.toFrames((await readEventFile(join(dir, `${i}.bs2`))).stream, { id: `${i}` }));
  const input = timeMajor(frames, config.input);
  const [T, B] = input.shape;
  return {
    name: "dvs128-gesture",
    model,
    trained: loaded !== null,
    input,
    samples: B!,
    data: `${B} real DVS128 Gesture clips, T=${T} × ${config.frames.dtMs} ms`,
  };
}

/** Per-sample frames [T, ...] stacked time-major [T, B, ...], cut to the shortest sample's frame count. */
function timeMajor(frames: { data: Float32Array; shape: number[] }[], sample: number[]): Seq {
  const f = sample.reduce((a, v) => a * v, 1);
  const T = Math.min(...frames.map((fr) => fr.shape[0]!));
  const B = frames.length;
  const x = engine().allocF32(T * B * f);
  frames.forEach((fr, b) => {
    for (let t = 0; t < T; t++) x.set(fr.data.subarray(t * f, (t + 1) * f), (t * B + b) * f);
  });
  return { data: x, shape: [T, B, ...sample] };
}

/**
 * N-MNIST-emu, only with a trained checkpoint (RAZOR_BENCH_NMNIST_CKPT, e.g. the demo's best.safetensors): its
 * own preprocessing on the first test recordings of the emulated set (generated into the cache on first use).
 */
async function nmnistSubject(quick: boolean): Promise<Subject | null> {
  const ck = process.env.RAZOR_BENCH_NMNIST_CKPT;
  if (!ck) return null;
  const { model, pre } = loadCheckpointModel(ck);
  const ds = await openNmnistEmu({ trainCount: 0, testCount: quick ? 32 : 64 });
  const pipe = pipelineFor(pre);
  const frames = [];
  for (const sample of ds.splits.test!) frames.push(pipe.toFrames(await sample.load(), { id: sample.id }));
  const input = timeMajor(frames, model.config.input);
  const [T, B] = input.shape;
  return {
    name: "nmnist-emu",
    model,
    trained: true,
    input,
    samples: B!,
    data: `${B} N-MNIST-emu test recordings, T=${T} × ${model.config.frames.dtMs} ms (${ck})`,
  };
}

async function shdSubject(): Promise<Subject> {
  const ck = process.env.RAZOR_BENCH_SHD_CKPT;
  const loaded = ck ? loadCheckpointModel(ck) : null;
  const config = loaded?.model.config ?? loadModelConfig("shd", { variant: "razor" });
  const model = loaded?.model ?? buildModel(config);
  const pre = preprocessingFor(config, { width: 700, height: 1, polarities: 1 });
  const pipe = pipelineFor(pre);
  const file = join(sharedDataDir(), "shd", "SYNTHETIC_layout_fixture", "synthetic_shd_layout_f16.h5");
  const shd = await openShd(file);
  const B = Math.min(16, shd.length);
  const T = config.frames.T;
  const frames = Array.from({ length: B }, (_, b) => pipe.toFrames(shd.sample(b), { id: `${b}` }));
  shd.close();
  return {
    name: "shd",
    model,
    trained: loaded !== null,
    input: timeMajor(frames, config.input),
    samples: B,
    data: `${B} samples of the SYNTHETIC SHD-layout fixture (random spikes), T=${T} × ${config.frames.dtMs} ms`,
  };
}

/**
 * Streaming: one real Gesture clip pushed whole through createStream (unmasked), best of a few passes; per-frame
 * latency median and 95th percentile, against the frame duration.
 */
async function streamRow(model: SnnModel, trained: boolean, quick: boolean): Promise<BenchRow> {
  const file = join(sharedDataDir(), "dvs_gesture", "slayerPytorch_binarySpikeTestFiles", "1.bs2");
  const events = (await readEventFile(file)).stream;
  model.setThresholds(null);
  let best: number[] | null = null;
  for (let pass = 0; pass < (quick ? 2 : 4); pass++) {
    const s = createStream(model);
    const lat = [...s.push(events), ...s.flush()].map((f) => f.latencyMs);
    if (best === null || median(lat) < median(best)) best = lat;
  }
  const sorted = [...best!].sort((a, b) => a - b);
  return {
    model: "dvs128-gesture",
    weights: trained ? "trained" : "untrained",
    stream: `clip 1, ${sorted.length} frames of ${model.config.frames.dtMs} ms`,
    latencyMedianMs: round(median(sorted)),
    latencyP95Ms: round(sorted[Math.floor(0.95 * (sorted.length - 1))]!),
  };
}

function benchSubject(s: Subject, quick: boolean): BenchRow[] {
  const rows: BenchRow[] = [];
  const runner = new PrunedRunner(s.model);
  const denseRunner = new PrunedRunner(s.model, { thresholds: { linear: 0, conv: 0 } });
  const rounds = quick ? 3 : 6;
  // unmasked, fastest path (automatic kernel choice) and dense kernels only
  s.model.setThresholds(null);
  const [unmasked, dense] = bestOf([() => runner.run(s.input), () => denseRunner.run(s.input)], rounds);
  const unmaskedRun = runner.run(s.input);
  const weights = s.trained ? "trained" : "untrained";
  rows.push({
    model: s.name,
    weights,
    quantile: 0,
    workDropped: 0,
    sopsDropped: 0,
    msPerSample: round(unmasked! / s.samples),
    samplesPerS: round((1000 * s.samples) / unmasked!),
    speedupVsUnmasked: 1,
    eventDrivenVsDense: round(dense! / unmasked!),
    sopsPerSample: Math.round(unmaskedRun.layers.reduce((a, l) => a + l.sops, 0) / s.samples),
  });
  for (const q of quick ? [0.5] : [0.25, 0.4, 0.5, 0.6, 0.75]) {
    s.model.setThresholds(quantileThresholds(s.model, s.input, q));
    const res = runner.run(s.input);
    const unmaskedOn = (r: PrunedRunner) => () => {
      const th = s.model.thresholds();
      s.model.setThresholds(null);
      r.run(s.input);
      s.model.setThresholds(th);
    };
    // the same mask on both backends, each against its own unmasked run
    const [ms, msU, msDense, msDenseU] = bestOf(
      [() => runner.run(s.input), unmaskedOn(runner), () => denseRunner.run(s.input), unmaskedOn(denseRunner)],
      rounds,
    );
    const sops = sopsDropped(res, unmaskedRun);
    rows.push({
      model: s.name,
      weights,
      quantile: q,
      workDropped: round(frameLayersDropped(res)),
      sopsDropped: round(sops),
      msPerSample: round(ms! / s.samples),
      samplesPerS: round((1000 * s.samples) / ms!),
      speedupVsUnmasked: round(msU! / ms!),
      // issue #13's bar for the event-driven engine: 0.8 × 1 / (1 − SOP share dropped)
      speedupTarget: round(0.8 / (1 - sops)),
      denseSpeedupVsUnmasked: round(msDenseU! / msDense!),
      eventDrivenVsDense: null,
      sopsPerSample: Math.round(res.layers.reduce((a, l) => a + l.sops, 0) / s.samples),
    });
  }
  s.model.setThresholds(null);
  const interpolated = (["workDropped", "sopsDropped"] as const).flatMap((measure) => {
    const at = speedupAtHalf(rows, measure);
    return at === null
      ? []
      : [{ model: s.name, weights, [measure]: 0.5, speedupVsUnmasked: round(at), interpolated: measure }];
  });
  return [...rows, ...interpolated];
}

/**
 * The speedup at exactly half the work dropped, by linear interpolation between the two measured rows around
 * 0.5 of `measure` (frame-layers or SOPs); null when the rows do not straddle 0.5.
 */
function speedupAtHalf(rows: BenchRow[], measure: "workDropped" | "sopsDropped"): number | null {
  const pts = rows
    .map((r) => ({ x: r[measure] as number, y: r.speedupVsUnmasked as number }))
    .sort((a, b) => a.x - b.x);
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (a.x <= 0.5 && b.x >= 0.5 && b.x > a.x) return a.y + ((b.y - a.y) * (0.5 - a.x)) / (b.x - a.x);
  }
  return null;
}

const round = (v: number): number => Math.round(v * 100) / 100;

export const suite: Suite = async ({ quick }) => {
  const e = await createWasmEngine({ threads: 2 });
  const previous = engine();
  useEngine(e);
  try {
    const nmnist = await nmnistSubject(quick);
    const subjects = [await gestureSubject(quick), await shdSubject(), ...(nmnist ? [nmnist] : [])];
    const rows = subjects.flatMap((s) => benchSubject(s, quick));
    rows.push(await streamRow(subjects[0]!.model, subjects[0]!.trained, quick));
    const notes = [
      ...subjects.map(
        (s) => `${s.name}: ${s.data}; ${s.trained ? "trained checkpoint" : "untrained (seeded init) weights"}`,
      ),
      ...(nmnist
        ? []
        : [
            "nmnist-emu: no rows (set RAZOR_BENCH_NMNIST_CKPT to a trained checkpoint, e.g. a demo's best.safetensors)",
          ]),
      "quantile q: θ_n at the q-quantile of layer n's own scores, so deeper layers drop more (hierarchical masks)",
      "workDropped: dropped frame-layers / all frame-layers after the encoder; sopsDropped: the same for SOPs (the",
      "  event-driven kernels' work: a dropped frame with few spikes saves little); speedups are same-run ratios, 2 threads",
      "denseSpeedupVsUnmasked: the same mask with dense kernels forced (a GPU or dense accelerator: every frame costs",
      "  the same, so the speed-up follows workDropped); speedupTarget: 0.8 / (1 − sopsDropped), the event-driven bar",
      "  (untrained weights leave deep layers silent: their ratios are not a trained model's; rows say which)",
      "interpolated rows: the speedup at exactly half the work dropped, between the two measured rows around 0.5",
      "stream row: createStream on one clip, unmasked, per-frame latency (integration + network), best of a few passes",
      "targets (2-core x86-64): >= 1.6x vs unmasked at half the work dropped; event-driven >= 2x vs dense (Gesture)",
    ];
    for (const s of subjects) s.model.dispose();
    return { rows, notes };
  } finally {
    useEngine(previous);
    e.close();
  }
};

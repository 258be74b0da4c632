/**
 * Streaming inference: events go in as they arrive (chunks of any size), frames of the model's fixed dt are
 * integrated, each frame's fate in each layer is decided by the causal Razor score (threshold θ_n per layer and the
 * optional gap floor), the network is updated and a prediction comes out per frame. State is one frame of counts,
 * each layer's membrane and the last w input frames of each Razor layer, so memory stays bounded however long the
 * stream runs. Feeding a recording in any chunking gives the same frames and so the same result, which equals the
 * pruned batch run (PrunedRunner) over the same frames.
 *
 * Not streamable, with a clear error: TA models (their T×T attention needs the whole recording), models whose
 * frames are T bins spread over the recording, and mask policies (they see the whole [T·B] at once).
 */
import type { EventStream } from "../events/stream.js";
import type { SnnModel } from "../models/model.js";
import { decideFrames, gapFloorStep, ruleThreshold } from "../nn/frame-gate.js";
import type { Seq } from "../nn/module.js";
import type { SpikingLayer } from "../nn/spiking-layer.js";
import { type AccumulatorOptions, type CompletedFrame, FrameAccumulator } from "./frame-accumulator.js";
import type { GapLif } from "./gap-lif.js";
import {
  EVAL_CTX,
  type FrameBatch,
  INFERENCE_THRESHOLDS,
  releaseCurrent,
  freeInputBatch,
  inputBatch,
  layerLif,
  synapseForward,
  withThresholds,
} from "./layer-step.js";
import { freeList } from "../engine/api.js";
import { engine } from "../engine/current.js";
import { argmax } from "../util/argmax.js";

export interface StreamOptions {
  /** frame duration in µs (default: the model config's dtMs) */
  dtUs?: number;
  /** spatial block size (default: the model config's downsample) */
  downsample?: number;
  /** grid origin in µs (default: the first event's time) */
  tStart?: number;
}

export interface FramePrediction {
  index: number;
  tStart: number;
  tEnd: number;
  events: number;
  /** per layer: whether the layer computed this frame */
  computed: boolean[];
  /** per layer: the frame's Razor score d (null where the layer has none or the frame was dropped upstream) */
  scores: (number | null)[];
  /** output spikes of this frame per class */
  frameSpikes: Float32Array;
  /** output spikes so far per class */
  counts: Float32Array;
  /** argmax of counts (ties: lowest class); -1 while no output spike has been seen */
  prediction: number;
  /** share of output spikes so far in the predicted class (0 before any) */
  confidence: number;
  /** synaptic operations executed for this frame */
  sops: number;
  /** wall-clock time to process this frame, ms */
  latencyMs: number;
}

interface LayerState {
  layer: SpikingLayer;
  lif: GapLif;
  /** Razor layers: the last w input frames' active positions (null = frame not computed upstream) */
  history: (Int32Array | null)[];
  /** consecutive frames this layer dropped (for the gap floor) */
  dropRun: number;
}

export class EventStreamRunner {
  private readonly acc: FrameAccumulator;
  private readonly layers: LayerState[];
  private readonly counts: Float32Array;
  private readonly classes: number;

  constructor(
    readonly model: SnnModel,
    opts: StreamOptions = {},
  ) {
    const cfg = model.config;
    if (cfg.frames.mode !== "time-window" || cfg.frames.dtMs === null) {
      throw new Error(
        `${cfg.name}: this model's frames are ${cfg.frames.T} bins spread over each recording, so it cannot stream; ` +
          "streaming needs frames of fixed duration (frames.mode 'time-window' with dtMs)",
      );
    }
    for (const l of model.layers) {
      if (l.scorer?.source === "current") {
        throw new Error(`${cfg.name}: TA models cannot stream (the T×T attention needs the whole recording)`);
      }
      if (l.frameRule().maskPolicy !== null)
        throw new Error(`${cfg.name}: mask policies need the whole recording; use thresholds to stream`);
    }
    model.eval();
    const accOpts: AccumulatorOptions = {
      dtUs: opts.dtUs ?? cfg.frames.dtMs * 1000,
      frameShape: cfg.input,
      downsample: opts.downsample ?? cfg.frames.downsample,
    };
    if (opts.tStart !== undefined) accOpts.tStart = opts.tStart;
    this.acc = new FrameAccumulator(accOpts);
    this.layers = model.layers.map((layer) => {
      const w = layer.scorer ? (layer.opts.razor?.window ?? 1) : 0;
      return {
        layer,
        lif: layerLif(layer, 1, true),
        history: new Array<Int32Array | null>(w).fill(null),
        dropRun: 0,
      };
    });
    this.classes = model.layers[model.layers.length - 1]!.outShape.reduce((a, v) => a * v, 1);
    this.counts = new Float32Array(this.classes);
  }

  /** Feeds a chunk of events; returns a prediction for every frame the chunk completed. */
  push(chunk: EventStream): FramePrediction[] {
    return withThresholds(INFERENCE_THRESHOLDS, () => this.acc.push(chunk).map((f) => this.step(f)));
  }

  /** Ends the stream: processes the last, partial frame. */
  flush(): FramePrediction[] {
    const f = this.acc.flush();
    return f === null ? [] : [withThresholds(INFERENCE_THRESHOLDS, () => this.step(f))];
  }

  private step(frame: CompletedFrame): FramePrediction {
    const start = performance.now();
    const e = engine();
    const row = Int32Array.of(frame.index);
    const input = e.allocF32(frame.counts.length);
    input.set(frame.counts);
    const first = inputBatch(this.model.layers[0]!, input, row, this.model.config.input);
    let batch: FrameBatch | null = first;
    const owned: FrameBatch[] = [];
    const computed: boolean[] = [];
    const scores: (number | null)[] = [];
    let sops = 0;
    for (const st of this.layers) {
      const { layer } = st;
      let d: number | null = null;
      let keep = batch !== null;
      if (layer.scorer) {
        // the score exists for every frame (a frame dropped upstream counts as zero input), as in the batch model
        st.history.shift();
        const spiking = batch?.spikes && batch.spikes.values === undefined ? batch.spikes : null;
        st.history.push(spiking ? spiking.idx.slice(0, spiking.offsets[1]!) : null);
        d = this.razorScore(st, layer.opts.inShape);
        if (layer.opts.index > 0) keep = this.decide(st, d, keep);
      }
      computed.push(keep);
      scores.push(d);
      if (!keep || batch === null) {
        batch = null;
        continue;
      }
      const activity = batch.data !== null ? sum(batch.data) : batch.spikes!.offsets[1]!;
      sops += activity * layer.fanOut;
      const current = synapseForward(layer, batch, row, true);
      // GapLif indexes frames as t·B + b with B = 1: the frame index is the time step
      const spikes = st.lif.run(row, current.data, d === null ? null : Float32Array.of(d));
      releaseCurrent(layer);
      batch = { rows: row, data: null, spikes, frameShape: layer.outShape };
      owned.push(batch);
    }
    const frameSpikes = new Float32Array(this.classes);
    if (batch?.spikes) {
      const l = batch.spikes;
      for (let j = 0; j < l.offsets[1]!; j++) frameSpikes[l.idx[j]!]! += 1;
    }
    freeInputBatch(first);
    e.free(input);
    for (const o of owned) freeList(o.spikes!, e);
    return framePrediction(frame, this.counts, frameSpikes, { computed, scores, sops }, start);
  }

  /** d of the newest frame from the layer's window of input frames (dropped ones count as zero input). */
  private razorScore(st: LayerState, frameShape: number[]): number {
    const w = st.history.length;
    const rowLen = frameShape.reduce((a, v) => a * v, 1);
    const offsets = new Int32Array(w + 1);
    const mask = new Uint8Array(w);
    let total = 0;
    st.history.forEach((h, i) => {
      total += h?.length ?? 0;
      offsets[i + 1] = total;
      mask[i] = h === null ? 0 : 1;
    });
    const idx = new Int32Array(Math.max(1, total));
    st.history.forEach((h, i) => {
      if (h) idx.set(h, offsets[i]!);
    });
    const seq: Seq = {
      data: new Float32Array(0),
      shape: [w, 1, ...frameShape],
      spikes: { rows: w, rowLen, idx, offsets },
      mask,
    };
    return st.layer.scorer!.score(seq, EVAL_CTX)[w - 1]!;
  }

  /**
   * Whether the layer computes the newest frame: the layer's own decision on this one frame (decideFrames without
   * the gap floor), then one gapFloorStep (frames not computed, upstream drops included, count towards the run).
   */
  private decide(st: LayerState, d: number, upKept: boolean): boolean {
    const { layer } = st;
    const rule = layer.frameRule();
    const input = {
      layer: layer.opts.index,
      scores: Float32Array.of(d),
      activity: new Float32Array(1),
      upstream: Uint8Array.of(upKept ? 1 : 0),
      T: 1,
      B: 1,
    };
    const m = decideFrames({ ...rule, gapFloor: null }, input, layer.opts.name);
    const own = m === null || m[0] === 1;
    if (rule.gapFloor === null || ruleThreshold(rule) === null) return own && upKept;
    st.dropRun = gapFloorStep(st.dropRun, own, upKept, rule.gapFloor);
    return st.dropRun === 0;
  }
}

/**
 * Adds a frame's output spikes to the running class counts (in place) and makes the frame's prediction: the
 * leading class so far (ties: lowest; -1 before any output spike) and its share of the spikes.
 */
export function framePrediction(
  frame: CompletedFrame,
  counts: Float32Array,
  frameSpikes: Float32Array,
  layers: Pick<FramePrediction, "computed" | "scores" | "sops">,
  start: number,
): FramePrediction {
  let total = 0;
  for (let c = 0; c < counts.length; c++) {
    counts[c]! += frameSpikes[c]!;
    total += counts[c]!;
  }
  // counts are non-negative, so total > 0 exactly when some class has spiked
  const best = total > 0 ? argmax(counts) : -1;
  return {
    index: frame.index,
    tStart: frame.tStart,
    tEnd: frame.tEnd,
    events: frame.events,
    ...layers,
    frameSpikes,
    counts: Float32Array.from(counts),
    prediction: best,
    confidence: best < 0 ? 0 : counts[best]! / total,
    latencyMs: performance.now() - start,
  };
}

/** A stream runner for `model` (see EventStreamRunner). */
export function createStream(model: SnnModel, opts: StreamOptions = {}): EventStreamRunner {
  return new EventStreamRunner(model, opts);
}

function sum(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

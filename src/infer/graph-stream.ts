/**
 * Streaming inference for an imported graph (GraphModel): events in as they arrive, frames of the checkpoint's
 * dt, one step of every layer per frame. The conv/linear/pool modules are the model's own (so the same kernels,
 * event-driven on spike input where it is sparse), and each LIF keeps its membrane across frames in a GapLif —
 * the lazily-decaying LIF the pruned runner and the Razor stream use, equal to the model's LIF step for step.
 * Nothing is pruned (the graph has no scorer): every layer computes every frame.
 */
import { freeList, type SpikeList } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { EventStream } from "../events/stream.js";
import { frameEvents, type GraphModel, stageFanOut } from "../models/graph-model.js";
import type { Seq } from "../nn/module.js";
import { type CompletedFrame, FrameAccumulator } from "./frame-accumulator.js";
import { denseFromList, GapLif } from "./gap-lif.js";
import { EVAL_CTX } from "./layer-step.js";
import { type FramePrediction, framePrediction, type StreamOptions } from "./stream.js";

export class GraphStreamRunner {
  private readonly acc: FrameAccumulator;
  /** one GapLif per lif stage (null for the other stages) */
  private readonly lifs: (GapLif | null)[];
  private readonly counts: Float32Array;

  constructor(
    readonly model: GraphModel,
    frames: { dtUs: number; downsample: number },
    opts: StreamOptions = {},
  ) {
    this.acc = new FrameAccumulator({
      dtUs: opts.dtUs ?? frames.dtUs,
      frameShape: model.config.input,
      downsample: opts.downsample ?? frames.downsample,
      ...(opts.tStart !== undefined && { tStart: opts.tStart }),
    });
    this.lifs = model.stages.map((st) =>
      st.op.type === "lif"
        ? new GapLif(
            1,
            st.outShape.reduce((a, b) => a * b, 1),
            { alpha: st.op.alpha, vth: st.op.vth, reset: st.op.reset },
          )
        : null,
    );
    this.counts = new Float32Array(model.config.classes);
  }

  /** Feeds a chunk of events; returns a prediction for every frame the chunk completed. */
  push(chunk: EventStream): FramePrediction[] {
    return this.acc.push(chunk).map((f) => this.step(f));
  }

  /** Ends the stream: processes the last, partial frame. */
  flush(): FramePrediction[] {
    const f = this.acc.flush();
    return f === null ? [] : [this.step(f)];
  }

  private step(frame: CompletedFrame): FramePrediction {
    const start = performance.now();
    const e = engine();
    const row = Int32Array.of(frame.index);
    const owned: Float32Array[] = [];
    const lists: SpikeList[] = [];
    const input = e.allocF32(frame.counts.length);
    input.set(frame.counts);
    owned.push(input);
    let h: Seq = { data: input, shape: [1, 1, ...this.model.config.input] };
    let events = frameEvents(h, 1)[0]!;
    let sops = 0;
    this.model.stages.forEach((st, i) => {
      const lif = this.lifs[i];
      if (lif === null) {
        if (st.op.type === "conv" || st.op.type === "linear") sops += events * stageFanOut(st);
        h = st.module.forward(h, EVAL_CTX);
        return;
      }
      const spikes = lif.run(row, h.data);
      lists.push(spikes);
      const dense = denseFromList(spikes);
      owned.push(dense);
      h = { data: dense, shape: [1, 1, ...st.outShape], spikes };
      events = spikes.offsets[1]!;
    });
    const frameSpikes = Float32Array.from(h.data.subarray(0, this.counts.length));
    for (const a of owned) e.free(a);
    for (const l of lists) freeList(l, e);
    const layers = this.lifs.filter((l) => l !== null);
    const computed = layers.map(() => true);
    return framePrediction(frame, this.counts, frameSpikes, { computed, scores: layers.map(() => null), sops }, start);
  }
}

/**
 * GraphModel: an imported graph (GraphSpec, src/models/graph-spec.ts) run on the engine's kernels in float32 —
 * the same Conv2d, Linear, Pool2d and LIF modules as the built-in models, so spike inputs take the event-driven
 * conv/linear kernels (and the network input its value list) where the density makes them faster. Inference
 * only: it has no frame scorer, so nothing in it can be pruned, and it does not train.
 */
import { engine } from "../engine/current.js";
import { type BufferPool, i32Slot, newPool } from "../nn/buffers.js";
import { Conv2d } from "../nn/conv2d.js";
import { eventDrivenThresholds } from "../nn/density.js";
import { countsToSpikeList } from "../nn/event-list.js";
import { Lif } from "../nn/lif.js";
import { Linear } from "../nn/linear.js";
import type { Buffer, Context, Module, Param, Seq } from "../nn/module.js";
import { seqDims } from "../nn/module.js";
import { Pool2d } from "../nn/pool2d.js";
import { Flatten } from "../nn/reshape.js";
import type { LayerCounts } from "../nn/layer-counts.js";
import { Rng } from "../util/rng.js";
import { type GraphOp, type GraphSpec, graphShapes } from "./graph-spec.js";
import type { TrainableModel } from "./model-api.js";

/** The one-line answer of every pruning tool for a graph model. */
export function pruningDoesNotApply(what: string): string {
  return `${what}: pruning does not apply (an imported NIR graph has no frame scorer; eval and infer run it unpruned)`;
}

/** One operation with its module and the frame shapes around it. */
export interface GraphStage {
  op: GraphOp;
  module: Module;
  inShape: number[];
  outShape: number[];
}

/** The modules only a graph model has: forward only, no parameters. */
abstract class InferenceOnly implements Module {
  abstract forward(x: Seq, ctx: Context): Seq;
  backward(): Seq {
    throw new Error("graph models run inference only");
  }
  parameters(): Param[] {
    return [];
  }
  buffers(): Buffer[] {
    return [];
  }
}

/** Multiplies by a constant into its own buffer (the input may be the caller's frames). */
class ScaleModule extends InferenceOnly {
  private out: Float32Array | null = null;
  constructor(
    readonly factor: number,
    private readonly pool: BufferPool,
  ) {
    super();
  }
  forward(x: Seq): Seq {
    this.pool.release(this.out);
    const y = this.pool.acquire(x.data.length);
    engine().scale(x.data, this.factor, y);
    this.out = y;
    return { data: y, shape: x.shape };
  }
  dispose(): void {
    this.pool.release(this.out);
  }
}

/** Sum pooling as the engine's average pooling times k² (exact for spike counts when k² is a power of two). */
class SumPool extends InferenceOnly {
  constructor(
    private readonly avg: Pool2d,
    private readonly k2: number,
  ) {
    super();
  }
  forward(x: Seq, ctx: Context): Seq {
    const y = this.avg.forward(x, ctx);
    engine().scale(y.data, this.k2, y.data);
    return y;
  }
}

export class GraphModel implements TrainableModel {
  readonly stages: GraphStage[];
  private readonly pool: BufferPool;
  private readonly eventIdx = i32Slot();
  private readonly eventOffsets = i32Slot();
  private lastCounts: LayerCounts[] = [];

  constructor(readonly config: GraphSpec) {
    this.pool = newPool();
    const rng = new Rng(0);
    const shapes = graphShapes(config);
    this.stages = config.ops.map((op, i) => {
      const inShape = i === 0 ? config.input : shapes[i - 1]!;
      return { op, module: this.moduleOf(op, inShape, rng), inShape, outShape: shapes[i]! };
    });
  }

  private moduleOf(op: GraphOp, inShape: number[], rng: Rng): Module {
    const buffers = this.pool;
    switch (op.type) {
      case "conv":
        return new Conv2d({
          name: op.name,
          inChannels: inShape[0]!,
          outChannels: op.out,
          kernel: op.kernel,
          stride: op.stride,
          padding: op.padding,
          bias: op.bias,
          inputGrad: false,
          rng,
          buffers,
        });
      case "linear": {
        const inFeatures = inShape.reduce((a, b) => a * b, 1);
        return new Linear({
          name: op.name,
          inFeatures,
          outFeatures: op.out,
          bias: op.bias,
          inputGrad: false,
          rng,
          buffers,
        });
      }
      case "pool": {
        const avg = new Pool2d({ type: "avg", kernel: op.kernel, stride: op.stride, buffers });
        return op.mode === "avg" ? avg : new SumPool(avg, op.kernel * op.kernel);
      }
      case "flatten":
        return new Flatten();
      case "scale":
        return new ScaleModule(op.factor, buffers);
      case "lif":
        return new Lif({
          alpha: op.alpha,
          vth: op.vth,
          reset: op.reset,
          surrogate: "rect",
          surrogateWidth: 1,
          buffers,
        });
    }
  }

  /** x: [T, B, ...input] frames; returns the last LIF's spikes [T, B, classes]. Every call starts from rest. */
  forward(x: Seq, _ctx?: Partial<Context>): Seq {
    const expect = this.config.input;
    if (x.shape.length !== 2 + expect.length || expect.some((v, i) => x.shape[2 + i] !== v)) {
      throw new Error(`${this.config.name}: expected input [T, B, ${expect.join(", ")}], got [${x.shape.join(", ")}]`);
    }
    const ctx: Context = { training: false, rng: new Rng(0) };
    const { t, b, frames } = seqDims(x);
    const counts: LayerCounts[] = [];
    let h = this.withEventList(x);
    let layerInput = frameEvents(h, frames);
    let fanOut = 0;
    for (const st of this.stages) {
      if (st.op.type === "conv" || st.op.type === "linear") fanOut = stageFanOut(st);
      h = st.module.forward(h, ctx);
      if (st.op.type !== "lif") continue;
      const outputSpikes = (st.module as Lif).spikesPerFrame();
      const sops = layerInput.reduce((a, v) => a + v, 0) * fanOut;
      const neurons = st.outShape.reduce((a, v) => a * v, 1);
      const layer = counts.length;
      counts.push({
        layer,
        T: t,
        B: b,
        inputEvents: layerInput,
        fanOut,
        outputSpikes,
        neurons,
        executed: null,
        framesExecuted: frames,
        frames,
        sops,
      });
      layerInput = outputSpikes;
    }
    this.lastCounts = counts;
    return h;
  }

  /** Count frames as a list of their non-zero values when sparse enough for the first conv's event-driven kernel. */
  private withEventList(x: Seq): Seq {
    const first = this.stages.find((s) => s.op.type === "conv" || s.op.type === "linear")!;
    if (x.spikes || first !== this.stages[0]) return x;
    const threshold = first.op.type === "conv" ? eventDrivenThresholds().conv : eventDrivenThresholds().linear;
    const { frames } = seqDims(x);
    const rowLen = x.data.length / frames;
    const limit = Math.floor(threshold * x.data.length);
    const list = countsToSpikeList(x.data, frames, rowLen, limit, this.eventIdx, this.eventOffsets, x.events);
    return list === null ? x : { ...x, spikes: list };
  }

  backward(_gy: Seq, _ctx?: Partial<Context>): never {
    throw new Error(`${this.config.name}: an imported NIR graph runs inference only (it cannot be trained here)`);
  }

  parameters(): Param[] {
    return this.stages.flatMap((s) => s.module.parameters());
  }

  buffers(): Buffer[] {
    return [];
  }

  eval(): this {
    return this;
  }

  /** Per LIF (layer), counts of the last forward: input events, fan-out, output spikes, SOPs. */
  counts(): LayerCounts[] {
    return this.lastCounts;
  }

  dispose(): void {
    for (const s of this.stages) s.module.dispose?.();
    this.eventIdx.free();
    this.eventOffsets.free();
    this.pool.clear();
  }
}

/** Mean synapses each input event drives (conv: exact at borders; linear: its outputs). */
export function stageFanOut(st: GraphStage): number {
  return st.module instanceof Conv2d ? st.module.fanOut(st.inShape) : (st.module as Linear).opts.outFeatures;
}

/** Events entering a layer per frame: spikes listed, or the sum of |values| (the network's event counts). */
export function frameEvents(x: Seq, frames: number): Float32Array {
  const out = new Float32Array(frames);
  const list = x.spikes;
  const f = x.data.length / Math.max(1, frames);
  for (let r = 0; r < frames; r++) {
    if (list && !list.values) out[r] = list.offsets[r + 1]! - list.offsets[r]!;
    else {
      let s = 0;
      for (let i = r * f; i < (r + 1) * f; i++) s += Math.abs(x.data[i]!);
      out[r] = s;
    }
  }
  return out;
}

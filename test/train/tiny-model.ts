/**
 * A tiny, smooth stand-in for the real models, for testing the trainer, checkpoints and the sweep without the nn
 * modules: input [T, B, F] -> encoder (linear + ReLU, with a running-mean buffer) -> module layer 1 (linear +
 * ReLU, scored) -> module layer 2 (linear + sigmoid, scored, the output) [T, B, K]. Each module layer's score is
 * d = sigmoid(g · mean(input) + c) (gradient to g and c only); the current is scaled by M ⊙ d, and dropped frames
 * output 0. Masks are hierarchical, as in the real models.
 */
import type { Buffer, Context, Param, Seq } from "../../src/nn/module.js";
import type { PrunableModel } from "../../src/models/model-api.js";
import type { MaskPolicy } from "../../src/nn/frame-gate.js";
import type { LayerCounts } from "../../src/nn/layer-counts.js";
import { Rng } from "../../src/util/rng.js";

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

interface Dense {
  w: Param;
  b: Param;
  nin: number;
  nout: number;
}

function dense(name: string, nin: number, nout: number, rng: Rng): Dense {
  const bound = 1 / Math.sqrt(nin);
  const w = Float32Array.from({ length: nout * nin }, () => (2 * rng.uniform() - 1) * bound);
  const b = Float32Array.from({ length: nout }, () => (2 * rng.uniform() - 1) * bound);
  return {
    w: { name: `${name}.weight`, value: w, grad: new Float32Array(w.length), shape: [nout, nin] },
    b: { name: `${name}.bias`, value: b, grad: new Float32Array(b.length), shape: [nout] },
    nin,
    nout,
  };
}

function scalar(name: string, v: number): Param {
  return { name, value: Float32Array.of(v), grad: new Float32Array(1), shape: [1], lrScale: 10 };
}

export class TinyModel implements PrunableModel {
  readonly config;
  private readonly layers: Dense[];
  private readonly gates: { g: Param; c: Param }[];
  private readonly runningMean: Buffer;
  private readonly tracked: Buffer;
  private policy: MaskPolicy | null = null;
  private records: LayerCounts[] = [];
  // saved for backward
  private acts: Float32Array[] = [];
  private outs: Float32Array[] = [];
  private scores: Float32Array[] = [];
  private masks: Uint8Array[] = [];
  private means: Float32Array[] = [];
  private tb = 0;

  constructor(
    readonly features: number,
    readonly hidden: number,
    readonly classes: number,
    seed = 1,
  ) {
    this.config = { kind: "tiny", features, hidden, classes, seed };
    const rng = new Rng(seed);
    this.layers = [
      dense("enc", features, hidden, rng),
      dense("l1", hidden, hidden, rng),
      dense("out", hidden, classes, rng),
    ];
    this.gates = [1, 2].map((i) => ({ g: scalar(`l${i}.razor.gamma`, 5), c: scalar(`l${i}.razor.beta`, 0) }));
    this.runningMean = { name: "enc.running_mean", value: new Float32Array(hidden), shape: [hidden] };
    this.tracked = { name: "enc.num_batches_tracked", value: new Float32Array(1), shape: [] };
  }

  parameters(): Param[] {
    return [...this.layers.flatMap((l) => [l.w, l.b]), ...this.gates.flatMap((g) => [g.g, g.c])];
  }
  buffers(): Buffer[] {
    return [this.runningMean, this.tracked];
  }
  setMaskPolicy(policy: MaskPolicy | null): void {
    this.policy = policy;
  }
  counts(): LayerCounts[] {
    return this.records;
  }

  forward(x: Seq, ctx: Context): Seq {
    const [t, b, f] = x.shape as [number, number, number];
    if (f !== this.features) throw new Error(`tiny model expects ${this.features} features, got ${f}`);
    const tb = t * b;
    this.tb = tb;
    this.acts = [x.data];
    this.outs = [];
    this.scores = [];
    this.masks = [];
    this.means = [];
    this.records = [];
    let input = x.data;
    let upstream: Uint8Array | null = null;
    for (let li = 0; li < 3; li++) {
      const L = this.layers[li]!;
      let d: Float32Array | null = null;
      let mask: Uint8Array | null = upstream;
      const activity = rowSums(input, tb, L.nin);
      if (li > 0) {
        const gate = this.gates[li - 1]!;
        const mean = Float32Array.from(activity, (a) => a / L.nin);
        d = Float32Array.from(mean, (m) => sig(gate.g.value[0]! * m + gate.c.value[0]!));
        this.means.push(mean);
        this.scores.push(d);
        const own: Uint8Array | null =
          this.policy === null ? null : this.policy({ layer: li, scores: d, activity, upstream, T: t, B: b });
        if (own !== null)
          mask = Uint8Array.from(own, (v, i) => (v !== 0 && (upstream === null || upstream[i] !== 0) ? 1 : 0));
      }
      const out = new Float32Array(tb * L.nout);
      for (let r = 0; r < tb; r++) {
        const keep = mask === null || mask[r] !== 0;
        if (!keep) continue;
        const scale = d === null ? 1 : d[r]!;
        for (let o = 0; o < L.nout; o++) {
          let s = L.b.value[o]!;
          for (let i = 0; i < L.nin; i++) s += L.w.value[o * L.nin + i]! * input[r * L.nin + i]!;
          out[r * L.nout + o] = li === 2 ? sig(scale * s) : Math.max(0, scale * s);
        }
      }
      if (li === 0 && ctx.training) {
        for (let o = 0; o < L.nout; o++) {
          let s = 0;
          for (let r = 0; r < tb; r++) s += out[r * L.nout + o]!;
          this.runningMean.value[o] = 0.9 * this.runningMean.value[o]! + 0.1 * (s / tb);
        }
        this.tracked.value[0]! += 1;
      }
      this.masks.push(mask ?? new Uint8Array(tb).fill(1));
      this.outs.push(out);
      let run = 0;
      let sops = 0;
      for (let r = 0; r < tb; r++) {
        if (mask !== null && mask[r] === 0) continue;
        run++;
        sops += activity[r]! * L.nout;
      }
      this.records.push({
        layer: li,
        T: t,
        B: b,
        inputEvents: activity,
        fanOut: L.nout,
        outputSpikes: rowSums(out, tb, L.nout),
        neurons: L.nout,
        executed: mask,
        framesExecuted: run,
        frames: tb,
        sops,
      });
      input = out;
      upstream = mask;
      this.acts.push(out);
    }
    return { data: input, shape: [t, b, this.classes] };
  }

  backward(gy: Seq, _ctx: Context): Seq {
    const tb = this.tb;
    let g = gy.data;
    for (let li = 2; li >= 0; li--) {
      const L = this.layers[li]!;
      const input = this.acts[li]!;
      const out = this.outs[li]!;
      const mask = this.masks[li]!;
      const d = li > 0 ? this.scores[li - 1]! : null;
      const gin = new Float32Array(tb * L.nin);
      for (let r = 0; r < tb; r++) {
        if (mask[r] === 0) continue;
        const scale = d === null ? 1 : d[r]!;
        let gScale = 0;
        for (let o = 0; o < L.nout; o++) {
          const y = out[r * L.nout + o]!;
          const gz = g[r * L.nout + o]! * (li === 2 ? y * (1 - y) : y > 0 ? 1 : 0);
          // z = scale · s, s = W x + b
          let s = L.b.value[o]!;
          for (let i = 0; i < L.nin; i++) s += L.w.value[o * L.nin + i]! * input[r * L.nin + i]!;
          gScale += gz * s;
          const gs = gz * scale;
          L.b.grad[o]! += gs;
          for (let i = 0; i < L.nin; i++) {
            L.w.grad[o * L.nin + i]! += gs * input[r * L.nin + i]!;
            gin[r * L.nin + i]! += gs * L.w.value[o * L.nin + i]!;
          }
        }
        if (d !== null) {
          const gate = this.gates[li - 1]!;
          const gd = gScale * d[r]! * (1 - d[r]!);
          gate.g.grad[0]! += gd * this.means[li - 1]![r]!;
          gate.c.grad[0]! += gd;
        }
      }
      g = gin;
    }
    return { data: g, shape: [0] };
  }
}

function rowSums(a: Float32Array, rows: number, cols: number): Float32Array {
  const s = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let c = 0; c < cols; c++) acc += a[r * cols + c]!;
    s[r] = acc;
  }
  return s;
}

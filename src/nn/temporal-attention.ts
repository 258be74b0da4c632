/**
 * TA-SNN's temporal-wise attention (method.md [TA]): squeeze s[b,t] = mean of I[t,b,...]; excite
 * d[b,·] = sigmoid(W2·relu(W1·s[b,·] + b1) + b2) with W1 [T/r, T], W2 [T, T/r]. The layer applies Ĩ = d·I.
 * Parameters: "<prefix>.fc1.weight/bias", "<prefix>.fc2.weight/bias" (PyTorch Linear layout and init).
 * Sees all T frames at once, so it is offline only (it cannot stream).
 */
import { engine } from "../engine/current.js";
import type { Rng } from "../util/rng.js";
import type { FrameScorer } from "./frame-gate.js";
import { biasDefault, kaimingUniformDefault } from "./init.js";
import { type Buffer, type Context, type Param, type Seq, seqDims } from "./module.js";
import { freeParams, newParam } from "./param.js";

export interface TemporalAttentionOptions {
  name: string;
  T: number;
  /** reduction ratio r (hidden size max(1, floor(T / r))) */
  r: number;
  rng: Rng;
}

/** The one set of TA defaults; models/config.ts builds its `ta` defaults from it. */
export const TA_DEFAULTS: Readonly<Pick<TemporalAttentionOptions, "r">> = { r: 5 };

export class TemporalAttention implements FrameScorer {
  readonly source = "current";
  readonly hidden: number;
  readonly fc1w: Param;
  readonly fc1b: Param;
  readonly fc2w: Param;
  readonly fc2b: Param;
  private s = new Float32Array(0);
  private h = new Float32Array(0);
  private d = new Float32Array(0);
  private B = 0;
  private features = 0;

  constructor(readonly opts: TemporalAttentionOptions) {
    const T = opts.T;
    this.hidden = Math.max(1, Math.floor(T / opts.r));
    this.fc1w = newParam(`${opts.name}.fc1.weight`, [this.hidden, T]);
    this.fc1b = newParam(`${opts.name}.fc1.bias`, [this.hidden]);
    this.fc2w = newParam(`${opts.name}.fc2.weight`, [T, this.hidden]);
    this.fc2b = newParam(`${opts.name}.fc2.bias`, [T]);
    kaimingUniformDefault(this.fc1w.value, T, opts.rng);
    biasDefault(this.fc1b.value, T, opts.rng);
    kaimingUniformDefault(this.fc2w.value, this.hidden, opts.rng);
    biasDefault(this.fc2b.value, this.hidden, opts.rng);
  }

  score(x: Seq, _ctx: Context): Float32Array {
    const { t: T, b: B, features: F } = seqDims(x);
    if (T !== this.opts.T) {
      throw new Error(`${this.opts.name}: TA was built for T = ${this.opts.T} frames, got T = ${T}`);
    }
    const H = this.hidden;
    const s = new Float32Array(T * B);
    engine().rowMeans(x.data, s);
    const h = new Float32Array(B * H);
    const d = new Float32Array(T * B);
    const w1 = this.fc1w.value;
    const w2 = this.fc2w.value;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        let z = this.fc1b.value[j]!;
        for (let t = 0; t < T; t++) z += w1[j * T + t]! * s[t * B + b]!;
        h[b * H + j] = Math.max(z, 0);
      }
      for (let t = 0; t < T; t++) {
        let z = this.fc2b.value[t]!;
        for (let j = 0; j < H; j++) z += w2[t * H + j]! * h[b * H + j]!;
        d[t * B + b] = 1 / (1 + Math.exp(-z));
      }
    }
    this.s = s;
    this.h = h;
    this.d = d;
    this.B = B;
    this.features = F;
    return d;
  }

  backward(gd: Float32Array, gSource: Float32Array | null): void {
    const { T } = this.opts;
    const B = this.B;
    const H = this.hidden;
    const F = this.features;
    const w1 = this.fc1w.value;
    const w2 = this.fc2w.value;
    const gz = new Float64Array(T);
    const gh = new Float64Array(H);
    // each frame's gradient per input value, added to its F values by the engine at the end
    const gRows = gSource === null ? null : new Float64Array(T * B);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const d = this.d[t * B + b]!;
        gz[t] = gd[t * B + b]! * d * (1 - d);
        this.fc2b.grad[t] = this.fc2b.grad[t]! + gz[t]!;
        for (let j = 0; j < H; j++)
          this.fc2w.grad[t * H + j] = this.fc2w.grad[t * H + j]! + gz[t]! * this.h[b * H + j]!;
      }
      for (let j = 0; j < H; j++) {
        let g = 0;
        for (let t = 0; t < T; t++) g += w2[t * H + j]! * gz[t]!;
        gh[j] = this.h[b * H + j]! > 0 ? g : 0;
        this.fc1b.grad[j] = this.fc1b.grad[j]! + gh[j]!;
        for (let t = 0; t < T; t++)
          this.fc1w.grad[j * T + t] = this.fc1w.grad[j * T + t]! + gh[j]! * this.s[t * B + b]!;
      }
      if (gRows === null) continue;
      for (let t = 0; t < T; t++) {
        let gs = 0;
        for (let j = 0; j < H; j++) gs += w1[j * T + t]! * gh[j]!;
        gRows[t * B + b] = gs / F;
      }
    }
    if (gRows !== null) engine().addRows(gSource!, gRows);
  }

  parameters(): Param[] {
    return [this.fc1w, this.fc1b, this.fc2w, this.fc2b];
  }

  buffers(): Buffer[] {
    return [];
  }

  dispose(): void {
    freeParams(this.parameters());
  }
}

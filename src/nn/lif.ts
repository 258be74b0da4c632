/**
 * Leaky integrate-and-fire neurons over a whole [T, B, ...] current (method.md):
 *   U[t] = H[t-1] + I[t],  S[t] = 1[U[t] >= Vth] (as the TA-SNN reference code),  H[t] = α·(Vth·S + U·(1 - S)) (soft) or α·U·(1 - S) (hard)
 * Output: spikes as 0/1 floats plus their active positions per frame (Seq.spikes) for the next layer's
 * event-driven kernels and the same spikes as bytes (Seq.bytes), which the next layer keeps for its weight gradient. PLIF: α = sigmoid(w) with w learned (one per layer, named "<prefix>.w").
 * `smoothTwin` replaces the step by the surrogate's smooth function (gradient tests only; no spike list then).
 */
import type { LifParams, ResetMode, SpikeList, Surrogate } from "../engine/api.js";
import { engine } from "../engine/current.js";
import { type BufferPool, f32Slot, i32Slot, newPool, u8Slot } from "./buffers.js";
import { lifBackwardWithS, surrogateSmooth } from "../engine/reference-spike.js";
import { decayGradient, lifScanForward, type ScanParams } from "./lif-scan.js";
import { type Buffer, type Context, type Module, type Param, type Seq, seqDims } from "./module.js";
import { freeParams, newParam } from "./param.js";

export interface LifOptions {
  alpha: number;
  vth: number;
  surrogate: Surrogate;
  surrogateWidth: number;
  reset: ResetMode;
  /** learn the decay (PLIF); α then starts at `alpha` */
  plif?: boolean;
  /** checkpoint prefix for PLIF's parameter, e.g. "layers.0.lif" */
  name?: string;
  smoothTwin?: boolean;
  buffers?: BufferPool;
}

/** The neuron's hyper-parameters (a model config's `lif` section). */
export type LifSettings = Required<
  Pick<LifOptions, "alpha" | "vth" | "surrogate" | "surrogateWidth" | "reset" | "plif">
>;

/** The one set of LIF defaults (method.md); models/config.ts builds its `lif` defaults from it. */
export const LIF_DEFAULTS: Readonly<LifSettings> = {
  alpha: 0.3,
  vth: 0.3,
  surrogate: "rect",
  surrogateWidth: 0.5,
  reset: "soft",
  plif: false,
};

export class Lif implements Module {
  /** PLIF's logit of α, or null for a fixed decay */
  readonly w: Param | null;
  private readonly pool: BufferPool;
  private readonly u = f32Slot();
  private readonly spikes = u8Slot();
  private readonly idx = i32Slot();
  private readonly offsets = i32Slot();
  private readonly smoothS = f32Slot();
  private out: Float32Array | null = null;
  private params: LifParams | null = null;
  private inShape: number[] | null = null;

  constructor(readonly opts: LifOptions) {
    this.pool = opts.buffers ?? newPool();
    if (opts.plif) {
      if (!(opts.alpha > 0 && opts.alpha < 1)) throw new Error(`PLIF needs 0 < alpha < 1, got ${opts.alpha}`);
      this.w = newParam(`${opts.name ?? "lif"}.w`, [1]);
      this.w.value[0] = Math.log(opts.alpha / (1 - opts.alpha));
    } else {
      this.w = null;
    }
  }

  /** The decay in use (PLIF: sigmoid of the learned logit). */
  alpha(): number {
    return this.w ? 1 / (1 + Math.exp(-this.w.value[0]!)) : this.opts.alpha;
  }

  forward(x: Seq, _ctx: Context): Seq {
    const { t, frames, features } = seqDims(x);
    const n = x.data.length / t;
    const p: LifParams = {
      t,
      n,
      alpha: this.alpha(),
      vth: this.opts.vth,
      surrogate: this.opts.surrogate,
      surrogateWidth: this.opts.surrogateWidth,
      reset: this.opts.reset,
    };
    this.params = p;
    this.inShape = x.shape;
    const u = this.u.get(x.data.length);
    this.pool.release(this.out);
    const out = this.pool.acquire(x.data.length);
    this.out = out;
    const result: Seq = { data: out, shape: x.shape };
    if (x.mask) result.mask = x.mask;
    if (this.opts.smoothTwin) {
      const a = p.surrogateWidth;
      lifScanForward(x.data, out, u, p, (v) => surrogateSmooth(p.surrogate, a, v));
      this.smoothS.get(out.length).set(out);
      return result;
    }
    const spikes = this.spikes.get(x.data.length);
    engine().lifForward(x.data, spikes, u, p);
    // the next layer may keep these bytes in place of the floats (spike-storage.ts): spikeFloats checks they are 0/1
    const active = engine().spikeFloats(spikes, out);
    const list: SpikeList = {
      rows: frames,
      rowLen: features,
      idx: this.idx.atLeast(Math.max(1, active)),
      offsets: this.offsets.get(frames + 1),
    };
    engine().spikeIndices(spikes, list);
    result.spikes = list;
    result.bytes = spikes;
    return result;
  }

  backward(gy: Seq, _ctx: Context): Seq {
    const p = this.params;
    if (p === null || this.inShape === null) throw new Error("lif: backward before forward");
    const g = this.pool.acquire(gy.data.length);
    const u = this.u.peek()!;
    let sArr: ArrayLike<number>;
    if (this.opts.smoothTwin) {
      sArr = this.smoothS.peek()!;
      lifBackwardWithS(gy.data, u, sArr, g, p);
    } else {
      sArr = this.spikes.peek()!;
      engine().lifBackward(gy.data, u, this.spikes.peek()!, g, p);
    }
    if (this.w) {
      const scan: ScanParams = { t: p.t, n: p.n, alpha: p.alpha, vth: p.vth, reset: p.reset };
      this.w.grad[0] = this.w.grad[0]! + decayGradient(g, u, sArr, scan) * p.alpha * (1 - p.alpha);
    }
    return { data: g, shape: this.inShape };
  }

  /**
   * Recomputation (the layer frees u after forward and redoes it before backward): frees the membrane u. The smooth
   * twin keeps its state (it is for gradient tests only).
   */
  releaseState(): void {
    if (!this.opts.smoothTwin) this.u.free();
  }

  /**
   * Redoes the last forward's membrane u (and the identical spikes) from the same current with the same kernel and
   * parameters, so backward reads exactly what forward wrote; the output and its spike list are left as they are.
   */
  replay(x: Seq): void {
    const p = this.params;
    if (p === null) throw new Error("lif: replay before forward");
    if (this.opts.smoothTwin) return;
    engine().lifForward(x.data, this.spikes.get(x.data.length), this.u.get(x.data.length), p);
  }

  /**
   * Hands the dense output back to the pool early (its spike list stays valid); only when the smooth twin is off,
   * since its output has no list.
   */
  releaseOutput(): void {
    if (this.opts.smoothTwin) return;
    this.pool.release(this.out);
    this.out = null;
  }

  /** Spikes per frame of the last forward ([T·B], frame r = t·B + b). */
  spikesPerFrame(): Float32Array {
    const p = this.params;
    if (p === null || this.inShape === null) throw new Error("lif: no forward yet");
    const frames = this.inShape[0]! * this.inShape[1]!;
    const counts = new Float32Array(frames);
    const offsets = this.offsets.peek();
    if (!this.opts.smoothTwin && offsets !== null) {
      for (let r = 0; r < frames; r++) counts[r] = offsets[r + 1]! - offsets[r]!;
      return counts;
    }
    const out = this.out!;
    const f = out.length / frames;
    for (let r = 0; r < frames; r++) {
      let c = 0;
      for (let i = r * f; i < (r + 1) * f; i++) c += out[i]!;
      counts[r] = c;
    }
    return counts;
  }

  parameters(): Param[] {
    return this.w ? [this.w] : [];
  }

  buffers(): Buffer[] {
    return [];
  }

  dispose(): void {
    this.pool.release(this.out);
    this.out = null;
    this.u.free();
    this.spikes.free();
    this.idx.free();
    this.offsets.free();
    this.smoothS.free();
    if (this.w) freeParams([this.w]);
  }
}

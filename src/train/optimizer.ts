/**
 * Adam over every parameter (PyTorch semantics, β 0.9/0.999, eps 1e-8) through the engine's `adam` kernel, with a
 * per-parameter learning-rate multiplier (Param.lrScale; Razor's module trains at ×10). The moments live in engine
 * memory and can be exported/imported so `--resume` continues bit-identically.
 */
import type { AdamParams } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { Param } from "../nn/module.js";

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamState {
  step: number;
  /** per parameter name: first and second moments */
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  step = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(
    private readonly params: Param[],
    opts: AdamOptions,
  ) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.name)) throw new Error(`two parameters are both named '${p.name}'`);
      seen.add(p.name);
    }
    this.m = params.map((p) => engine().allocF32(p.value.length));
    this.v = params.map((p) => engine().allocF32(p.value.length));
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad.fill(0);
  }

  /** One update of every parameter from its accumulated gradient. */
  update(): void {
    this.step++;
    const e = engine();
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const hp: AdamParams = {
        lr: this.lr * (p.lrScale ?? 1),
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        step: this.step,
        weightDecay: this.weightDecay,
      };
      e.adam(p.value, p.grad, this.m[i]!, this.v[i]!, hp);
    }
  }

  exportState(): AdamState {
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    this.params.forEach((p, i) => {
      moments.set(p.name, { m: Float32Array.from(this.m[i]!), v: Float32Array.from(this.v[i]!) });
    });
    return { step: this.step, moments };
  }

  importState(s: AdamState): void {
    this.params.forEach((p, i) => {
      const mv = s.moments.get(p.name);
      if (mv === undefined) throw new Error(`optimizer state has no moments for parameter '${p.name}'`);
      if (mv.m.length !== p.value.length || mv.v.length !== p.value.length) {
        throw new Error(
          `optimizer moments for '${p.name}' have ${mv.m.length} values, the parameter ${p.value.length}`,
        );
      }
      this.m[i]!.set(mv.m);
      this.v[i]!.set(mv.v);
    });
    this.step = s.step;
  }

  /** Releases the moments' engine memory. */
  dispose(): void {
    for (const a of [...this.m, ...this.v]) engine().free(a);
    this.m.length = 0;
    this.v.length = 0;
  }
}

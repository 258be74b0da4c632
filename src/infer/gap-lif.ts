/**
 * LIF neurons run over the kept frames only. A frame a layer does not compute gets zero current (method.md: a
 * dropped frame has zero current, bias included), and with zero current a LIF neuron cannot fire: its state only
 * decays, H ← α·H. This class keeps each sample's state between calls and lets the engine's lifGapSteps apply that
 * decay lazily, when the sample's next kept frame arrives, once per skipped frame in f32 — the same arithmetic as
 * the dense kernel stepping through zero-current frames, so the result is bit-identical to the masked dense
 * computation.
 *
 * Output is the spike list only (CSR over the kept rows): the next layer's event-driven kernels read nothing else,
 * and a dense 0/1 copy is made only where a dense kernel needs one (denseFromList).
 */
import type { GapLifStepParams, ResetMode, SpikeList } from "../engine/api.js";
import type { ChannelAffine } from "../engine/batchnorm-affine.js";
import { engine } from "../engine/current.js";

export interface GapLifParams {
  alpha: number;
  vth: number;
  reset: ResetMode;
  /**
   * an evaluation batch norm folded into the step: the current becomes cur·scale + shift per channel of
   * `positions` neurons each (the layer's BN pass is then skipped; only valid where no pooling sits between)
   */
  batchNorm?: ChannelAffine & { positions: number };
}

export class GapLif {
  /** membrane before threshold U at each sample's last computed frame [B × n] */
  private readonly u: Float32Array;
  /** time step of each sample's last computed frame (-1: none yet) */
  private readonly lastT: Int32Array;
  private readonly step: Omit<GapLifStepParams, "rowWeights">;

  constructor(
    readonly B: number,
    readonly n: number,
    p: GapLifParams,
  ) {
    this.u = new Float32Array(B * n);
    this.lastT = new Int32Array(B).fill(-1);
    let scale: Float32Array | null = null;
    let shift: Float32Array | null = null;
    if (p.batchNorm) {
      const { positions } = p.batchNorm;
      if (p.batchNorm.scale.length * positions !== n) {
        throw new Error(
          `GapLif: batch norm of ${p.batchNorm.scale.length} channels × ${positions} positions ≠ ${n} neurons`,
        );
      }
      // per neuron, so the kernel needs no channel arithmetic
      scale = new Float32Array(n);
      shift = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const ch = Math.floor(i / positions);
        scale[i] = p.batchNorm.scale[ch]!;
        shift[i] = p.batchNorm.shift[ch]!;
      }
    }
    this.step = { n, alpha: p.alpha, vth: p.vth, reset: p.reset, scale, shift };
  }

  /**
   * Runs the kept frames `rows` (frame r = t·B + b, ascending) with their currents cur [rows.length × n], each
   * row times rowWeights[k] when given (the Razor weight d), and returns their spikes as a list (release it with
   * freeList).
   */
  run(rows: Int32Array, cur: Float32Array, rowWeights: Float32Array | null = null): SpikeList {
    const { B, n } = this;
    const sample = new Int32Array(rows.length);
    const gap = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const b = rows[k]! % B;
      const t = (rows[k]! - b) / B;
      const last = this.lastT[b]!;
      sample[k] = b;
      gap[k] = last < 0 ? -1 : t - last - 1;
      this.lastT[b] = t;
    }
    const e = engine();
    const spikes = e.allocU8(Math.max(1, rows.length * n));
    try {
      e.lifGapSteps(cur, this.u, sample, gap, spikes, { ...this.step, rowWeights });
      return e.spikeList(spikes, rows.length, n);
    } finally {
      e.free(spikes);
    }
  }
}

/** The dense 0/1 values [list.rows × rowLen] of a spike list, in a new engine array the caller frees. */
export function denseFromList(list: SpikeList): Float32Array {
  const out = engine().allocF32(Math.max(1, list.rows * list.rowLen));
  for (let r = 0; r < list.rows; r++) {
    const base = r * list.rowLen;
    for (let k = list.offsets[r]!; k < list.offsets[r + 1]!; k++) out[base + list.idx[k]!] = 1;
  }
  return out;
}

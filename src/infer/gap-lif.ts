/**
 * LIF neurons run over the kept frames only. A frame a layer does not compute gets zero current (method.md: a
 * dropped frame has zero current, bias included), and with zero current a LIF neuron cannot fire: its state only
 * decays, H ← α·H. This class applies that decay lazily, when the sample's next kept frame arrives, once per
 * skipped frame in f32 — the same arithmetic as the dense kernel stepping through zero-current frames, so the
 * result is bit-identical to the masked dense computation.
 *
 * Output is the spike list only (CSR over the kept rows): the next layer's event-driven kernels read nothing else,
 * and a dense 0/1 copy is made only where a dense kernel needs one (denseFromList).
 */
import type { ResetMode, SpikeList } from "../engine/api.js";
import type { ChannelAffine } from "../engine/batchnorm-affine.js";
import { engine } from "../engine/current.js";
import type { WasmRuntime } from "../engine/runtime.js";

const f32 = Math.fround;

/** Neurons per segment of the wasm kernel: B segments of u stay in L1 while the rows stream past. */
const SEGMENT = 512;
/** Below this many neuron-steps a call stays on one thread (the handoff costs more than it saves). */
const MIN_STEPS_PER_THREAD = 1 << 16;

export interface GapLifParams {
  alpha: number;
  vth: number;
  reset: ResetMode;
  /** run the wasm kernel (assembly/gap-lif.ts) when the active engine is the wasm one (default true) */
  useWasm?: boolean;
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
  private readonly alpha: number;
  private readonly vth: number;
  private readonly hard: boolean;
  private readonly useWasm: boolean;
  /** the folded batch norm, per neuron (null: none) */
  private readonly scaleN: Float32Array | null = null;
  private readonly shiftN: Float32Array | null = null;

  constructor(
    readonly B: number,
    readonly n: number,
    p: GapLifParams,
  ) {
    this.u = new Float32Array(B * n);
    this.lastT = new Int32Array(B).fill(-1);
    this.alpha = f32(p.alpha);
    this.vth = f32(p.vth);
    this.hard = p.reset === "hard";
    this.useWasm = p.useWasm ?? true;
    if (p.batchNorm) {
      const { scale, shift, positions } = p.batchNorm;
      if (scale.length * positions !== n) {
        throw new Error(`GapLif: batch norm of ${scale.length} channels × ${positions} positions ≠ ${n} neurons`);
      }
      this.scaleN = new Float32Array(n);
      this.shiftN = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const ch = Math.floor(i / positions);
        this.scaleN[i] = scale[ch]!;
        this.shiftN[i] = shift[ch]!;
      }
    }
  }

  /**
   * Runs the kept frames `rows` (frame r = t·B + b, ascending) with their currents cur [rows.length × n], each
   * row times rowWeights[k] when given (the Razor weight d), and returns their spikes as a list (idx in a new
   * engine array the caller frees).
   */
  run(rows: Int32Array, cur: Float32Array, rowWeights: Float32Array | null = null): SpikeList {
    const { B, n } = this;
    const bs = new Int32Array(rows.length);
    const gaps = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const b = rows[k]! % B;
      const t = (rows[k]! - b) / B;
      const last = this.lastT[b]!;
      bs[k] = b;
      gaps[k] = last < 0 ? -1 : t - last - 1;
      this.lastT[b] = t;
    }
    const e = engine();
    const rt = (e as { runtime?: WasmRuntime }).runtime;
    const spk = e.allocU8(Math.max(1, rows.length * n));
    const offsets = new Int32Array(rows.length + 1);
    let idx: Int32Array;
    if (this.useWasm && e.name === "wasm" && rt?.exports.lifGapSteps !== undefined) {
      const { alpha, vth, hard } = this;
      const total = rt.call([this.u, offsets], (ptr) => {
        const opt = (a: Float32Array | null): number => (a === null ? 0 : ptr(a));
        const args = [ptr(cur), ptr(this.u), ptr(bs), ptr(gaps), opt(this.scaleN), opt(this.shiftN), opt(rowWeights)];
        args.push(rows.length, n, alpha, vth, hard ? 1 : 0, ptr(spk));
        rt.parallel("lifGapSteps", [...args, SEGMENT], n, minPerThread(n, rows.length * n));
        // count each row's spikes, then offsets: idx is allocated at its exact size before the fill
        const pOff = ptr(offsets);
        rt.parallel("spikeRowCounts", [ptr(spk), pOff + 4, n], rows.length, minPerThread(rows.length, rows.length * n));
        return rt.exports.spikeOffsets!(pOff, rows.length);
      });
      idx = e.allocI32(Math.max(1, total));
      rt.call([idx], (ptr) => {
        const args = [ptr(spk), ptr(idx), ptr(offsets), n];
        rt.parallel("spikeRowsFill", args, rows.length, minPerThread(rows.length, rows.length * n));
      });
    } else {
      this.stepsTs(bs, gaps, cur, rowWeights, spk);
      idx = listTs(spk, rows.length, n, offsets);
    }
    e.free(spk);
    return { rows: rows.length, rowLen: n, idx, offsets };
  }

  /** The plain TS version: the twin of the wasm kernel (one row after another, all neurons). */
  private stepsTs(
    bs: Int32Array,
    gaps: Int32Array,
    cur: Float32Array,
    rowWeights: Float32Array | null,
    spk: Uint8Array,
  ): void {
    const { n, alpha, vth, hard, u, scaleN, shiftN } = this;
    const resetValue = hard ? 0 : f32(alpha * vth);
    for (let k = 0; k < bs.length; k++) {
      const base = bs[k]! * n;
      const gap = gaps[k]!;
      for (let i = 0; i < n; i++) {
        let h = 0;
        if (gap >= 0) {
          const prev = u[base + i]!;
          h = prev >= vth ? resetValue : f32(alpha * prev);
          for (let s = 0; s < gap && h !== 0; s++) h = f32(alpha * h);
        }
        let c = cur[k * n + i]!;
        if (scaleN !== null) c = f32(f32(c * scaleN[i]!) + shiftN![i]!);
        if (rowWeights !== null) c = f32(c * rowWeights[k]!);
        const uu = f32(h + c);
        u[base + i] = uu;
        spk[k * n + i] = uu >= vth ? 1 : 0;
      }
    }
  }
}

/** Items per thread so that each thread gets at least MIN_STEPS_PER_THREAD of `work` (spread evenly over items). */
function minPerThread(items: number, work: number): number {
  return Math.max(1, Math.ceil((MIN_STEPS_PER_THREAD * items) / Math.max(1, work)));
}

/** CSR of spike bytes [rows × n] into offsets; returns idx (a new engine array, exactly as long as the spikes). */
function listTs(spk: Uint8Array, rows: number, n: number, offsets: Int32Array): Int32Array {
  offsets[0] = 0;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (let i = r * n; i < (r + 1) * n; i++) c += spk[i]!;
    offsets[r + 1] = offsets[r]! + c;
  }
  const idx = engine().allocI32(Math.max(1, offsets[rows]!));
  let k = 0;
  for (let i = 0; i < rows * n; i++) if (spk[i] === 1) idx[k++] = i % n;
  return idx;
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

/**
 * LIF neurons run over the kept frames only. A frame a layer does not compute gets zero current (method.md: a
 * dropped frame has zero current, bias included), and with zero current a LIF neuron cannot fire: its state only
 * decays, H ← α·H. This class applies that decay lazily, when the sample's next kept frame arrives, once per
 * skipped frame in f32 — the same arithmetic as the dense kernel stepping through zero-current frames, so the
 * result is bit-identical to the masked dense computation.
 */
import type { ResetMode } from "../engine/api.js";
import { engine } from "../engine/current.js";
import type { WasmRuntime } from "../engine/runtime.js";

const f32 = Math.fround;

export interface GapLifParams {
  alpha: number;
  vth: number;
  reset: ResetMode;
  /** run the wasm kernel (assembly/gap-lif.ts) when the active engine is the wasm one (default true) */
  useWasm?: boolean;
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
  }

  /**
   * Runs the kept frames `rows` (frame r = t·B + b, ascending) with their currents cur [rows.length × n].
   * Writes spikes as 0/1 into out [rows.length × n] and their positions into idx/offsets (CSR over the kept rows);
   * returns the number of spikes.
   */
  run(rows: Int32Array, cur: Float32Array, out: Float32Array, idx: Int32Array, offsets: Int32Array): number {
    const e = engine();
    const rt = (e as { runtime?: WasmRuntime }).runtime;
    if (this.useWasm && e.name === "wasm" && rt?.exports.lifGapForward !== undefined) {
      const { B, n, alpha, vth, hard } = this;
      rt.call([this.u, this.lastT, out, idx, offsets], (ptr) => {
        rt.exports.lifGapForward!(
          ptr(cur),
          ptr(this.u),
          ptr(this.lastT),
          ptr(rows),
          rows.length,
          B,
          n,
          alpha,
          vth,
          hard ? 1 : 0,
          ptr(out),
          ptr(idx),
          ptr(offsets),
        );
      });
      return offsets[rows.length]!;
    }
    return this.runTs(rows, cur, out, idx, offsets);
  }

  /** The plain TS version: the twin of the wasm kernel. */
  private runTs(rows: Int32Array, cur: Float32Array, out: Float32Array, idx: Int32Array, offsets: Int32Array): number {
    const { B, n, alpha, vth, hard } = this;
    const u = this.u;
    let count = 0;
    offsets[0] = 0;
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k]!;
      const b = r % B;
      const t = (r - b) / B;
      const last = this.lastT[b]!;
      const skipped = last < 0 ? 0 : t - last - 1;
      const base = b * n;
      const cbase = k * n;
      for (let i = 0; i < n; i++) {
        let h = 0;
        if (last >= 0) {
          const prev = u[base + i]!;
          // reset after the last computed frame, then one decay per skipped (zero-current) frame
          h = prev > vth ? (hard ? 0 : f32(alpha * vth)) : f32(alpha * prev);
          for (let s = 0; s < skipped && h !== 0; s++) h = f32(alpha * h);
        }
        const uu = f32(h + cur[cbase + i]!);
        u[base + i] = uu;
        if (uu > vth) {
          out[cbase + i] = 1;
          idx[count++] = i;
        } else out[cbase + i] = 0;
      }
      offsets[k + 1] = count;
      this.lastT[b] = t;
    }
    return count;
  }
}

/**
 * The synaptic current of a spiking layer, I = Pool(BN(Conv(Dropout(S)))) or BN(Linear(Dropout(S))), forward and
 * backward, and the one place that decides when the buffers of these stages go back to the shared pool:
 * - forward: the BN output as soon as pooling has read it (pool backward does not need its input);
 * - after the layer's forward: I itself unless the frame scores need it for their gradient (keepOutput);
 * - backward: each incoming gradient as soon as the stage it feeds has consumed it (BN works in place), and the
 *   synapse output (BN's input) once BN's backward has read it;
 * - with recomputation: every stage output right after the layer's forward (releaseAll), redone by replay just
 *   before backward (same kernels on the same input, the dropout mask and BN batch statistics of forward), and
 *   released again once backward is done.
 */
import type { BatchNorm } from "./batchnorm.js";
import type { BufferPool } from "./buffers.js";
import type { Conv2d } from "./conv2d.js";
import type { Linear } from "./linear.js";
import type { Context, Module, Seq } from "./module.js";
import type { Pool2d } from "./pool2d.js";
import type { Dropout } from "./reshape.js";

export interface CurrentStages {
  dropout: Dropout | null;
  synapse: Conv2d | Linear;
  bn: BatchNorm | null;
  poolOp: Pool2d | null;
}

export class CurrentPath {
  constructor(
    private readonly stages: CurrentStages,
    private readonly pool: BufferPool,
  ) {}

  /**
   * `inputRead` is called once nothing reads x.data any more: at once when the stages read spike input through its
   * bytes (conv without dropout), else after the synapse.
   */
  forward(x: Seq, ctx: Context, inputRead?: () => void): Seq {
    const { dropout, synapse, bn, poolOp } = this.stages;
    const valuesRead = this.readsInputValues();
    if (!valuesRead) inputRead?.();
    let h = dropout ? dropout.forward(x, ctx) : x;
    h = synapse.forward(h, ctx);
    if (valuesRead) inputRead?.();
    if (bn) h = bn.forward(h, ctx);
    if (poolOp) {
      h = poolOp.forward(h, ctx);
      bn?.releaseOutput();
    }
    return h;
  }

  /** I again from the same input, bit-identical to forward's, without random draws or running-stat updates. */
  replay(x: Seq, ctx: Context, inputRead?: () => void): Seq {
    const { dropout, synapse, bn, poolOp } = this.stages;
    let h = dropout ? dropout.replay(x) : x;
    h = synapse.forward(h, ctx);
    inputRead?.();
    if (bn) h = bn.replay(h);
    if (poolOp) {
      h = poolOp.forward(h, ctx);
      bn?.releaseOutput();
    }
    return h;
  }

  /** Hands every stage output back to the pool (recomputation: replay makes them again when needed). */
  releaseAll(): void {
    const { dropout, synapse, bn, poolOp } = this.stages;
    poolOp?.releaseOutput();
    bn?.releaseOutput();
    synapse.releaseOutput();
    dropout?.releaseOutput();
  }

  /** Called once the layer's forward is through with I: with `needed` false, I's buffer goes back now. */
  keepOutput(needed: boolean): void {
    if (needed) return;
    const { synapse, bn, poolOp } = this.stages;
    (poolOp ?? bn ?? synapse).releaseOutput();
  }

  /**
   * dL/dI → dL/dS (empty without `inputGrad`); g is consumed (its buffer reused or handed back). With `lean`
   * (recomputation) the pool's free arrays go back to the engine once BN's input is dead, so the input gradient
   * can reuse its bytes.
   */
  backward(g: Seq, ctx: Context, inputGrad: boolean, lean = false): Seq {
    const { dropout, synapse, bn, poolOp } = this.stages;
    let gh = g;
    if (poolOp) gh = this.passBack(poolOp, gh, ctx);
    if (bn) {
      gh = bn.backwardInPlace(gh, ctx);
      synapse.releaseOutput(); // BN's input, read for the last time
      if (lean) this.pool.trim();
    }
    gh = this.passBack(synapse, gh, ctx);
    if (dropout && inputGrad) gh = this.passBack(dropout, gh, ctx);
    return gh;
  }

  /**
   * True when backward reads the dense values of the layer's input (dense synapse kernels, dropout): otherwise
   * the previous layer may drop its dense output once this forward is done (the spike list stays).
   */
  needsDenseInput(): boolean {
    return this.stages.dropout !== null || this.stages.synapse.lastPath === "dense";
  }

  /** True when forward and replay read the f32 values of the layer's input (dropout, or a synapse reading no bytes). */
  readsInputValues(): boolean {
    return this.stages.dropout !== null || !this.stages.synapse.forwardReadsBytes;
  }

  private passBack(m: Module, g: Seq, ctx: Context): Seq {
    const r = m.backward(g, ctx);
    this.pool.release(g.data);
    return r;
  }
}

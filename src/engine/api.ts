/**
 * The kernel interface. Two implementations: the pure-TypeScript reference twins (slow, obvious, the test oracle)
 * and the WebAssembly SIMD engine (fast, threaded). Both take plain typed arrays; the wasm engine runs in place on
 * arrays that live in its memory (allocate them with `Engine.allocF32` etc.) and copies others in and out.
 *
 * Conventions: row-major; `y`/`gx` outputs are overwritten, weight-gradient outputs (`gw`, `gb`, `gGamma`, `gBeta`)
 * are accumulated (+=) so gradients over several calls add up; every output shape is given by the shape argument.
 */
import type { ChannelAffine } from "./batchnorm-affine.js";

/** conv2d geometry; x [n, cin, h, w], w [cout, cin, kh, kw], y [n, cout, ho, wo] with
 * ho = floor((h + 2 padH - kh) / strideH) + 1, wo likewise. */
export interface ConvShape {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

/** Square pooling windows, no padding: x [n, c, h, w], y [n, c, floor((h - k) / stride) + 1, ...]. */
export interface PoolShape {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  stride: number;
}

/** Batch norm over x laid out [n, c, hw]: statistics per channel over n and hw. */
export interface BatchNormShape {
  n: number;
  c: number;
  hw: number;
}

export type Surrogate = "rect" | "sigmoid" | "atan";

/**
 * LIF reset form (method.md):
 * - "soft": reference-code form H = α (Vth S + U (1 - S)) (leaves α·Vth after a spike)
 * - "hard": paper form H = α U (1 - S)
 */
export type ResetMode = "soft" | "hard";

/**
 * Multi-step LIF over a time-major current I [t, n]: U[t] = H[t-1] + I[t], S[t] = step(U[t] - vth), H[0] = 0.
 * Surrogate dS/dU with width a = `surrogateWidth`:
 * - rect:    1[|U - vth| < a/2] / a
 * - sigmoid: k σ(k x)(1 - σ(k x)) with x = U - vth, k = 4 / a   (slope at 0 equals 1 / a)
 * - atan:    (1/a) / (1 + (π x / a)^2)                        (slope at 0 equals 1 / a)
 * Gradients flow through the reset (the reset term's dependence on S uses the surrogate too).
 */
export interface LifParams {
  t: number;
  n: number;
  alpha: number;
  vth: number;
  surrogate: Surrogate;
  surrogateWidth: number;
  reset: ResetMode;
}

/**
 * Active spike positions in CSR form: row r's active indices are idx[offsets[r] .. offsets[r+1]), ascending.
 * For a layer's output [t, b, f] the rows are the t·b frames and indices are within f (f = c·h·w for conv maps).
 */
export interface SpikeList {
  rows: number;
  rowLen: number;
  idx: Int32Array;
  offsets: Int32Array;
  /**
   * the value of each listed position (e.g. event counts of a network's input frames); absent: every listed
   * position is 1 (spikes). Only conv2dSpikeForward takes values; the other event-driven kernels refuse them.
   */
  values?: Float32Array;
}

/**
 * Parameters of lifGapSteps. The current a neuron integrates is cur, with `scale`/`shift` (per neuron) the
 * evaluation batch norm's map cur·scale + shift, then with `rowWeights` (per kept row) times the row's Razor weight
 * d: the same f32 operations, in the same order, as the separate BN kernel and weighting they replace.
 */
export interface GapLifStepParams {
  /** neurons per row */
  n: number;
  alpha: number;
  vth: number;
  reset: ResetMode;
  scale: Float32Array | null;
  shift: Float32Array | null;
  rowWeights: Float32Array | null;
}

/** What the event-driven conv may apply to its output before writing it (inference only). */
export interface ConvEpilogue {
  /** an evaluation batch norm as its per-channel map (engine/batchnorm-affine.ts) */
  batchNorm?: ChannelAffine;
  /** a 2×2 average pool with stride 2 (output rows and columns: floor(ho / 2), floor(wo / 2)) */
  avgPool2?: boolean;
}

/**
 * Razor's gradient into its source (nn/razor.ts): per frame r with active[r] = 1, for each channel c
 *   h = Σ_k gp[r,k] Ê[k,c] (k ascending, from 0),   g = (h − f[r,c] / norm[r] · dot[r]) / norm[r] + gAct[r]
 * (g = 0 + gAct[r] when norm[r] = 0), and gx[r, c, ·] += (0 + g) / hw over the hw positions, skipped when that is
 * 0. float64 throughout (the same operations in the same order in every implementation), gx float32. f is the
 * frame's descriptor as sparse rows: channels fIdx[fOffsets[r] .. fOffsets[r+1]) ascending, values fVal.
 */
export interface RazorSourceGrad {
  rows: number;
  channels: number;
  K: number;
  hw: number;
  active: Uint8Array;
  /** [rows × K] */
  gp: Float64Array;
  norm: Float64Array;
  dot: Float64Array;
  gAct: Float64Array;
  fOffsets: Int32Array;
  fIdx: Int32Array;
  fVal: Float64Array;
  /** Ê transposed, [channels × K] */
  eHatT: Float64Array;
}

/**
 * The sparse half of Razor's backward (nn/razor.ts), over the frames r with on[r] = 1, in frame order:
 *   gEHat[k, c] += (gp[r,k] · f[r,c]) / norm[r]   for the frame's listed channels c, every k
 *   dot[r] = Σ_j (f[r,c_j] / norm[r]) · h_j  with h_j = Σ_k gp[r,k] Ê[k,c_j] (both sums from 0, in index order)
 * float64 throughout; dot (when given) is written for those frames only. Descriptor rows as in RazorSourceGrad.
 */
export interface RazorScoreGrad {
  rows: number;
  channels: number;
  K: number;
  on: Uint8Array;
  /** [rows × K] */
  gp: Float64Array;
  norm: Float64Array;
  fOffsets: Int32Array;
  fIdx: Int32Array;
  fVal: Float64Array;
  /** Ê transposed, [channels × K] */
  eHatT: Float64Array;
}

/**
 * Razor's per-frame scores (nn/razor.ts), from each frame's descriptor f (sparse rows as in RazorSourceGrad) and
 * the normalised embeddings Ê [K × channels]: norm = ‖f‖, p_k = ⟨f, Ê_k⟩ / norm (0 when norm = 0),
 * α = softmax(p / τ), s = Σ_k α_k p_k, act = ‖f‖₁ / channels, d = sigmoid(γ s + η log(ε + act) + β). float64 in
 * the twin's order, exp and log as the host's Math.exp / Math.log.
 */
export interface RazorScores {
  rows: number;
  channels: number;
  K: number;
  tau: number;
  gamma: number;
  eta: number;
  beta: number;
  eps: number;
  fOffsets: Int32Array;
  fIdx: Int32Array;
  fVal: Float64Array;
  /** [K × channels] */
  eHat: Float64Array;
}

/** What razorScores writes, per frame (p and alpha [rows × K]). */
export interface RazorScoreOutputs {
  norm: Float64Array;
  p: Float64Array;
  alpha: Float64Array;
  s: Float64Array;
  act: Float64Array;
  d: Float32Array;
}

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step count, for bias correction */
  step: number;
  weightDecay: number;
}

/**
 * A layer's input spikes kept compactly for its weight gradient: one byte per value (0 or 1, the LIF's own spike
 * bytes). Kernels that take `Float32Array | SpikeBytes` read the bytes as their f32 values, so their results are bit
 * for bit those of the same values passed as floats, at a quarter of the memory.
 */
export type SpikeBytes = Uint8Array;

export interface Kernels {
  /**
   * C = alpha · op(A) · op(B) + beta · C; op(A) is m×k, op(B) is k×n, C is m×n. B may be SpikeBytes when not
   * transposed.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array | SpikeBytes,
    beta: number,
    c: Float32Array,
  ): void;

  /** x may be SpikeBytes. */
  conv2dForward(
    x: Float32Array | SpikeBytes,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    s: ConvShape,
  ): void;
  /** gx (overwritten) = gradient w.r.t. x. */
  conv2dBackwardInput(gy: Float32Array, w: Float32Array, gx: Float32Array, s: ConvShape): void;
  /** gw += dL/dw, gb += dL/db (gb may be null); x may be SpikeBytes. */
  conv2dBackwardWeight(
    x: Float32Array | SpikeBytes,
    gy: Float32Array,
    gw: Float32Array,
    gb: Float32Array | null,
    s: ConvShape,
  ): void;

  avgPool2dForward(x: Float32Array, y: Float32Array, s: PoolShape): void;
  avgPool2dBackward(gy: Float32Array, gx: Float32Array, s: PoolShape): void;
  /** argmax[i] = flat index into x of the max of window i (first max wins). */
  maxPool2dForward(x: Float32Array, y: Float32Array, argmax: Int32Array, s: PoolShape): void;
  maxPool2dBackward(gy: Float32Array, argmax: Int32Array, gx: Float32Array, s: PoolShape): void;

  /**
   * Training-mode BN: normalise with batch statistics (biased variance), write mean and 1/sqrt(var + eps) for
   * backward, and update running stats as PyTorch does (unbiased variance, r = (1 - momentum) r + momentum b).
   */
  batchNormForwardTrain(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    saveMean: Float32Array,
    saveInvStd: Float32Array,
    runningMean: Float32Array,
    runningVar: Float32Array,
    s: BatchNormShape,
    momentum: number,
    eps: number,
  ): void;
  batchNormForwardEval(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    runningMean: Float32Array,
    runningVar: Float32Array,
    y: Float32Array,
    s: BatchNormShape,
    eps: number,
  ): void;
  /** gx overwritten; gGamma, gBeta accumulated. */
  batchNormBackward(
    gy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    saveMean: Float32Array,
    saveInvStd: Float32Array,
    gx: Float32Array,
    gGamma: Float32Array,
    gBeta: Float32Array,
    s: BatchNormShape,
  ): void;

  /**
   * Fused LIF over all t: writes spikes [t, n] (0/1 bytes) and u [t, n] (membrane before threshold, kept for
   * backward). When `list` is given (rowLen dividing n) it is filled with the active positions of each
   * (t, row) so the next layer can use event-driven kernels; its idx must hold t·n entries.
   */
  lifForward(current: Float32Array, spikes: Uint8Array, u: Float32Array, p: LifParams, list?: SpikeList): void;
  /** BPTT in reverse time: gCurrent (overwritten) from gSpikes, using u and spikes from forward. */
  lifBackward(gSpikes: Float32Array, u: Float32Array, spikes: Uint8Array, gCurrent: Float32Array, p: LifParams): void;

  /**
   * LIF over kept frames only (pruned inference; a dropped frame has zero current, so a neuron only decays across
   * it). Row k of cur [rows, p.n] is a frame of sample sample[k] after gap[k] skipped frames since that sample's
   * last computed frame (-1: its first frame, state 0); each skipped frame applies H ← α·H once, in f32, as the
   * dense kernel stepping through zero-current frames would. u [B, p.n] holds each sample's membrane U at its last
   * computed frame and is updated; spikes [rows, p.n] gets 0/1 (U ≥ vth). Rows run in order.
   */
  lifGapSteps(
    cur: Float32Array,
    u: Float32Array,
    sample: Int32Array,
    gap: Int32Array,
    spikes: Uint8Array,
    p: GapLifStepParams,
  ): void;

  /**
   * out[i] = spikes[i] as float32; returns how many are 1. Spike bytes must be 0 or 1: a byte above 1 is a
   * RangeError naming its index (the bytes may stand in for the floats elsewhere, spike-storage.ts).
   */
  spikeFloats(spikes: Uint8Array, out: Float32Array): number;

  /**
   * Fills `list` (CSR over list.rows rows of list.rowLen) from event counts x: each position listed once per event
   * (x = 2 lists it twice), so the event-driven kernels compute counts × weights. Returns false, leaving the list
   * unspecified, when a value is not a non-negative integer or there are more than maxEvents events; list.idx
   * must have room for maxEvents.
   */
  eventIndices(x: Float32Array, list: SpikeList, maxEvents: number): boolean;

  /** Fills `list` (CSR over rows of length list.rowLen) with positions where spikes != 0. */
  spikeIndices(spikes: Uint8Array, list: SpikeList): void;

  /** Event-driven linear: y[r, :] = Σ_{i active in row r} W[:, i] + bias; w [out, in], y [rows, out] overwritten. */
  linearSpikeForward(list: SpikeList, w: Float32Array, bias: Float32Array | null, y: Float32Array, out: number): void;
  /** Event-driven weight gradient: gw[:, i] += gy[r, :] for each active i of row r. */
  linearSpikeWeightGrad(list: SpikeList, gy: Float32Array, gw: Float32Array, out: number): void;
  /**
   * Event-driven conv: each input spike (row = image, index = c·h·w position) added into its output window. A list
   * with values gives the dense conv2dForward's result for the same input bit for bit (the sum over the listed
   * inputs in position order from zero, then the bias) where cin·kh·kw <= 256 (one GEMM depth panel). With an
   * epilogue (inference), the output then goes through an evaluation batch norm and/or a 2×2 stride-2 average
   * pool before it is written: y is [n, cout, ho/2, wo/2] when pooled. The same f32 arithmetic as running
   * batchNormForwardEval and avgPool2dForward afterwards.
   */
  conv2dSpikeForward(
    list: SpikeList,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    s: ConvShape,
    epilogue?: ConvEpilogue,
  ): void;
  conv2dSpikeWeightGrad(list: SpikeList, gy: Float32Array, gw: Float32Array, s: ConvShape): void;

  /** gx [rows × channels × hw] += Razor's source gradient (RazorSourceGrad). */
  razorSourceGrad(p: RazorSourceGrad, gx: Float32Array): void;
  /** Razor's per-frame scores and what their backward keeps (RazorScores). */
  razorScores(p: RazorScores, out: RazorScoreOutputs): void;
  /** gEHat [K × channels] += the embedding term, and dot (null: not needed) = the per-frame dots (RazorScoreGrad). */
  razorScoreGrad(p: RazorScoreGrad, gEHat: Float64Array, dot: Float64Array | null): void;

  /** One Adam step in place on param, m, v (PyTorch semantics; weightDecay as L2 added to the gradient). */
  adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, p: AdamParams): void;

  // Elementwise helpers. Lengths come from the arrays and must match (outputs may alias inputs).
  /** x[i] = value. */
  fill(x: Float32Array, value: number): void;
  /** dst[i] = src[i]. */
  copy(src: Float32Array, dst: Float32Array): void;
  /** y[i] = a[i] + b[i]. */
  add(a: Float32Array, b: Float32Array, y: Float32Array): void;
  /** y[i] = a[i] · b[i]. */
  mul(a: Float32Array, b: Float32Array, y: Float32Array): void;
  /** y[i] = alpha · x[i]. */
  scale(x: Float32Array, alpha: number, y: Float32Array): void;
  /** y[i] += alpha · x[i]. */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** out[r, :] = x[r, :] · w[r] for the w.length rows of x (out may be x). */
  scaleRows(x: Float32Array, w: Float32Array, out: Float32Array): void;
  /** out = x ⊙ m with m repeated along x, whose length is a multiple of m's (out may be x). */
  mulRepeated(x: Float32Array, m: Float32Array, out: Float32Array): void;
  /**
   * out[r] = ⟨a[r, :], b[r, :]⟩ for the out.length rows, each product and the sum in float64 in index order, then
   * rounded to float32; 0 where mask[r] = 0 (mask null: every row).
   */
  rowDots(a: Float32Array, b: Float32Array, mask: Uint8Array | null, out: Float32Array): void;
  /** out[r] = (Σ_i x[r, i]) / f for the out.length rows of x: the sum in float64 in index order, then rounded. */
  rowMeans(x: Float32Array, out: Float32Array): void;
  /** x[r, :] += v[r] for the v.length rows of x, each sum in float64, then rounded to float32. */
  addRows(x: Float32Array, v: Float64Array): void;
  /** y laid out [outer, c, inner]: y[o, j, i] += bias[j] (bias of a linear layer: inner = 1). */
  addChannelBias(y: Float32Array, bias: Float32Array, outer: number, c: number, inner: number): void;
  /** gy laid out [outer, c, inner]: gb[j] += Σ_{o,i} gy[o, j, i] (the matching bias gradient). */
  channelBiasGrad(gy: Float32Array, gb: Float32Array, outer: number, c: number, inner: number): void;
}

/** Output size of a conv or pool along one axis. */
export function convOutSize(inSize: number, k: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - k) / stride) + 1;
}

/**
 * A kernel set plus the memory it runs in. Arrays from `alloc*` live in the engine's memory (for the wasm engine,
 * views into the shared WebAssembly.Memory, zero-filled) and must be released with `free` when no longer needed:
 * lifetimes are explicit so a long training loop does not grow memory.
 */
/** What a new engine array holds: zeros, or anything (its first user overwrites it). */
export type AllocContents = "zeros" | "any";

export interface Engine extends Kernels {
  readonly name: "reference" | "wasm";
  readonly threads: number;
  /**
   * `contents` "any": the caller writes every element before it reads one, so the engine may skip zero-filling (the
   * wasm engine does: its memory then holds whatever an earlier array left there). Default "zeros".
   */
  allocF32(n: number, contents?: AllocContents): Float32Array;
  allocU8(n: number): Uint8Array;
  allocI32(n: number): Int32Array;
  /** Zero-filled float64 values (e.g. the Razor module's descriptors), which kernels then read in place. */
  allocF64(n: number): Float64Array;
  free(a: Float32Array | Uint8Array | Int32Array | Float64Array): void;
  /**
   * The active positions of spikes [rows × rowLen] as a list sized exactly: idx is a new engine array, offsets a
   * plain one. Release with freeList.
   */
  spikeList(spikes: Uint8Array, rows: number, rowLen: number): SpikeList;
  /**
   * The non-zero values of x [rows × rowLen] (e.g. a network's input frames: event counts, mostly zeros) as a list
   * with values, sized exactly: idx and values are new engine arrays, offsets a plain one. Release with freeList.
   */
  valueList(x: Float32Array, rows: number, rowLen: number): SpikeList;
  /** Bytes currently allocated (for memory-growth tests and peak reporting). */
  bytesInUse(): number;
  /** Largest bytesInUse() seen. */
  peakBytes(): number;
}

/** Releases the engine arrays of a list made by Engine.spikeList or Engine.valueList. */
export function freeList(list: SpikeList, e: Pick<Engine, "free">): void {
  e.free(list.idx);
  if (list.values) e.free(list.values);
}

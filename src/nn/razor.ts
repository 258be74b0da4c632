/**
 * The Razor module (method.md, Razor [ours]): scores each frame of layer n from the layer's input S^{n-1}.
 *
 *   f[b,t]   = (1/w) Σ_{τ=t-w+1..t} GAP(S^{n-1}[b,τ]) ∈ R^C      causal window; frames before 0 or dropped count 0
 *   f̂        = f / ‖f‖ if ‖f‖ > 0, else 0 (zero gradient)
 *   p_k      = ⟨f̂, Ê_k⟩,  Ê_k = E_k / ‖E_k‖,  E ∈ R^{K×C} learned, initialised |N(0,1)|
 *   α        = softmax_k(p / τ),  s = ⟨f̂, Σ_k α_k Ê_k⟩ = Σ_k α_k p_k
 *   d        = sigmoid(γ s + η log(ε + ‖f‖₁ / C) + β)
 *
 * Parameters ("<prefix>.embeddings" [K, C], ".gamma", ".eta", ".beta", ".log_tau" when τ is learned) carry
 * lrScale (×10 by default). The layer applies Ĩ = M ⊙ d ⊙ I. Causal and independent of T, so it can stream.
 * Input spikes are non-negative, so ‖f‖₁ = Σ f and its gradient is 1/C per channel (also at f = 0).
 */
import { engine } from "../engine/current.js";
import { razorRowGrad } from "../engine/reference-razor.js";
import type { Rng } from "../util/rng.js";
import type { FrameScorer } from "./frame-gate.js";
import type { Buffer, Context, Param, Seq } from "./module.js";
import { freeParams, newParam } from "./param.js";
import { f64Slot, i32Slot, type Slot } from "./buffers.js";

export interface RazorOptions {
  name: string;
  /** C_{n-1}: input channels (conv input) or input features (FC input) */
  channels: number;
  /** number of embeddings K >= 1 */
  K: number;
  /** window w >= 1 (frames) */
  window: number;
  tau: number;
  learnTau: boolean;
  gammaInit: number;
  etaInit: number;
  betaInit: number;
  /** ε in log(ε + activity) */
  activityEps: number;
  lrScale: number;
  /** "abs-normal": |N(0,1)|; "data": k-means of f̂ on the first training batch (falls back to abs-normal) */
  init: "abs-normal" | "data";
  rng: Rng;
}

/** Razor's hyper-parameters (a model config's `razor` section, less the layer choice and learned pruning). */
export type RazorSettings = Omit<RazorOptions, "name" | "channels" | "rng">;

/** The one set of Razor defaults (method.md); models/config.ts builds its `razor` defaults from it. */
export const RAZOR_DEFAULTS: Readonly<RazorSettings> = {
  K: 4,
  window: 1,
  tau: 0.1,
  learnTau: false,
  gammaInit: 5,
  etaInit: 1,
  betaInit: 0,
  activityEps: 1e-3,
  lrScale: 10,
  init: "abs-normal",
};

export class RazorScorer implements FrameScorer {
  readonly source = "input";
  readonly embeddings: Param;
  readonly gamma: Param;
  readonly eta: Param;
  readonly beta: Param;
  readonly logTau: Param | null;
  private pendingDataInit: boolean;
  private readonly rng: Rng;
  // saved by score() for backward, per frame r (and per channel / embedding)
  private T = 0;
  private B = 0;
  private hw = 1;
  private upstream: Uint8Array | undefined;
  /** the windowed descriptors f [T·B, C], non-zero channels only */
  private f: SparseRows = EMPTY_ROWS;
  /**
   * The arrays of the per-frame rates (f itself for a one-frame window) and of the windowed f: engine memory, so the
   * kernels read them in place, reused from step to step (the last step's descriptors are done with by then)
   */
  private readonly rateArrays = sparseRowsSlots();
  private readonly windowArrays = sparseRowsSlots();
  private norm = new Float64Array(0);
  private p = new Float64Array(0);
  private alpha = new Float64Array(0);
  private s = new Float64Array(0);
  private act = new Float64Array(0);
  private d = new Float32Array(0);
  private eHat = new Float64Array(0);
  /** Ê transposed [C, K], for the per-channel sums over embeddings */
  private eHatT = new Float64Array(0);
  private eNorm = new Float64Array(0);

  constructor(readonly opts: RazorOptions) {
    const { K, channels: C, lrScale } = opts;
    if (!(Number.isInteger(K) && K >= 1)) throw new Error(`${opts.name}: K must be an integer >= 1, got ${K}`);
    if (!(Number.isInteger(opts.window) && opts.window >= 1)) {
      throw new Error(`${opts.name}: window must be an integer >= 1, got ${opts.window}`);
    }
    if (!(opts.tau > 0)) throw new Error(`${opts.name}: tau must be > 0, got ${opts.tau}`);
    this.rng = opts.rng;
    this.embeddings = newParam(`${opts.name}.embeddings`, [K, C], lrScale);
    for (let i = 0; i < K * C; i++) this.embeddings.value[i] = Math.abs(opts.rng.normal());
    this.gamma = newParam(`${opts.name}.gamma`, [1], lrScale);
    this.gamma.value[0] = opts.gammaInit;
    this.eta = newParam(`${opts.name}.eta`, [1], lrScale);
    this.eta.value[0] = opts.etaInit;
    this.beta = newParam(`${opts.name}.beta`, [1], lrScale);
    this.beta.value[0] = opts.betaInit;
    this.logTau = opts.learnTau ? newParam(`${opts.name}.log_tau`, [1], lrScale) : null;
    if (this.logTau) this.logTau.value[0] = Math.log(opts.tau);
    this.pendingDataInit = opts.init === "data";
  }

  tau(): number {
    return this.logTau ? Math.exp(this.logTau.value[0]!) : this.opts.tau;
  }

  score(x: Seq, ctx: Context): Float32Array {
    const C = this.opts.channels;
    const T = x.shape[0]!;
    const B = x.shape[1]!;
    if (x.shape[2] !== C) {
      throw new Error(`${this.opts.name}: expected ${C} input channels at axis 2, got [${x.shape.join(", ")}]`);
    }
    const frames = T * B;
    // from the shape, not data.length: inference passes spike lists with no dense data behind them
    const hw = x.shape.slice(3).reduce((a, v) => a * v, 1);
    this.T = T;
    this.B = B;
    this.hw = hw;
    this.upstream = x.mask;
    const rates = channelRates(x, frames, C, hw, this.rateArrays);
    const f = this.window(rates, T, B, C);
    if (this.pendingDataInit && ctx.training) {
      this.pendingDataInit = false;
      this.initFromData(f, frames, C);
    }
    this.f = f;
    this.prepareEmbeddings();
    const K = this.opts.K;
    const out = {
      norm: new Float64Array(frames),
      p: new Float64Array(frames * K),
      alpha: new Float64Array(frames * K),
      s: new Float64Array(frames),
      act: new Float64Array(frames),
      d: new Float32Array(frames),
    };
    const { offsets: fOffsets, idx: fIdx, val: fVal } = f;
    const [gamma, eta, beta] = [this.gamma.value[0]!, this.eta.value[0]!, this.beta.value[0]!];
    const scalars = { tau: this.tau(), gamma, eta, beta, eps: this.opts.activityEps };
    engine().razorScores({ rows: frames, channels: C, K, ...scalars, fOffsets, fIdx, fVal, eHat: this.eHat }, out);
    this.norm = out.norm;
    this.p = out.p;
    this.alpha = out.alpha;
    this.s = out.s;
    this.act = out.act;
    this.d = out.d;
    return out.d;
  }

  /**
   * The descriptor's non-zero channels make the embedding gradient sparse; the source gradient is dense (every
   * channel gets the normalisation and activity terms), so it is computed only when asked for, row by row, and
   * with a one-frame window added straight into gSource.
   */
  backward(gd: Float32Array, gSource: Float32Array | null): void {
    const { K, channels: C, activityEps: eps, window: w } = this.opts;
    const frames = this.T * this.B;
    const tau = this.tau();
    const gamma = this.gamma.value[0]!;
    const eta = this.eta.value[0]!;
    const { offsets, idx, val } = this.f;
    const gEHat = new Float64Array(K * C);
    // each frame's coefficients of the source gradient (RazorSourceGrad), when the source needs one
    const src =
      gSource === null
        ? null
        : {
            active: new Uint8Array(frames),
            gp: new Float64Array(frames * K),
            dot: new Float64Array(frames),
            gAct: new Float64Array(frames),
          };
    const eHatT = this.eHatT;
    // frames whose embedding term and dot the engine computes (razorScoreGrad): scored, with a non-zero descriptor
    const on = new Uint8Array(frames);
    const gpAll = src?.gp ?? new Float64Array(frames * K);
    let gGamma = 0;
    let gEta = 0;
    let gBeta = 0;
    let gTau = 0;
    for (let r = 0; r < frames; r++) {
      const d = this.d[r]!;
      const gz = gd[r]! * d * (1 - d);
      if (gz === 0) continue;
      const s = this.s[r]!;
      const act = this.act[r]!;
      gGamma += gz * s;
      gEta += gz * Math.log(eps + act);
      gBeta += gz;
      const gs = gz * gamma;
      const gAct = (gz * eta) / (eps + act);
      if (this.norm[r]! > 0) {
        on[r] = 1;
        for (let k = 0; k < K; k++) {
          const a = this.alpha[r * K + k]!;
          const pk = this.p[r * K + k]!;
          gpAll[r * K + k] = gs * a * (1 + (pk - s) / tau);
          gTau += (-gs * pk * a * (pk - s)) / (tau * tau);
        }
      }
      if (src === null) continue;
      // a one-frame window adds nothing of a frame dropped upstream; longer windows mask in windowBackward
      src.active[r] = w === 1 && this.upstream && this.upstream[r] === 0 ? 0 : 1;
      src.gAct[r] = gAct / C;
    }
    // dL/df[c] = (gf̂[c] - f̂[c] ⟨f̂, gf̂⟩) / ‖f‖ + gAct / C with gf̂ = Σ_k gp_k Ê_k; ⟨f̂, gf̂⟩ (src.dot) from the non-zero
    // channels, and the embedding term gÊ, both over the listed channels of the frames that are on
    const scored = { rows: frames, channels: C, K, on, gp: gpAll, norm: this.norm, fOffsets: offsets, fIdx: idx };
    engine().razorScoreGrad({ ...scored, fVal: val, eHatT }, gEHat, src?.dot ?? null);
    if (src !== null) {
      const p = { rows: frames, channels: C, K, hw: this.hw, ...src, norm: this.norm };
      const grad = { ...p, fOffsets: offsets, fIdx: idx, fVal: val, eHatT };
      if (w === 1) engine().razorSourceGrad(grad, gSource!);
      else {
        // dL/df of every frame (float64), then through the window's sum
        const gf = new Float64Array(frames * C);
        for (let r = 0; r < frames; r++)
          if (src.active[r] === 1) razorRowGrad(grad, r, gf.subarray(r * C, (r + 1) * C));
        this.windowBackward(gf, gSource!);
      }
    }
    this.gamma.grad[0] = this.gamma.grad[0]! + gGamma;
    this.eta.grad[0] = this.eta.grad[0]! + gEta;
    this.beta.grad[0] = this.beta.grad[0]! + gBeta;
    if (this.logTau) this.logTau.grad[0] = this.logTau.grad[0]! + gTau * tau;
    this.embeddingBackward(gEHat);
  }

  parameters(): Param[] {
    const ps = [this.embeddings, this.gamma, this.eta, this.beta];
    if (this.logTau) ps.push(this.logTau);
    return ps;
  }

  buffers(): Buffer[] {
    return [];
  }

  dispose(): void {
    freeParams(this.parameters());
    for (const slots of [this.rateArrays, this.windowArrays]) for (const s of Object.values(slots)) s.free();
    this.f = EMPTY_ROWS;
  }

  /** Causal moving average over the last w frames of each sample (rows of f are in ascending channel order). */
  private window(g: SparseRows, T: number, B: number, C: number): SparseRows {
    const w = this.opts.window;
    if (w === 1) return g;
    const out = new SparseRowsBuilder(T * B, g.offsets[T * B]! * w, this.windowArrays);
    const acc = new Float64Array(C);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < w && t - j >= 0; j++) {
          const src = (t - j) * B + b;
          for (let k = g.offsets[src]!; k < g.offsets[src + 1]!; k++) acc[g.idx[k]!] = acc[g.idx[k]!]! + g.val[k]! / w;
        }
        for (let c = 0; c < C; c++) {
          if (acc[c] !== 0) out.push(c, acc[c]!);
          acc[c] = 0;
        }
        out.endRow();
      }
    }
    return out.done();
  }

  private prepareEmbeddings(): void {
    const { K, channels: C } = this.opts;
    const E = this.embeddings.value;
    this.eHat = new Float64Array(K * C);
    this.eNorm = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let sq = 0;
      for (let c = 0; c < C; c++) sq += E[k * C + c]! * E[k * C + c]!;
      const n = Math.sqrt(sq);
      this.eNorm[k] = n;
      if (n > 0) for (let c = 0; c < C; c++) this.eHat[k * C + c] = E[k * C + c]! / n;
    }
    this.eHatT = new Float64Array(K * C);
    for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) this.eHatT[c * K + k] = this.eHat[k * C + c]!;
  }

  /** dL/dE_k = (gÊ_k - Ê_k ⟨Ê_k, gÊ_k⟩) / ‖E_k‖ (zero for an all-zero embedding). */
  private embeddingBackward(gEHat: Float64Array): void {
    const { K, channels: C } = this.opts;
    const gE = this.embeddings.grad;
    for (let k = 0; k < K; k++) {
      const n = this.eNorm[k]!;
      if (n === 0) continue;
      let dot = 0;
      for (let c = 0; c < C; c++) dot += this.eHat[k * C + c]! * gEHat[k * C + c]!;
      for (let c = 0; c < C; c++) {
        gE[k * C + c] = gE[k * C + c]! + (gEHat[k * C + c]! - this.eHat[k * C + c]! * dot) / n;
      }
    }
  }

  /** Through the window and GAP into the input: gx[τ,b,c,·] += M[τ,b] / (w·HW) · Σ_{t=τ..τ+w-1} gf[t,b,c]. */
  private windowBackward(gf: Float64Array, gx: Float32Array): void {
    const { channels: C, window: w } = this.opts;
    const { T, B, hw } = this;
    const mask = this.upstream;
    const acc = new Float64Array(C);
    for (let tau = 0; tau < T; tau++) {
      for (let b = 0; b < B; b++) {
        const r = tau * B + b;
        if (mask && mask[r] === 0) continue;
        acc.fill(0);
        for (let j = 0; j < w && tau + j < T; j++) {
          const src = ((tau + j) * B + b) * C;
          for (let c = 0; c < C; c++) acc[c] = acc[c]! + gf[src + c]!;
        }
        for (let c = 0; c < C; c++) {
          const g = acc[c]! / (w * hw);
          if (g === 0) continue;
          const base = (r * C + c) * hw;
          for (let i = base; i < base + hw; i++) gx[i] = gx[i]! + g;
        }
      }
    }
  }

  /** Spherical k-means (5 rounds) of the non-empty f̂ of one batch; keeps |N(0,1)| when too few frames. */
  private initFromData(f: SparseRows, frames: number, C: number): void {
    const K = this.opts.K;
    const rows: Float64Array[] = [];
    for (let r = 0; r < frames; r++) {
      let sq = 0;
      for (let j = f.offsets[r]!; j < f.offsets[r + 1]!; j++) sq += f.val[j]! * f.val[j]!;
      if (!(sq > 0)) continue;
      const v = new Float64Array(C);
      for (let j = f.offsets[r]!; j < f.offsets[r + 1]!; j++) v[f.idx[j]!] = f.val[j]! / Math.sqrt(sq);
      rows.push(v);
    }
    if (rows.length < K) return;
    const centers = Array.from({ length: K }, () => Float64Array.from(rows[this.rng.int(rows.length)]!));
    for (let round = 0; round < 5; round++) {
      const sums = Array.from({ length: K }, () => new Float64Array(C));
      for (const v of rows) {
        let best = 0;
        let bestDot = -Infinity;
        for (let k = 0; k < K; k++) {
          let dot = 0;
          for (let c = 0; c < C; c++) dot += v[c]! * centers[k]![c]!;
          if (dot > bestDot) {
            bestDot = dot;
            best = k;
          }
        }
        for (let c = 0; c < C; c++) sums[best]![c] = sums[best]![c]! + v[c]!;
      }
      for (let k = 0; k < K; k++) {
        let sq = 0;
        for (let c = 0; c < C; c++) sq += sums[k]![c]! * sums[k]![c]!;
        if (sq > 0) for (let c = 0; c < C; c++) centers[k]![c] = sums[k]![c]! / Math.sqrt(sq);
      }
    }
    for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) this.embeddings.value[k * C + c] = centers[k]![c]!;
  }
}

/** First position in a[lo, hi) (ascending) whose value is >= v; hi if none. */
function lowerBound(a: Int32Array, lo: number, hi: number, v: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows of non-negative values kept sparse: row r's channels idx[offsets[r] .. offsets[r+1]) ascend, values val. */
interface SparseRows {
  offsets: Int32Array;
  idx: Int32Array;
  val: Float64Array;
}

const EMPTY_ROWS: SparseRows = { offsets: new Int32Array(1), idx: new Int32Array(0), val: new Float64Array(0) };

/** Engine arrays that sparse rows are built into, step after step. */
interface SparseRowsSlots {
  offsets: Slot<"i32">;
  idx: Slot<"i32">;
  val: Slot<"f64">;
}

function sparseRowsSlots(): SparseRowsSlots {
  return { offsets: i32Slot(), idx: i32Slot(), val: f64Slot() };
}

/** Appends rows of (channel, value) entries into its slots' arrays (written over), growing them as needed. */
class SparseRowsBuilder {
  private readonly offsets: Int32Array;
  private idx: Int32Array;
  private val: Float64Array;
  private n = 0;
  private row = 0;

  constructor(
    rows: number,
    expected: number,
    private readonly slots: SparseRowsSlots,
  ) {
    const cap = Math.max(16, expected);
    this.offsets = slots.offsets.get(rows + 1);
    this.offsets[0] = 0;
    this.idx = slots.idx.atLeast(cap);
    this.val = slots.val.atLeast(cap);
  }

  push(c: number, v: number): void {
    this.reserve(1);
    this.idx[this.n] = c;
    this.val[this.n++] = v;
  }

  /**
   * Appends the ascending channels idx[lo, hi) with a count of 1 each, a channel listed several times (event counts)
   * once with its count.
   */
  addCounts(idx: Int32Array, lo: number, hi: number): void {
    this.reserve(hi - lo);
    const [out, val] = [this.idx, this.val];
    const first = this.n;
    let n = first;
    for (let k = lo; k < hi; k++) {
      const c = idx[k]!;
      if (n > first && out[n - 1] === c) val[n - 1] = val[n - 1]! + 1;
      else {
        out[n] = c;
        val[n++] = 0 + 1;
      }
    }
    this.n = n;
  }

  /** Room for `more` entries. */
  private reserve(more: number): void {
    if (this.n + more <= Math.min(this.idx.length, this.val.length)) return;
    const cap = Math.max(this.n * 2, this.n + more);
    this.idx = this.slots.idx.grow(cap, this.n);
    this.val = this.slots.val.grow(cap, this.n);
  }

  endRow(): void {
    this.offsets[++this.row] = this.n;
  }

  done(): SparseRows {
    return { offsets: this.offsets, idx: this.idx.subarray(0, this.n), val: this.val.subarray(0, this.n) };
  }
}

/** GAP per channel of each kept frame: firing rates g [T·B, C], non-zero channels only (dropped frames: none). */
function channelRates(x: Seq, frames: number, C: number, hw: number, slots: SparseRowsSlots): SparseRows {
  const mask = x.mask;
  const list = x.spikes;
  const out = new SparseRowsBuilder(frames, list ? Math.min(list.offsets[frames]!, frames * C) : frames * 4, slots);
  for (let r = 0; r < frames; r++) {
    if (mask && mask[r] === 0) {
      out.endRow();
      continue;
    }
    if (list && hw > 1) {
      // a row's positions ascend, channel-major: each channel's count is the distance between two boundaries
      let lo = list.offsets[r]!;
      const end = list.offsets[r + 1]!;
      while (lo < end) {
        const c = Math.floor(list.idx[lo]! / hw);
        const hi = lowerBound(list.idx, lo, end, (c + 1) * hw);
        out.push(c, (hi - lo) / hw);
        lo = hi;
      }
    } else if (list) {
      out.addCounts(list.idx, list.offsets[r]!, list.offsets[r + 1]!);
    } else if (hw === 1) {
      const base = r * C;
      for (let c = 0; c < C; c++) {
        const sum = 0 + x.data[base + c]!;
        if (sum !== 0) out.push(c, sum);
      }
    } else {
      for (let c = 0; c < C; c++) {
        let sum = 0;
        const base = (r * C + c) * hw;
        for (let i = base; i < base + hw; i++) sum += x.data[i]!;
        if (sum !== 0) out.push(c, sum / hw);
      }
    }
    out.endRow();
  }
  return out.done();
}

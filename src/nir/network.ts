/**
 * Runs a NIR graph in discrete time. NIR stores continuous-time dynamics and no dt; we discretise by forward
 * Euler with a caller-given dt (the convention NIR's exporters assume):
 *   LIF:  v ← v + dt/τ·(v_leak − v + r·I);  z = v > v_threshold;  v ← z ? v_reset : v   (reset "subtract": v − v_threshold)
 *   LI:   v ← v + dt/τ·(v_leak − v + r·I)   (output v)
 *   CubaLIF/CubaLI: I_syn ← I_syn + dt/τ_syn·(−I_syn + w_in·x), then the LIF/LI update with I = I_syn
 *   IF:   v ← v + r·I;  z = v > v_threshold;  reset as LIF      I: v ← v + r·I (output v)
 * IF and I integrate per step (dt does not enter): every file we know with IF nodes comes from a discrete-time
 * framework (Sinabs, snnTorch) that writes r = 1 for "add the input each step".
 * A node's input is the sum of all its incoming edges, read from the values its sources produced in the same step
 * (nodes run in topological order; cycles are refused).
 */
import { type NirArray, NirError, type NirGraph, type NirNode, nirSize } from "./graph.js";

export type NirResetMode = "nir" | "subtract";

export interface NirRunOptions {
  /** time step in seconds for forward Euler (default 1e-4, the dt of NIR's paper/01_lif reference) */
  dt?: number;
  /** "nir": v ← v_reset after a spike (the NIR definition); "subtract": v ← v − v_threshold (Sinabs, Rockpool) */
  reset?: NirResetMode;
}

export const NIR_DEFAULT_DT = 1e-4;

interface Op {
  name: string;
  type: string;
  inShape: number[];
  outShape: number[];
  sources: number[];
  /** computes one step; `x` is the summed input */
  step(x: Float64Array, out: Float64Array): void;
  reset(): void;
}

const NEURONS = new Set(["LIF", "LI", "IF", "I", "CubaLIF", "CubaLI"]);
/** parameters each node type must have (others present in the file are refused unless listed in OPTIONAL) */
const REQUIRED: Record<string, string[]> = {
  Input: ["shape"],
  Output: ["shape"],
  Affine: ["weight", "bias"],
  Linear: ["weight"],
  Scale: ["scale"],
  Conv1d: ["weight", "stride", "padding", "dilation", "groups", "bias"],
  Conv2d: ["weight", "stride", "padding", "dilation", "groups", "bias"],
  SumPool2d: ["kernel_size", "stride", "padding"],
  AvgPool2d: ["kernel_size", "stride", "padding"],
  Flatten: ["start_dim", "end_dim"],
  LIF: ["tau", "r", "v_leak", "v_threshold"],
  LI: ["tau", "r", "v_leak"],
  IF: ["r", "v_threshold"],
  I: ["r"],
  CubaLIF: ["tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "w_in"],
  CubaLI: ["tau_mem", "tau_syn", "r", "v_leak", "w_in"],
  Threshold: ["threshold"],
  Delay: ["delay"],
};
const OPTIONAL: Record<string, string[]> = {
  Conv1d: ["input_shape"],
  Conv2d: ["input_shape"],
  Flatten: ["input_type"],
  LIF: ["v_reset"],
  IF: ["v_reset"],
  CubaLIF: ["v_reset"],
  Input: ["input_type"],
  Output: ["output_type"],
};
const SHAPE_KEYS = new Set(["input_type", "output_type"]);

/** A NIR graph ready to run step by step on batch 1. */
export class NirNetwork {
  readonly inputShape: number[];
  readonly outputShape: number[];
  private readonly ops: Op[];
  private readonly values: Float64Array[];
  private readonly inputIndex: number;
  private readonly outputIndex: number;
  readonly dt: number;

  constructor(graph: NirGraph, file: string, opts: NirRunOptions = {}) {
    const dt = opts.dt ?? NIR_DEFAULT_DT;
    if (!(dt > 0) || !Number.isFinite(dt)) throw new NirError(file, null, `dt must be a positive number, got ${dt}`);
    this.dt = dt;
    const flat = inlineSubgraphs(graph, file, "");
    const order = topoOrder(flat, file);
    const index = new Map(order.map((n, i) => [n, i]));
    const preds = new Map<string, string[]>(order.map((n) => [n, []]));
    for (const [a, b] of flat.edges) preds.get(b)!.push(a);
    const inputs = order.filter((n) => flat.nodes[n]!.type === "Input");
    const outputs = order.filter((n) => flat.nodes[n]!.type === "Output");
    if (inputs.length !== 1) throw new NirError(file, null, `expected one Input node, found ${inputs.length}`);
    if (outputs.length !== 1) throw new NirError(file, null, `expected one Output node, found ${outputs.length}`);
    this.ops = [];
    for (const name of order) {
      const node = flat.nodes[name]!;
      const sources = preds.get(name)!.map((p) => index.get(p)!);
      if (node.type !== "Input" && sources.length === 0)
        throw new NirError(file, name, "has no incoming edge (nothing feeds it)");
      let inShape: number[];
      if (node.type === "Input") inShape = intList(node, "shape", file);
      else {
        inShape = this.ops[sources[0]!]!.outShape;
        for (const s of sources) {
          const other = this.ops[s]!;
          if (nirSize(other.outShape) !== nirSize(inShape) || other.outShape.join() !== inShape.join())
            throw new NirError(
              file,
              name,
              `inputs disagree in shape: '${other.name}' gives [${other.outShape}], '${this.ops[sources[0]!]!.name}' gives [${inShape}]`,
            );
        }
      }
      this.ops.push(buildOp(name, node, inShape, sources, file, dt, opts.reset ?? "nir"));
    }
    this.values = this.ops.map((op) => new Float64Array(nirSize(op.outShape)));
    this.inputIndex = index.get(inputs[0]!)!;
    this.outputIndex = index.get(outputs[0]!)!;
    this.inputShape = this.ops[this.inputIndex]!.inShape;
    this.outputShape = this.ops[this.outputIndex]!.outShape;
  }

  /** Node names in the order they run, with their output shapes. */
  describe(): { name: string; type: string; shape: number[] }[] {
    return this.ops.map((o) => ({ name: o.name, type: o.type, shape: o.outShape }));
  }

  /** The values node `name` produced in the last step (a view), e.g. a LIF node's spikes. */
  valueOf(name: string): Float64Array {
    const i = this.ops.findIndex((o) => o.name === name);
    if (i < 0) throw new Error(`NIR graph has no node '${name}'`);
    return this.values[i]!;
  }

  reset(): void {
    for (const op of this.ops) op.reset();
    for (const v of this.values) v.fill(0);
  }

  /** One time step: input in row-major order of `inputShape`; returns the Output node's values (a view). */
  step(input: ArrayLike<number>): Float64Array {
    const n = nirSize(this.inputShape);
    if (input.length !== n) throw new Error(`NIR input has ${input.length} values, expected ${n}`);
    const sum = new Float64Array(0);
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i]!;
      let x: Float64Array;
      if (i === this.inputIndex) x = Float64Array.from(input);
      else if (op.sources.length === 1) x = this.values[op.sources[0]!]!;
      else {
        x = new Float64Array(this.values[op.sources[0]!]!.length);
        for (const s of op.sources) {
          const v = this.values[s]!;
          for (let j = 0; j < x.length; j++) x[j]! += v[j]!;
        }
      }
      op.step(x.length ? x : sum, this.values[i]!);
    }
    return this.values[this.outputIndex]!;
  }

  /** Runs T steps from rest; `inputs[t]` per step; returns the outputs per step (copies). */
  run(inputs: ArrayLike<number>[]): Float64Array[] {
    this.reset();
    return inputs.map((x) => Float64Array.from(this.step(x)));
  }
}

/** Replaces each subgraph node by its nodes (named "sub.inner"), wiring edges through its single Input/Output. */
export function inlineSubgraphs(graph: NirGraph, file: string, prefix: string): NirGraph {
  const nodes: Record<string, NirNode> = {};
  const entry = new Map<string, string>();
  const exit = new Map<string, string>();
  const edges: [string, string][] = [];
  for (const [name, node] of Object.entries(graph.nodes)) {
    if (!node.graph) {
      nodes[prefix + name] = node;
      continue;
    }
    const inner = inlineSubgraphs(node.graph, file, `${prefix}${name}.`);
    const ins = Object.keys(inner.nodes).filter((n) => inner.nodes[n]!.type === "Input");
    const outs = Object.keys(inner.nodes).filter((n) => inner.nodes[n]!.type === "Output");
    if (ins.length !== 1 || outs.length !== 1)
      throw new NirError(
        file,
        prefix + name,
        `subgraph needs one Input and one Output node (has ${ins.length}, ${outs.length})`,
      );
    // inner Input/Output become pass-through nodes
    for (const [n, v] of Object.entries(inner.nodes))
      nodes[n] = v.type === "Input" || v.type === "Output" ? { type: "Identity", params: {} } : v;
    edges.push(...inner.edges);
    entry.set(prefix + name, ins[0]!);
    exit.set(prefix + name, outs[0]!);
  }
  for (const [a0, b0] of graph.edges) {
    for (const [end, which] of [
      [a0, "source"],
      [b0, "target"],
    ] as const) {
      if (!(end in graph.nodes))
        throw new NirError(file, prefix + end, `edge ${a0} -> ${b0}: no node named '${end}' (${which})`);
    }
    const a = exit.get(prefix + a0) ?? prefix + a0;
    const b = entry.get(prefix + b0) ?? prefix + b0;
    edges.push([a, b]);
  }
  return { nodes, edges };
}

/** Kahn's order; refuses cycles (recurrent NIR graphs are not supported) naming a node on the cycle. */
export function topoOrder(g: NirGraph, file: string): string[] {
  const indeg = new Map<string, number>(Object.keys(g.nodes).map((n) => [n, 0]));
  const succ = new Map<string, string[]>(Object.keys(g.nodes).map((n) => [n, []]));
  for (const [a, b] of g.edges) {
    succ.get(a)!.push(b);
    indeg.set(b, indeg.get(b)! + 1);
  }
  const ready = [...indeg].filter(([, d]) => d === 0).map(([n]) => n);
  const order: string[] = [];
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const m of succ.get(n)!) {
      indeg.set(m, indeg.get(m)! - 1);
      if (indeg.get(m) === 0) ready.push(m);
    }
  }
  if (order.length < indeg.size) {
    const stuck = [...indeg].find(([, d]) => d > 0)![0];
    throw new NirError(file, stuck, "is on a cycle; recurrent NIR graphs are not supported");
  }
  return order;
}

function param(node: NirNode, key: string, name: string, file: string): NirArray {
  const p = node.params[key];
  if (!p) throw new NirError(file, name, `${node.type}: missing parameter '${key}'`);
  for (const v of p.data) if (!Number.isFinite(v)) throw new NirError(file, name, `${key}: contains NaN or Inf`);
  return p;
}

function intList(node: NirNode, key: string, file: string, name = ""): number[] {
  const p = param(node, key, name, file);
  const out = Array.from(p.data);
  if (out.some((v) => !Number.isInteger(v))) throw new NirError(file, name, `${key}: expected integers`);
  return out;
}

/** A per-neuron parameter: one value per element of `shape` (a scalar or size-1 array broadcasts). */
function perNeuron(
  node: NirNode,
  key: string,
  shape: number[],
  name: string,
  file: string,
  fallback?: number,
): Float64Array {
  const n = nirSize(shape);
  if (!(key in node.params) && fallback !== undefined) return new Float64Array(n).fill(fallback);
  const p = param(node, key, name, file);
  if (p.data.length === 1) return new Float64Array(n).fill(p.data[0]!);
  if (p.data.length !== n)
    throw new NirError(file, name, `${key}: ${p.data.length} values for an input of shape [${shape}] (${n} values)`);
  return p.data;
}

function pair(node: NirNode, key: string, name: string, file: string, dims: number): number[] {
  const v = intList(node, key, file, name);
  if (v.length === 1) return Array(dims).fill(v[0]);
  if (v.length !== dims) throw new NirError(file, name, `${key}: expected ${dims} integers, got ${v.length}`);
  return v;
}

function checkParams(node: NirNode, name: string, file: string): void {
  const required = REQUIRED[node.type];
  if (!required)
    throw new NirError(
      file,
      name,
      `unsupported node type '${node.type}' (supported: ${Object.keys(REQUIRED).join(", ")}, NIRGraph)`,
    );
  const allowed = new Set([...required, ...(OPTIONAL[node.type] ?? [])]);
  for (const key of Object.keys(node.params))
    if (!allowed.has(key) && !SHAPE_KEYS.has(key))
      throw new NirError(file, name, `${node.type}: unknown parameter '${key}' (cannot map it)`);
  for (const key of required) param(node, key, name, file);
}

function buildOp(
  name: string,
  node: NirNode,
  inShape: number[],
  sources: number[],
  file: string,
  dt: number,
  resetMode: NirResetMode,
): Op {
  const base = { name, type: node.type, inShape, sources, reset() {} };
  if (node.type === "Identity") return { ...base, outShape: inShape, step: (x, o) => o.set(x) };
  checkParams(node, name, file);
  const nIn = nirSize(inShape);
  const fail = (detail: string): never => {
    throw new NirError(file, name, detail);
  };
  switch (node.type) {
    case "Input":
    case "Output": {
      if (node.type === "Output") {
        const want = intList(node, "shape", file, name);
        if (nirSize(want) !== nIn) fail(`Output shape [${want}] does not match its input [${inShape}]`);
      }
      return { ...base, outShape: inShape, step: (x, o) => o.set(x) };
    }
    case "Affine":
    case "Linear": {
      const w = param(node, "weight", name, file);
      if (w.shape.length !== 2) fail(`weight: expected 2 dimensions [out, in], got [${w.shape}]`);
      const [out, inn] = w.shape as [number, number];
      if (inn !== nIn) fail(`weight expects ${inn} inputs, but its input has shape [${inShape}] (${nIn} values)`);
      const bias = node.type === "Affine" ? perNeuron(node, "bias", [out], name, file) : new Float64Array(out);
      return {
        ...base,
        outShape: [out],
        step(x, o) {
          for (let i = 0; i < out; i++) {
            let s = bias[i]!;
            for (let j = 0; j < inn; j++) s += w.data[i * inn + j]! * x[j]!;
            o[i] = s;
          }
        },
      };
    }
    case "Scale": {
      const s = perNeuron(node, "scale", inShape, name, file);
      return {
        ...base,
        outShape: inShape,
        step: (x, o) => {
          for (let i = 0; i < x.length; i++) o[i] = x[i]! * s[i]!;
        },
      };
    }
    case "Threshold": {
      const t = perNeuron(node, "threshold", inShape, name, file);
      return {
        ...base,
        outShape: inShape,
        step: (x, o) => {
          for (let i = 0; i < x.length; i++) o[i] = x[i]! > t[i]! ? 1 : 0;
        },
      };
    }
    case "Flatten": {
      const rank = inShape.length;
      const norm = (d: number) => (d < 0 ? d + rank : d);
      const s = norm(intList(node, "start_dim", file, name)[0]!);
      const e = norm(intList(node, "end_dim", file, name)[0]!);
      if (s < 0 || e >= rank || s > e) fail(`start_dim/end_dim out of range for input [${inShape}]`);
      const outShape = [...inShape.slice(0, s), nirSize(inShape.slice(s, e + 1)), ...inShape.slice(e + 1)];
      return { ...base, outShape, step: (x, o) => o.set(x) };
    }
    case "Conv1d":
    case "Conv2d":
      return convOp(base, node, inShape, name, file, node.type === "Conv1d" ? 1 : 2);
    case "SumPool2d":
    case "AvgPool2d":
      return poolOp(base, node, inShape, name, file);
    case "Delay":
      return fail("Delay is not supported (razor-snn has no per-synapse delay line); remove or fold it before import");
    default:
      return neuronOp(base, node, inShape, name, file, dt, resetMode);
  }
}

type OpBase = Pick<Op, "name" | "type" | "inShape" | "sources" | "reset">;

function convOp(base: OpBase, node: NirNode, inShape: number[], name: string, file: string, dims: 1 | 2): Op {
  const fail = (d: string): never => {
    throw new NirError(file, name, d);
  };
  const w = param(node, "weight", name, file);
  if (w.shape.length !== dims + 2) fail(`weight: expected ${dims + 2} dimensions, got [${w.shape}]`);
  const groups = intList(node, "groups", file, name)[0]!;
  const [O, Cg] = w.shape as [number, number];
  const kh = dims === 2 ? w.shape[2]! : 1;
  const kw = w.shape[dims + 1]!;
  const stride = pair(node, "stride", name, file, dims);
  const pad = pair(node, "padding", name, file, dims);
  const dil = pair(node, "dilation", name, file, dims);
  if (inShape.length !== dims + 1) fail(`expects input [C, ${dims === 2 ? "H, W" : "L"}], got [${inShape}]`);
  const C = inShape[0]!;
  const H = dims === 2 ? inShape[1]! : 1;
  const W = inShape[dims]!;
  if (groups < 1 || C % groups !== 0 || O % groups !== 0 || Cg * groups !== C)
    fail(`groups ${groups} and weight [${w.shape}] do not fit ${C} input channels`);
  const [sh, sw] = dims === 2 ? stride : [1, stride[0]!];
  const [ph, pw] = dims === 2 ? pad : [0, pad[0]!];
  const [dh, dw] = dims === 2 ? dil : [1, dil[0]!];
  const OH = Math.floor((H + 2 * ph! - dh! * (kh - 1) - 1) / sh!) + 1;
  const OW = Math.floor((W + 2 * pw! - dw! * (kw - 1) - 1) / sw!) + 1;
  if (OH < 1 || OW < 1) fail(`kernel does not fit input [${inShape}]`);
  const bias = perNeuron(node, "bias", [O], name, file);
  const Og = O / groups;
  return {
    ...base,
    outShape: dims === 2 ? [O, OH, OW] : [O, OW],
    // scatter from the non-zero inputs: spike inputs are sparse, so this skips most of the work
    step(x, out) {
      for (let o = 0; o < O; o++) out.fill(bias[o]!, o * OH * OW, (o + 1) * OH * OW);
      for (let ci = 0; ci < C; ci++) {
        const g = Math.floor(ci / Cg);
        const c = ci - g * Cg;
        for (let iy = 0; iy < H; iy++)
          for (let ix = 0; ix < W; ix++) {
            const v = x[(ci * H + iy) * W + ix]!;
            if (v === 0) continue;
            for (let ky = 0; ky < kh; ky++) {
              const ny = iy + ph! - ky * dh!;
              if (ny < 0 || ny % sh! !== 0 || ny / sh! >= OH) continue;
              const oy = ny / sh!;
              for (let kx = 0; kx < kw; kx++) {
                const nx = ix + pw! - kx * dw!;
                if (nx < 0 || nx % sw! !== 0 || nx / sw! >= OW) continue;
                const ox = nx / sw!;
                for (let o = g * Og; o < (g + 1) * Og; o++)
                  out[(o * OH + oy) * OW + ox]! += w.data[((o * Cg + c) * kh + ky) * kw + kx]! * v;
              }
            }
          }
      }
    },
  };
}

function poolOp(base: OpBase, node: NirNode, inShape: number[], name: string, file: string): Op {
  const [kh, kw] = pair(node, "kernel_size", name, file, 2) as [number, number];
  const [sh, sw] = pair(node, "stride", name, file, 2) as [number, number];
  const [ph, pw] = pair(node, "padding", name, file, 2) as [number, number];
  if (inShape.length !== 3) throw new NirError(file, name, `expects input [C, H, W], got [${inShape}]`);
  const [C, H, W] = inShape as [number, number, number];
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  if (OH < 1 || OW < 1) throw new NirError(file, name, `kernel does not fit input [${inShape}]`);
  const scale = node.type === "AvgPool2d" ? 1 / (kh * kw) : 1;
  return {
    ...base,
    outShape: [C, OH, OW],
    step(x, out) {
      for (let c = 0; c < C; c++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            let s = 0;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - ph + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pw + kx;
                if (ix >= 0 && ix < W) s += x[(c * H + iy) * W + ix]!;
              }
            }
            out[(c * OH + oy) * OW + ox] = s * scale;
          }
    },
  };
}

function neuronOp(
  base: OpBase,
  node: NirNode,
  shape: number[],
  name: string,
  file: string,
  dt: number,
  resetMode: NirResetMode,
): Op {
  const t = node.type;
  if (!NEURONS.has(t)) throw new NirError(file, name, `unsupported node type '${t}'`);
  const n = nirSize(shape);
  const p = (k: string, fallback?: number) => perNeuron(node, k, shape, name, file, fallback);
  const cuba = t === "CubaLIF" || t === "CubaLI";
  const leaky = t !== "IF" && t !== "I";
  const spiking = t === "LIF" || t === "IF" || t === "CubaLIF";
  const tau = leaky ? p(cuba ? "tau_mem" : "tau") : null;
  if (tau?.some((v) => v <= 0)) throw new NirError(file, name, `${cuba ? "tau_mem" : "tau"}: must be > 0`);
  const r = p("r");
  const vLeak = leaky ? p("v_leak") : new Float64Array(n);
  const vTh = spiking ? p("v_threshold") : null;
  const vReset = spiking ? p("v_reset", 0) : null;
  const tauSyn = cuba ? p("tau_syn") : null;
  const wIn = cuba ? p("w_in") : null;
  const subtract = resetMode === "subtract";
  const v = new Float64Array(n);
  const isyn = new Float64Array(n);
  return {
    ...base,
    outShape: shape,
    reset() {
      v.fill(0);
      isyn.fill(0);
    },
    step(x, out) {
      for (let i = 0; i < n; i++) {
        let cur = x[i]!;
        if (tauSyn) {
          isyn[i] = isyn[i]! + (dt / tauSyn[i]!) * (-isyn[i]! + wIn![i]! * cur);
          cur = isyn[i]!;
        }
        const vi = tau ? v[i]! + (dt / tau[i]!) * (vLeak[i]! - v[i]! + r[i]! * cur) : v[i]! + r[i]! * cur;
        if (vTh) {
          const z = vi > vTh[i]!;
          v[i] = z ? (subtract ? vi - vTh[i]! : vReset![i]!) : vi;
          out[i] = z ? 1 : 0;
        } else {
          v[i] = vi;
          out[i] = vi;
        }
      }
    },
  };
}

/**
 * NIR graph → razor-snn graph model (GraphSpec + tensors, src/models/graph-spec.ts), run on the engine's kernels in
 * float32. The graph is first validated by NirNetwork (parameters, shapes, cycles, NaN), then mapped node by node;
 * anything razor-snn's kernels would compute differently is refused in one line naming the node and the field:
 *
 *   Affine, Linear       linear (weight [out, in], bias)
 *   Conv2d               conv: square kernel, equal strides and paddings, dilation 1, groups 1
 *   SumPool2d, AvgPool2d pool: square window, equal strides, no padding
 *   Flatten              flatten (to one dimension)
 *   Scale                scale (one value for every element)
 *   LIF, IF              [scale] lif: forward Euler at dt as NirNetwork, with every parameter equal over the neurons,
 *                        v_leak 0, dt <= τ; α = 1 − dt/τ (IF: 1), input factor dt/τ·r (IF: r; a scale op when it
 *                        is not 1 in float32), Vth = the smallest float32 above v_threshold (NIR's v > v_threshold
 *                        is then exactly U >= Vth), reset hard (v_reset 0) or soft (v_reset = Vth)
 *   Input, Output        the frame shape and the class count; subgraphs are inlined
 *   everything else      refused (LI, I, CubaLIF, CubaLI, Threshold, Conv1d, Delay; --reset subtract)
 * The graph must be a chain, each layer one conv/linear closed by a LIF/IF, the last one feeding Output.
 */
import type { GraphOp, GraphSpec } from "../models/graph-spec.js";
import { GRAPH_KIND, resolveGraphSpec } from "../models/graph-spec.js";
import type { Tensor } from "../checkpoint/safetensors.js";
import { type NirArray, NirError, type NirFile, type NirNode, nirSize } from "./graph.js";
import { inlineSubgraphs, NIR_DEFAULT_DT, NirNetwork, type NirResetMode, topoOrder } from "./network.js";
import { float32Above } from "./threshold.js";

export interface NirImportOptions {
  dt?: number;
  reset?: NirResetMode;
}

export interface NirImport {
  spec: GraphSpec;
  tensors: Map<string, Tensor>;
  dt: number;
}

const SPIKING = new Set(["LIF", "IF"]);

export function importNir(nir: NirFile, file: string, opts: NirImportOptions = {}): NirImport {
  const dt = opts.dt ?? NIR_DEFAULT_DT;
  const net = new NirNetwork(nir.graph, file, { dt, reset: opts.reset ?? "nir" });
  const shapes = new Map(net.describe().map((d) => [d.name, d.shape]));
  const flat = inlineSubgraphs(nir.graph, file, "");
  const order = topoOrder(flat, file);
  const fail = (node: string | null, detail: string): never => {
    throw new NirError(file, node, detail);
  };
  if (opts.reset === "subtract") {
    const first = order.find((n) => SPIKING.has(flat.nodes[n]!.type)) ?? null;
    fail(
      first,
      "--reset subtract: razor-snn's LIF resets to 0 (hard) or to Vth (soft), never v − v_threshold; use --reset nir",
    );
  }
  const next = new Map<string, string[]>(order.map((n) => [n, []]));
  const inDeg = new Map<string, number>(order.map((n) => [n, 0]));
  for (const [a, b] of flat.edges) {
    next.get(a)!.push(b);
    inDeg.set(b, inDeg.get(b)! + 1);
  }
  const input = order.find((n) => flat.nodes[n]!.type === "Input")!;
  const ops: GraphOp[] = [];
  const tensors = new Map<string, Tensor>();
  let synapses = 0;
  let classes = 0;
  let prevShape = net.inputShape;
  for (let name: string | undefined = input; name !== undefined; ) {
    const node = flat.nodes[name]!;
    const succ: string[] = next.get(name)!;
    if (inDeg.get(name)! > 1) fail(name, `has ${inDeg.get(name)} inputs; razor-snn runs chains of layers (no merges)`);
    if (succ.length > 1) fail(name, `feeds ${succ.length} nodes; razor-snn runs chains of layers (no branches)`);
    const shape = shapes.get(name)!;
    const before = ops.length;
    if (node.type === "Output") classes = nirSize(shape);
    else mapNode(name, node, prevShape, shape, dt, ops, tensors, fail);
    for (const op of ops.slice(before)) {
      if (op.type === "conv" || op.type === "linear") {
        if (synapses > 0)
          fail(name, "a second weight layer before a spiking neuron (razor-snn layers are conv/linear → LIF)");
        synapses++;
      }
      if (op.type === "lif") {
        if (synapses === 0) fail(name, "a spiking neuron without a conv/linear before it in its layer");
        synapses = 0;
      }
    }
    prevShape = shape;
    name = succ[0];
  }
  if (ops.at(-1)?.type !== "lif")
    fail(null, "the Output must come from a LIF or IF node (razor-snn classifies by output spike counts)");
  const inputShape = net.inputShape;
  if (inputShape.length !== 1 && inputShape.length !== 3)
    fail(input, `shape: [${inputShape}]; razor-snn takes [C, H, W] or [F] frames`);
  const spec = resolveGraphSpec(
    { kind: GRAPH_KIND, name: file.split(/[\\/]/).pop() ?? file, input: inputShape, classes, ops },
    file,
  );
  return { spec, tensors, dt };
}

function mapNode(
  name: string,
  node: NirNode,
  inShape: number[],
  outShape: number[],
  dt: number,
  ops: GraphOp[],
  tensors: Map<string, Tensor>,
  fail: (node: string, detail: string) => never,
): void {
  const p = (k: string): NirArray => node.params[k]!;
  const tensor = (key: string, a: NirArray, shape = a.shape): void => {
    tensors.set(`${name}.${key}`, { dtype: "F32", shape, data: Float32Array.from(a.data) });
  };
  const one = (k: string): number => {
    const a = p(k);
    const v = a.data[0]!;
    if (a.data.some((x) => x !== v))
      fail(name, `${k}: differs between neurons; razor-snn's LIF takes one value per layer`);
    return v;
  };
  const square = (k: string, what: string): number => {
    const v = Array.from(p(k).data);
    if (v.some((x) => x !== v[0])) fail(name, `${k}: [${v}]; razor-snn's ${what} takes one value for both axes`);
    return v[0]!;
  };
  switch (node.type) {
    case "Input":
    case "Identity":
      return;
    case "Affine":
    case "Linear": {
      const w = p("weight");
      tensor("weight", w);
      if (node.type === "Affine") tensor("bias", p("bias"), [w.shape[0]!]);
      ops.push({ type: "linear", name, out: w.shape[0]!, bias: node.type === "Affine" });
      return;
    }
    case "Conv2d": {
      const w = p("weight");
      if (w.shape[2] !== w.shape[3])
        fail(name, `weight: kernel ${w.shape[2]}×${w.shape[3]}; razor-snn's conv kernel is square`);
      if (p("dilation").data.some((d) => d !== 1)) fail(name, "dilation: razor-snn's conv has no dilation (must be 1)");
      if (p("groups").data[0] !== 1) fail(name, "groups: razor-snn's conv has no groups (must be 1)");
      const stride = square("stride", "conv");
      const padding = square("padding", "conv");
      tensor("weight", w);
      tensor("bias", p("bias"), [w.shape[0]!]);
      ops.push({ type: "conv", name, out: w.shape[0]!, kernel: w.shape[2]!, stride, padding, bias: true });
      return;
    }
    case "SumPool2d":
    case "AvgPool2d": {
      const kernel = square("kernel_size", "pooling");
      const stride = square("stride", "pooling");
      if (p("padding").data.some((v) => v !== 0)) fail(name, "padding: razor-snn's pooling has no padding (must be 0)");
      ops.push({ type: "pool", name, mode: node.type === "SumPool2d" ? "sum" : "avg", kernel, stride });
      return;
    }
    case "Flatten":
      if (outShape.length !== 1 && outShape.join() !== inShape.join())
        fail(name, `start_dim/end_dim: flattens to [${outShape}]; razor-snn flattens whole frames only`);
      if (inShape.length !== 1) ops.push({ type: "flatten", name });
      return;
    case "Scale":
      ops.push({ type: "scale", name, factor: one("scale") });
      return;
    case "LIF":
    case "IF":
      neuron(name, node, dt, ops, one, fail);
      return;
    default:
      fail(
        name,
        `${node.type}: no razor-snn kernel computes it (supported: Affine, Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, Scale, LIF, IF)`,
      );
  }
}

function neuron(
  name: string,
  node: NirNode,
  dt: number,
  ops: GraphOp[],
  one: (k: string) => number,
  fail: (node: string, detail: string) => never,
): void {
  const lif = node.type === "LIF";
  let alpha = 1;
  let factor = one("r");
  if (lif) {
    const tau = one("tau");
    if (one("v_leak") !== 0) fail(name, "v_leak: razor-snn's LIF leaks towards 0 (v_leak must be 0)");
    if (dt > tau)
      fail(name, `tau: ${tau} s is shorter than dt ${dt} s (forward Euler would overshoot; pass a smaller --dt)`);
    alpha = 1 - dt / tau;
    factor *= dt / tau;
  }
  const vth = float32Above(one("v_threshold"));
  const vReset = "v_reset" in node.params ? one("v_reset") : 0;
  const reset = vReset === 0 ? "hard" : Math.fround(vReset) === vth ? "soft" : null;
  if (reset === null)
    fail(
      name,
      `v_reset: ${vReset}; razor-snn's LIF resets to 0 (hard) or to its threshold ${vth} (soft, the float32 above v_threshold)`,
    );
  if (Math.fround(factor) !== 1) ops.push({ type: "scale", name: `${name}.input_scale`, factor });
  ops.push({ type: "lif", name, alpha, vth, reset: reset! });
}

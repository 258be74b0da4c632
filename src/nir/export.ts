/**
 * razor-snn model → NIR graph. Each spiking layer becomes [Conv2d | Affine] (batch norm folded in) → AvgPool2d (when
 * the layer pools) → LIF, with a Flatten before the first fully-connected layer after a conv layer.
 * razor-snn's LIF, U[t] = H[t−1] + I[t], S = U >= Vth, H = α·U·(1−S) (hard) or α·(Vth·S + U·(1−S)) (soft), is
 * NIR's LIF under forward Euler at step dt with τ = dt/(1−α), r = 1/(1−α), v_leak = 0, v_threshold = the largest
 * float32 below Vth (so NIR's v > v_threshold is U >= Vth for float32 membranes) and v_reset = 0 (hard) or Vth
 * (soft): v ← v + (1−α)(−v + I/(1−α)) = α·v + I, and a spike sets v to v_reset.
 * TA and Razor scorers have no NIR node: the backbone is exported unpruned and unscaled, the scorers' tensors and
 * the model config go to the graph's metadata.
 */
import type { SnnModel } from "../models/model.js";
import { type NirArray, type NirFile, type NirGraph, type NirNode, nirArray } from "./graph.js";
import { float32Below } from "./threshold.js";

export interface NirExportResult {
  file: NirFile;
  warnings: string[];
}

/** NIR format version this writer follows (node fields as in NIR 1.0). */
export const NIR_WRITE_VERSION = "1.0.0";

export function exportNir(model: SnnModel, dt: number): NirExportResult {
  if (!(dt > 0) || !Number.isFinite(dt)) throw new Error(`nir export: dt must be a positive number, got ${dt}`);
  const cfg = model.config;
  const warnings: string[] = [];
  const nodes: Record<string, NirNode> = {};
  const edges: [string, string][] = [];
  const metadata: Record<string, string> = { "razor_snn.config": JSON.stringify(cfg), "razor_snn.dt": String(dt) };
  const ints = (v: number[]) => nirArray(v, [v.length], "int64");
  nodes.input = { type: "Input", params: { shape: ints(cfg.input) } };
  let prev = "input";
  let shape = cfg.input.slice();
  const link = (name: string, node: NirNode) => {
    nodes[name] = node;
    edges.push([prev, name]);
    prev = name;
  };
  model.layers.forEach((layer, i) => {
    const { synapse, bn, poolOp, lif, scorer } = layer;
    const w = Float64Array.from(synapse.weight.value);
    const out = layer.opts.out;
    const bias = synapse.bias ? Float64Array.from(synapse.bias.value) : new Float64Array(out);
    if (bn) {
      // eval-mode batch norm: y = γ (x − μ)/sqrt(σ² + ε) + β, folded per output channel
      const per = w.length / out;
      for (let o = 0; o < out; o++) {
        const s = bn.weight.value[o]! / Math.sqrt(bn.runningVar.value[o]! + bn.eps);
        for (let k = 0; k < per; k++) w[o * per + k]! *= s;
        bias[o] = (bias[o]! - bn.runningMean.value[o]!) * s + bn.bias.value[o]!;
      }
    }
    if (layer.opts.kind === "conv") {
      const k = layer.opts.kernel ?? 3;
      const conv = synapse as { stride: number; padding: number };
      link(`layers.${i}.conv`, {
        type: "Conv2d",
        params: {
          weight: nirArray(w, [out, shape[0]!, k, k]),
          bias: nirArray(bias, [out]),
          stride: ints([conv.stride, conv.stride]),
          padding: ints([conv.padding, conv.padding]),
          dilation: ints([1, 1]),
          groups: nirArray([1], [], "int64"),
          input_shape: ints(shape.slice(1)),
        },
      });
    } else {
      if (shape.length > 1) {
        link(`layers.${i}.flatten`, {
          type: "Flatten",
          params: {
            start_dim: nirArray([0], [], "int64"),
            end_dim: nirArray([-1], [], "int64"),
            input_type: ints(shape),
          },
        });
      }
      link(`layers.${i}.fc`, {
        type: "Affine",
        params: { weight: nirArray(w, [out, w.length / out]), bias: nirArray(bias, [out]) },
      });
    }
    if (poolOp) {
      if (poolOp.opts.type !== "avg")
        throw new Error(`nir export: layers.${i}: ${poolOp.opts.type} pooling has no NIR node (only avg and sum pool)`);
      const k = poolOp.opts.kernel;
      link(`layers.${i}.pool`, {
        type: "AvgPool2d",
        params: { kernel_size: ints([k, k]), stride: ints([poolOp.stride, poolOp.stride]), padding: ints([0, 0]) },
      });
    }
    shape = layer.outShape.slice();
    const n = shape.reduce((a, b) => a * b, 1);
    const alpha = lif.alpha();
    if (!(alpha >= 0 && alpha < 1)) throw new Error(`nir export: layers.${i}.lif: decay ${alpha} outside [0, 1)`);
    const full = (v: number): NirArray => nirArray(new Float64Array(n).fill(v), shape, "float64");
    link(`layers.${i}.lif`, {
      type: "LIF",
      params: {
        tau: full(dt / (1 - alpha)),
        r: full(1 / (1 - alpha)),
        v_leak: full(0),
        // NIR fires on v > v_threshold: the float32 below Vth makes that U >= Vth exactly (threshold.ts)
        v_threshold: full(float32Below(lif.opts.vth)),
        v_reset: full(lif.opts.reset === "soft" ? Math.fround(lif.opts.vth) : 0),
      },
    });
    if (scorer) {
      for (const p of [...scorer.parameters(), ...scorer.buffers()])
        metadata[`razor_snn.scorer.${p.name}`] = JSON.stringify({ shape: p.shape, data: Array.from(p.value) });
    }
  });
  if (model.layers.some((l) => l.scorer))
    warnings.push(
      `${cfg.variant} scorers have no NIR node: exported the backbone only (tensors in metadata); a NIR consumer runs it unpruned and without the scorer's frame weights`,
    );
  nodes.output = { type: "Output", params: { shape: ints(shape) } };
  edges.push([prev, "output"]);
  const graph: NirGraph = { nodes, edges, metadata };
  return { file: { version: NIR_WRITE_VERSION, graph }, warnings };
}

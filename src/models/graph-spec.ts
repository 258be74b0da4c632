/**
 * The description of an imported graph model (a NIR graph mapped onto razor-snn's kernels, src/nir/import.ts): a
 * chain of operations, stored as JSON in the checkpoint's razor_snn.model. `resolveGraphSpec` checks every field
 * and every shape before anything is allocated from it, as resolveModelConfig does for the per-dataset models.
 *
 *   conv    Conv2d (square kernel, one stride and padding, weight [out, C, k, k], optional bias)
 *   linear  fully connected on the flattened frame (weight [out, in], optional bias)
 *   pool    avg or sum pooling, square window k, stride s, no padding (sum = avg × k²)
 *   flatten [C, H, W] → [C·H·W]
 *   scale   multiplies by a constant (a LIF's input factor dt/τ·r when it is not 1 in float32)
 *   lif     razor-snn's LIF: U = H + I, S = U >= vth, H = α·U·(1 − S) (hard) or α·(vth·S + U·(1 − S)) (soft)
 *
 * Each lif closes one layer; a layer holds exactly one conv or linear, so SOPs are counted as for the built-in
 * models (input events × fan-out). The last operation is a lif (the output spikes are the class votes).
 */
import { convOutSize } from "../engine/api.js";
import { LIMITS } from "./config.js";

export type GraphOp =
  | { type: "conv"; name: string; out: number; kernel: number; stride: number; padding: number; bias: boolean }
  | { type: "linear"; name: string; out: number; bias: boolean }
  | { type: "pool"; name: string; mode: "avg" | "sum"; kernel: number; stride: number }
  | { type: "flatten"; name: string }
  | { type: "scale"; name: string; factor: number }
  | { type: "lif"; name: string; alpha: number; vth: number; reset: "hard" | "soft" };

export interface GraphSpec {
  kind: "nir-graph";
  /** a label (the NIR file it came from) */
  name: string;
  /** frame shape [C, H, W] or [F] */
  input: number[];
  classes: number;
  ops: GraphOp[];
}

export const GRAPH_KIND = "nir-graph";

/** True for a model JSON that describes a graph model (as opposed to a per-dataset model config). */
export function isGraphSpecJson(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === GRAPH_KIND;
}

const OP_KEYS: Record<GraphOp["type"], string[]> = {
  conv: ["type", "name", "out", "kernel", "stride", "padding", "bias"],
  linear: ["type", "name", "out", "bias"],
  pool: ["type", "name", "mode", "kernel", "stride"],
  flatten: ["type", "name"],
  scale: ["type", "name", "factor"],
  lif: ["type", "name", "alpha", "vth", "reset"],
};
const SPEC_KEYS = ["kind", "name", "input", "classes", "ops"];
/** operations in one graph (a NIR file is a handful of layers; this only bounds what a corrupt file can ask for) */
const MAX_OPS = 4096;

/** The per-frame shape after each op, for an already resolved spec. */
export function graphShapes(spec: GraphSpec): number[][] {
  let shape = spec.input.slice();
  return spec.ops.map((op) => {
    shape = opOutShape(op, shape, () => {
      throw new Error(`graph op '${op.name}' does not fit input [${shape}]`);
    });
    return shape;
  });
}

function opOutShape(op: GraphOp, shape: number[], misfit: (why: string) => never): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  switch (op.type) {
    case "conv":
    case "pool": {
      if (shape.length !== 3) return misfit(`expects [C, H, W] input, got [${shape}]`);
      const [c, h, w] = shape as [number, number, number];
      const pad = op.type === "conv" ? op.padding : 0;
      const ho = convOutSize(h, op.kernel, op.stride, pad);
      const wo = convOutSize(w, op.kernel, op.stride, pad);
      if (ho < 1 || wo < 1) return misfit(`kernel ${op.kernel} does not fit input [${shape}]`);
      return [op.type === "conv" ? op.out : c, ho, wo];
    }
    case "linear":
      return [op.out];
    case "flatten":
      return [size];
    default:
      return shape;
  }
}

/** Checks a graph spec from a checkpoint (unknown keys, types, bounds, shapes along the chain); errors name the field. */
export function resolveGraphSpec(v: unknown, source: string): GraphSpec {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new Error(`${source}: graph ${field} must be ${expected} (got ${JSON.stringify(got)?.slice(0, 80)})`);
  };
  const obj = (field: string, x: unknown, keys: string[]): Record<string, unknown> => {
    if (typeof x !== "object" || x === null || Array.isArray(x)) return fail(field, "an object", x);
    for (const k of Object.keys(x))
      if (!keys.includes(k)) fail(`${field}.${k}`, `absent (known: ${keys.join(", ")})`, k);
    return x as Record<string, unknown>;
  };
  const int = (field: string, x: unknown, lo: number, hi: number): number => {
    if (!(typeof x === "number" && Number.isInteger(x) && x >= lo && x <= hi))
      fail(field, `a whole number in [${lo}, ${hi}]`, x);
    return x as number;
  };
  const real = (field: string, x: unknown, ok: (x: number) => boolean, what: string): number => {
    if (!(typeof x === "number" && Number.isFinite(x) && ok(x))) fail(field, what, x);
    return x as number;
  };
  const s = obj("spec", v, SPEC_KEYS);
  if (s.kind !== GRAPH_KIND) fail("kind", `"${GRAPH_KIND}"`, s.kind);
  if (typeof s.name !== "string") fail("name", "a string", s.name);
  if (!Array.isArray(s.input) || (s.input.length !== 1 && s.input.length !== 3))
    fail("input", "[C, H, W] or [F]", s.input);
  const input = (s.input as unknown[]).map((x, i) => int(`input[${i}]`, x, 1, LIMITS.side));
  if (input.reduce((a, b) => a * b, 1) > LIMITS.frameSize) fail("input", `at most ${LIMITS.frameSize} values`, input);
  const classes = int("classes", s.classes, 1, LIMITS.width);
  if (!Array.isArray(s.ops) || s.ops.length === 0 || s.ops.length > MAX_OPS)
    fail("ops", `a list of 1 to ${MAX_OPS} operations`, s.ops);
  const names = new Set<string>();
  let shape = input;
  let synapses = 0;
  const ops = (s.ops as unknown[]).map((raw, i): GraphOp => {
    const f = `ops[${i}]`;
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !(type in OP_KEYS)) fail(`${f}.type`, Object.keys(OP_KEYS).join(" | "), type);
    const o = obj(f, raw, OP_KEYS[type as GraphOp["type"]]);
    if (typeof o.name !== "string" || o.name.length === 0 || o.name.length > 256) fail(`${f}.name`, "a name", o.name);
    const name = o.name as string;
    if (names.has(name)) fail(`${f}.name`, "unique", name);
    names.add(name);
    const bool = (k: string): boolean =>
      typeof o[k] === "boolean" ? (o[k] as boolean) : fail(`${f}.${k}`, "true or false", o[k]);
    let op: GraphOp;
    switch (type as GraphOp["type"]) {
      case "conv":
        op = {
          type: "conv",
          name,
          out: int(`${f}.out`, o.out, 1, LIMITS.width),
          kernel: int(`${f}.kernel`, o.kernel, 1, 255),
          stride: int(`${f}.stride`, o.stride, 1, 255),
          padding: int(`${f}.padding`, o.padding, 0, 255),
          bias: bool("bias"),
        };
        if (op.out * (shape[0] ?? 1) * op.kernel * op.kernel > LIMITS.weights)
          fail(`${f}`, `at most ${LIMITS.weights} weights`, op.out);
        break;
      case "linear":
        op = { type: "linear", name, out: int(`${f}.out`, o.out, 1, LIMITS.width), bias: bool("bias") };
        if (op.out * shape.reduce((a, b) => a * b, 1) > LIMITS.weights)
          fail(`${f}`, `at most ${LIMITS.weights} weights`, op.out);
        break;
      case "pool":
        if (o.mode !== "avg" && o.mode !== "sum") fail(`${f}.mode`, '"avg" or "sum"', o.mode);
        op = {
          type: "pool",
          name,
          mode: o.mode as "avg" | "sum",
          kernel: int(`${f}.kernel`, o.kernel, 1, 255),
          stride: int(`${f}.stride`, o.stride, 1, 255),
        };
        break;
      case "flatten":
        op = { type: "flatten", name };
        break;
      case "scale":
        op = { type: "scale", name, factor: real(`${f}.factor`, o.factor, () => true, "a finite number") };
        break;
      default:
        if (o.reset !== "hard" && o.reset !== "soft") fail(`${f}.reset`, '"hard" or "soft"', o.reset);
        op = {
          type: "lif",
          name,
          alpha: real(`${f}.alpha`, o.alpha, (a) => a >= 0 && a <= 1, "a decay in [0, 1]"),
          vth: real(`${f}.vth`, o.vth, () => true, "a finite number"),
          reset: o.reset as "hard" | "soft",
        };
    }
    if (op.type === "conv" || op.type === "linear") synapses++;
    if (op.type === "lif") {
      if (synapses !== 1) fail(`${f}`, "a lif closing a layer with exactly one conv or linear", synapses);
      synapses = 0;
    }
    shape = opOutShape(op, shape, (why) => fail(f, "an operation that fits its input", why));
    return op;
  });
  if (ops[ops.length - 1]!.type !== "lif") fail("ops", "a list ending with a lif (output spikes)", ops.at(-1)?.type);
  if (shape.reduce((a, b) => a * b, 1) !== classes) fail("classes", `the output size ${shape}`, classes);
  return { kind: GRAPH_KIND, name: s.name as string, input, classes, ops };
}

/**
 * Checkpoints as safetensors with PyTorch names and layouts (the names come from the model's parameters and
 * buffers). The header's `__metadata__` (string values only, as the format requires) carries JSON under:
 *   razor_snn.format         "1"
 *   razor_snn.model          the model config
 *   razor_snn.preprocessing  sensor size, framing mode, dt or T, downsampling
 *   razor_snn.thresholds     θ per maskable layer (or "null")
 *   razor_snn.training       what produced it (epoch, accuracies, seed, ...)
 *   razor_snn.nir            imported NIR graphs only: the source file, its NIR version, dt and reset mode
 *                            (razor_snn.model then holds the graph spec, src/models/graph-spec.ts)
 * The training state for `--resume` (src/train/train-state.ts) is a second file of the same format.
 * Browser-safe; file I/O is in checkpoint-file.ts.
 */
import type { Buffer, Param } from "../nn/module.js";
import { isGraphSpecJson } from "../models/graph-spec.js";
import type { TrainableModel } from "../models/model-api.js";
import type { Json } from "../util/json.js";
import { decodeSafeTensors, encodeSafeTensors, type SafeTensors, type Tensor } from "./safetensors.js";

export const CHECKPOINT_FORMAT = "1";
/** metadata key of the training state (src/train/train-state.ts) */
export const TRAIN_STATE_KEY = "razor_snn.train_state";
/** metadata key of an imported NIR graph's provenance */
export const NIR_SOURCE_KEY = "razor_snn.nir";

/** Where an imported graph came from and how it was discretised (src/nir/import.ts). */
export interface NirSource {
  file: string;
  version: string;
  dt: number;
  reset: "nir";
}

export interface CheckpointMeta {
  model: Json;
  preprocessing: Json;
  /** θ per spiking layer (null entries: layers without a threshold), or null */
  thresholds: (number | null)[] | null;
  training: Json;
  /** imported NIR graphs only */
  nir?: NirSource;
}

/** PyTorch stores BN's batch counter as int64. */
function isInt64Buffer(name: string): boolean {
  return name.endsWith("num_batches_tracked");
}

export function modelTensors(model: { parameters(): Param[]; buffers(): Buffer[] }): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const add = (name: string, t: Tensor): void => {
    if (out.has(name)) throw new Error(`model has two tensors named '${name}'`);
    out.set(name, t);
  };
  for (const p of model.parameters()) add(p.name, { dtype: "F32", shape: p.shape, data: Float32Array.from(p.value) });
  for (const b of model.buffers()) {
    if ((b as { dtype?: string }).dtype === "I64" || isInt64Buffer(b.name)) {
      add(b.name, { dtype: "I64", shape: b.shape, data: BigInt64Array.from(b.value, (v) => BigInt(Math.round(v))) });
    } else add(b.name, { dtype: "F32", shape: b.shape, data: Float32Array.from(b.value) });
  }
  return out;
}

export function metaStrings(meta: CheckpointMeta): Record<string, string> {
  return {
    "razor_snn.format": CHECKPOINT_FORMAT,
    "razor_snn.model": JSON.stringify(meta.model),
    "razor_snn.preprocessing": JSON.stringify(meta.preprocessing),
    "razor_snn.thresholds": JSON.stringify(meta.thresholds),
    "razor_snn.training": JSON.stringify(meta.training),
    ...(meta.nir !== undefined && { [NIR_SOURCE_KEY]: JSON.stringify(meta.nir) }),
  };
}

export function encodeCheckpoint(model: TrainableModel, meta: CheckpointMeta): Uint8Array {
  return encodeSafeTensors(modelTensors(model), metaStrings(meta));
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Map<string, Tensor>;
  raw: SafeTensors;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): LoadedCheckpoint {
  const raw = decodeSafeTensors(bytes, source);
  const md = raw.metadata;
  if (md["razor_snn.format"] === undefined) {
    throw new Error(`${source}: a safetensors file but not a razor-snn checkpoint (no razor_snn.* metadata)`);
  }
  if (md["razor_snn.format"] !== CHECKPOINT_FORMAT) {
    throw new Error(`${source}: checkpoint format ${md["razor_snn.format"]}, this version reads ${CHECKPOINT_FORMAT}`);
  }
  const parse = (key: string): Json => {
    const s = md[key];
    if (s === undefined) throw new Error(`${source}: checkpoint metadata lacks ${key}`);
    try {
      return JSON.parse(s) as Json;
    } catch {
      throw new Error(`${source}: checkpoint metadata ${key} is not JSON`);
    }
  };
  const meta: CheckpointMeta = {
    model: parse("razor_snn.model"),
    preprocessing: parse("razor_snn.preprocessing"),
    thresholds: parseThresholds(parse("razor_snn.thresholds"), source),
    training: parse("razor_snn.training"),
  };
  const graph = isGraphSpecJson(meta.model);
  if (graph !== (md[NIR_SOURCE_KEY] !== undefined)) {
    throw new Error(
      `${source}: ${graph ? "an imported graph model without" : "a per-dataset model with"} ${NIR_SOURCE_KEY} metadata (corrupt or hand-edited checkpoint)`,
    );
  }
  if (graph) meta.nir = parseNirSource(parse(NIR_SOURCE_KEY), source);
  const known = new Set([...Object.keys(metaStrings(meta)), TRAIN_STATE_KEY, NIR_SOURCE_KEY]);
  for (const key of Object.keys(md)) {
    if (key.startsWith("razor_snn.") && !known.has(key)) {
      throw new Error(`${source}: unknown checkpoint metadata ${key} (this version writes ${[...known].join(", ")})`);
    }
  }
  return { meta, tensors: raw.tensors, raw };
}

function parseNirSource(v: Json, source: string): NirSource {
  const o = v as Partial<NirSource> | null;
  const keys = ["file", "version", "dt", "reset"];
  const ok =
    typeof o === "object" &&
    o !== null &&
    !Array.isArray(o) &&
    Object.keys(o).every((k) => keys.includes(k)) &&
    typeof o.file === "string" &&
    typeof o.version === "string" &&
    typeof o.dt === "number" &&
    Number.isFinite(o.dt) &&
    o.dt > 0 &&
    o.reset === "nir";
  if (!ok) {
    throw new Error(
      `${source}: ${NIR_SOURCE_KEY} must be {file, version, dt > 0, reset: "nir"} (got ${JSON.stringify(v).slice(0, 80)})`,
    );
  }
  return { file: o.file!, version: o.version!, dt: o.dt!, reset: "nir" };
}

/** θ per layer: null, or an array whose entries are null or a score threshold in [0, 1]. */
function parseThresholds(v: Json, source: string): (number | null)[] | null {
  if (v === null) return null;
  const ok = (x: Json): boolean => x === null || (typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1);
  if (!Array.isArray(v) || !v.every(ok)) {
    throw new Error(
      `${source}: razor_snn.thresholds must be null or a list of null / numbers in [0, 1] (got ${JSON.stringify(v).slice(0, 80)})`,
    );
  }
  return v as (number | null)[];
}

/**
 * Copies checkpoint tensors into the model's parameters and buffers. The checkpoint must hold exactly the model's
 * tensors: same names (a missing or extra tensor is named, so a checkpoint of another network or variant fails
 * clearly), same shapes, F32 values (I64 for BN's batch counter) and no NaN or infinity.
 */
export function loadModelTensors(model: TrainableModel, tensors: Map<string, Tensor>, source: string): void {
  const targets: { name: string; value: Float32Array; shape: number[] }[] = [...model.parameters(), ...model.buffers()];
  const expected = new Set(targets.map((t) => t.name));
  const extra = [...tensors.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0) {
    throw new Error(
      `${source}: tensor${extra.length > 1 ? "s" : ""} ${extra.map((n) => `'${n}'`).join(", ")} in the checkpoint ` +
        "are not part of the model its metadata describes (another variant or network?)",
    );
  }
  for (const t of targets) {
    const src = tensors.get(t.name);
    if (src === undefined) throw new Error(`${source}: tensor '${t.name}' of the model is missing from the checkpoint`);
    const count = src.shape.reduce((a, b) => a * b, 1);
    if (count !== t.value.length || src.shape.join(",") !== t.shape.join(",")) {
      throw new Error(
        `${source}: tensor '${t.name}' has shape [${src.shape}] in the checkpoint, the model [${t.shape}]`,
      );
    }
    const wanted = isInt64Buffer(t.name) ? "I64" : "F32";
    if (src.dtype !== wanted) {
      throw new Error(`${source}: tensor '${t.name}' is ${src.dtype} in the checkpoint, expected ${wanted}`);
    }
    if (src.data instanceof BigInt64Array) {
      for (let i = 0; i < count; i++) {
        const v = src.data[i]!;
        if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new Error(`${source}: tensor '${t.name}' holds ${v} at index ${i}, expected a count >= 0`);
        }
        t.value[i] = Number(v);
      }
    } else {
      const data = src.data as Float32Array;
      for (let i = 0; i < count; i++) {
        if (!Number.isFinite(data[i]!)) {
          throw new Error(`${source}: tensor '${t.name}' holds ${data[i]} at index ${i} (a diverged or corrupt model)`);
        }
      }
      t.value.set(data);
    }
  }
}

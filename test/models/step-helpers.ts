/** One training step of a scaled-down bundled network, for the byte-identity tests of memory-saving options. */
import type { Engine } from "../../src/engine/api.js";
import { useEngine } from "../../src/engine/current.js";
import { createReferenceEngine } from "../../src/engine/reference.js";
import { createWasmEngine } from "../../src/engine/wasm.js";
import type { ModelConfig } from "../../src/models/config.js";
import { buildModel, resolveModelConfig, type Variant } from "../../src/models/index.js";
import { setCompactSpikeStorage } from "../../src/nn/spike-storage.js";
import { Rng } from "../../src/util/rng.js";

export const variants: Variant[] = ["snn", "ta", "razor"];

/** The bundled network with at most 6 channels per hidden layer, T 4, and the smallest input its pools allow. */
export function scaledDown(cfg: ModelConfig): ModelConfig {
  const n = cfg.layers.length;
  const layers = cfg.layers.map((l, i) => (i === n - 1 ? l : { ...l, out: Math.min(l.out, 6) }));
  const pools = cfg.layers.reduce((a, l) => a * (l.pool?.kernel ?? 1), 1);
  const side = Math.max(8, pools);
  const input = cfg.input.length === 3 ? [cfg.input[0]!, side, side] : [Math.min(cfg.input[0]!, 64)];
  return resolveModelConfig({ ...cfg, input, layers, frames: { ...cfg.frames, T: 4 } });
}

export interface StepResult {
  out: Uint8Array;
  grads: Uint8Array[];
  buffers: Uint8Array[];
  peak: number;
}

export interface StepOptions {
  /** every layer recomputes its forward in backward */
  recompute: boolean;
  /** synapses keep spike input as bytes (the default) rather than as its f32 copy */
  compact?: boolean;
}

const bytes = (a: Float32Array): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);

/** One training step (forward, a fixed projection as dL/dy, backward) of a fresh model on a fresh engine. */
export async function step(makeEngine: () => Promise<Engine>, cfg: ModelConfig, o: StepOptions): Promise<StepResult> {
  const e = await makeEngine();
  useEngine(e);
  setCompactSpikeStorage(o.compact ?? true);
  try {
    const model = buildModel(cfg);
    model.setRecompute(model.layers.map(() => o.recompute));
    const B = 3;
    const rng = new Rng(5);
    const frame = cfg.input.reduce((a, b) => a * b, 1);
    const data = new Float32Array(cfg.frames.T * B * frame);
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < 0.08 ? 1 + rng.int(2) : 0;
    const y = model.forward({ data, shape: [cfg.frames.T, B, ...cfg.input] }, { training: true, rng: new Rng(7) });
    const gy = Float32Array.from(y.data, (_, i) => Math.sin(i * 0.37));
    model.zeroGrad();
    model.backward({ data: gy, shape: y.shape }, { training: true, rng: new Rng(7) });
    const result = {
      out: bytes(y.data),
      grads: model.parameters().map((p) => bytes(p.grad)),
      buffers: model.buffers().map((b) => bytes(b.value)),
      peak: e.peakBytes(),
    };
    model.dispose();
    return result;
  } finally {
    setCompactSpikeStorage(true);
    (e as Engine & { close?: () => void }).close?.();
  }
}

export const engines: [string, () => Promise<Engine>][] = [
  ["reference", async () => createReferenceEngine()],
  ["wasm 2 threads", async () => createWasmEngine({ threads: 2, alwaysSplit: true })],
];

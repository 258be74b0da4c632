/**
 * Test helper: trains the N-MNIST Razor network briefly on real samples from ../shared/data/nmnist/small and
 * returns the checkpoint bytes, so the viewer's tests load a checkpoint as `razor-snn train` writes it.
 * Briefly: the tests check what the viewer does with a checkpoint, not accuracy.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import "../../src/engine/index.js";
import { decodeEvents } from "../../src/events/decode.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import type { ModelConfig } from "../../src/models/config.js";
import type { Batch, LabelledData } from "../../src/data/data-api.js";
import type { Json } from "../../src/util/json.js";
import { type CheckpointSink, train } from "../../src/train/trainer.js";
import { sharedDataDir } from "../../src/util/paths.js";
import { preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { modelFrames } from "../../src/web/model-runner.js";

const nmnistSensor = { width: 34, height: 34, polarities: 2 };

export const nmnistDir = (): string => join(sharedDataDir(), "nmnist", "small");

/** Labels of nmnist/small from train1K.txt ("id<TAB>class"). */
export function nmnistLabels(): Map<string, number> {
  const text = readFileSync(join(nmnistDir(), "train1K.txt"), "utf8");
  const out = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const [id, cls] = line.trim().split(/\s+/);
    if (id && cls && !id.startsWith("#")) out.set(id, Number(cls));
  }
  return out;
}

class FramesData implements LabelledData {
  readonly numClasses: number;
  readonly preprocessing: Json;
  constructor(
    private readonly config: ModelConfig,
    private readonly frames: Float32Array[],
    private readonly labels: number[],
  ) {
    this.numClasses = config.classes;
    this.preprocessing = preprocessingFor(config, nmnistSensor) as unknown as Json;
  }
  get size(): number {
    return this.frames.length;
  }
  label(i: number): number {
    return this.labels[i]!;
  }
  batch(indices: Int32Array): Batch {
    const T = this.config.frames.T;
    const per = this.frames[0]!.length / T;
    const b = indices.length;
    const data = new Float32Array(T * b * per);
    indices.forEach((idx, j) => {
      const x = this.frames[idx]!;
      for (let t = 0; t < T; t++) data.set(x.subarray(t * per, (t + 1) * per), (t * b + j) * per);
    });
    return {
      input: { data, shape: [T, b, ...this.config.input] },
      labels: Int32Array.from(indices, (i) => this.labels[i]!),
    };
  }
}

/** Trains one epoch on samples `ids` and returns the checkpoint (safetensors bytes) after it. */
export async function trainNmnistCheckpoint(ids: string[], seed = 3): Promise<Uint8Array> {
  const config = loadModelConfig("nmnist", { seed });
  const labels = nmnistLabels();
  const pre = preprocessingFor(config, nmnistSensor);
  const frames = ids.map((id) => {
    const bytes = new Uint8Array(readFileSync(join(nmnistDir(), `${id}.bs2`)));
    return modelFrames(pre, config, decodeEvents(bytes, { fileName: `${id}.bs2` }).stream, `${id}.bs2`).data;
  });
  const data = new FramesData(
    config,
    frames,
    ids.map((id) => labels.get(id)!),
  );
  let last: Uint8Array | null = null;
  const sink: CheckpointSink = {
    saveEpoch: (files) => {
      last = files.last;
    },
    log: () => {},
    loadState: () => null,
  };
  const model = buildModel(config);
  await train(
    model,
    data,
    null,
    {
      epochs: 1,
      batchSize: 8,
      lr: config.train.lr,
      loss: "mse",
      seed,
      threads: 1,
      progress: false,
    },
    sink,
  );
  model.dispose();
  if (last === null) throw new Error("training saved no checkpoint");
  return last;
}

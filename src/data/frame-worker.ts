/**
 * Worker thread of WorkerFrames: builds the pipeline from its recipe (once), loads the sample from its ref and
 * integrates it, handing the frames back without a copy. Node only.
 */
import { parentPort } from "node:worker_threads";
import type { FramePipeline, Recipe, SampleRef } from "./sample.js";
import { loadRef } from "./sample-ref.js";

export interface FrameJob {
  id: number;
  sampleId: string;
  ref: SampleRef;
  recipe: Recipe;
}

export type FrameReply =
  | { id: number; data: Float32Array; shape: [number, number, number, number] }
  | { id: number; error: string };

const pipelines = new Map<string, Promise<FramePipeline>>();

async function pipelineFor(recipe: Recipe): Promise<FramePipeline> {
  const key = JSON.stringify(recipe);
  let p = pipelines.get(key);
  if (p === undefined) {
    p = import(recipe.module).then((m: Record<string, unknown>) => {
      const make = m[recipe.name];
      if (typeof make !== "function") throw new Error(`${recipe.module} has no function ${recipe.name}`);
      return make(...recipe.args) as FramePipeline;
    });
    pipelines.set(key, p);
  }
  return p;
}

parentPort?.on("message", async (job: FrameJob) => {
  try {
    const pipeline = await pipelineFor(job.recipe);
    const f = pipeline.toFrames(await loadRef(job.ref), { id: job.sampleId });
    const own = f.data.byteOffset === 0 && f.data.byteLength === f.data.buffer.byteLength;
    const data = own ? f.data : f.data.slice();
    const reply: FrameReply = { id: job.id, data, shape: f.shape };
    parentPort!.postMessage(reply, [data.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: FrameReply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
    parentPort!.postMessage(reply);
  }
});

/**
 * Decoding and integration in worker threads, so the next batches are made while the trainer computes on this
 * one (async prefetch alone overlaps only file reads). A sample goes to a worker when it has a `ref` and the
 * pipeline a `recipe`; otherwise it is made in this thread (counted in `inThread`). Gestures of one recording
 * always go to the same worker, which keeps that recording decoded. Node only.
 */
import { Worker } from "node:worker_threads";
import type { Frames } from "../events/transforms/frames.js";
import { directFrames, type FrameSource } from "./cache/frame-cache.js";
import type { FrameJob, FrameReply } from "./frame-worker.js";
import type { FramePipeline, Sample } from "./sample.js";

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (f: Frames) => void; reject: (e: Error) => void }>;
}

export class WorkerFrames implements FrameSource {
  private readonly slots: Slot[];
  private nextId = 0;
  private closed = false;
  inThread = 0;

  constructor(threads: number) {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be >= 1, got ${threads}`);
    this.slots = Array.from({ length: threads }, () => this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./frame-worker.js", import.meta.url));
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on("message", (r: FrameReply) => {
      const p = slot.pending.get(r.id);
      if (p === undefined) return;
      slot.pending.delete(r.id);
      if (slot.pending.size === 0) worker.unref();
      if ("error" in r) p.reject(new Error(r.error));
      else p.resolve({ data: r.data, shape: r.shape });
    });
    worker.on("error", (e) => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    });
    return slot;
  }

  frames(sample: Sample, pipeline: FramePipeline): Promise<Frames> {
    if (this.closed) throw new Error("WorkerFrames was closed");
    if (sample.ref === undefined || pipeline.recipe === undefined) {
      this.inThread++;
      return directFrames.frames(sample, pipeline);
    }
    const slot = this.pick(sample);
    const job: FrameJob = { id: this.nextId++, sampleId: sample.id, ref: sample.ref, recipe: pipeline.recipe };
    return new Promise((resolve, reject) => {
      slot.pending.set(job.id, { resolve, reject });
      slot.worker.ref(); // keep the process alive while a job is out
      slot.worker.postMessage(job);
    });
  }

  private pick(sample: Sample): Slot {
    const ref = sample.ref!;
    if (ref.kind === "gesture") {
      let h = 0;
      for (let i = 0; i < ref.recording.length; i++) h = (Math.imul(h, 31) + ref.recording.charCodeAt(i)) >>> 0;
      return this.slots[h % this.slots.length]!;
    }
    return this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

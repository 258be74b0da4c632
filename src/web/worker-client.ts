/**
 * Promise-based calls into the razor-snn Worker (see worker-host.ts). Usage in a page:
 *
 *   const rz = new RazorWorkerClient(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }));
 *   const rec = await rz.decode(await file.arrayBuffer(), { fileName: file.name });
 *   const model = await rz.loadModel(await ckpt.arrayBuffer(), ckpt.name, "/razor.wasm");
 *   const run = await rz.infer(rec.handle, model.thresholds);
 */
import type { DecodeOptions } from "../events/decode.js";
import type {
  RazorWorkerRecording,
  RazorWorkerInference,
  RazorWorkerModel,
  RazorWorkerRequest,
  RazorWorkerResponse,
} from "./protocol.js";

type Pending = { ok: (v: unknown) => void; fail: (e: Error) => void };

/** The part of a Worker the client uses (a real Worker, or a MessagePort in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (ev: MessageEvent) => void): void;
  terminate?(): void;
}

export class RazorWorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener("message", (ev: MessageEvent) => {
      const res = ev.data as RazorWorkerResponse;
      const p = this.pending.get(res.id);
      if (p === undefined) return;
      this.pending.delete(res.id);
      if (res.ok) p.ok(res.result);
      else p.fail(new Error(res.error));
    });
  }

  /** Decodes a recording in the Worker; `bytes` is transferred (unusable afterwards). */
  decode(bytes: ArrayBuffer, options: DecodeOptions = {}): Promise<RazorWorkerRecording> {
    return this.call<RazorWorkerRecording>({ op: "decode", id: 0, bytes, options }, [bytes]);
  }

  /** Decodes sample `index` of a multi-sample file opened with `decode` (see `RazorWorkerRecording.container`). */
  sample(container: number, index: number): Promise<RazorWorkerRecording> {
    return this.call<RazorWorkerRecording>({ op: "sample", id: 0, container, index }, []);
  }

  /** Frees the Worker's copy of a decoded recording (or closes a multi-sample file, given its container handle). */
  release(handle: number): Promise<void> {
    return this.call<void>({ op: "release", id: 0, handle }, []);
  }

  /** Loads a safetensors checkpoint; `wasmUrl` is where the engine's .wasm is served (null: pure-TS engine). */
  loadModel(bytes: ArrayBuffer, name: string, wasmUrl: string | null): Promise<RazorWorkerModel> {
    return this.call<RazorWorkerModel>({ op: "loadModel", id: 0, bytes, name, wasmUrl }, [bytes]);
  }

  /**
   * Runs the loaded model on a decoded recording with θ per masked layer (null: keep every frame). The times are
   * the best of up to `timingRuns` alternating runs of the pruned runtime with and without the mask.
   */
  infer(handle: number, thresholds: number[] | null, timingRuns = 5): Promise<RazorWorkerInference> {
    return this.call<RazorWorkerInference>({ op: "infer", id: 0, handle, thresholds, timingRuns }, []);
  }

  terminate(): void {
    this.worker.terminate?.();
    for (const p of this.pending.values()) p.fail(new Error("worker terminated"));
    this.pending.clear();
  }

  private call<T>(req: RazorWorkerRequest, transfer: Transferable[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((ok, fail) => {
      this.pending.set(id, { ok: ok as (v: unknown) => void, fail });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }
}

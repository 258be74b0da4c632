/**
 * A training run's folder (Node):
 *   last.safetensors         the model after the latest epoch (PyTorch names, config + preprocessing in metadata)
 *   best.safetensors         the model after the epoch with the best validation accuracy
 *   train-state.safetensors  model + Adam moments + step + LR schedule + epoch, for --resume
 *   log.jsonl                one JSON record per epoch
 * Every file is written atomically, so a kill at any moment leaves a consistent run to resume.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeStaleTempFiles, writeFileAtomic } from "../util/atomic-write.js";
import { decodeTrainState } from "../train/train-state.js";
import type { Json } from "../util/json.js";
import type { CheckpointSink } from "../train/trainer.js";

export const RUN_FILES = {
  last: "last.safetensors",
  best: "best.safetensors",
  state: "train-state.safetensors",
  log: "log.jsonl",
  summary: "summary.json",
} as const;

export class RunDir implements CheckpointSink {
  constructor(
    readonly dir: string,
    private readonly resume: boolean,
  ) {
    if (!resume && existsSync(join(dir, RUN_FILES.state))) {
      throw new Error(
        `${dir} already holds a training run (${RUN_FILES.state}); pass --resume to continue it or choose another --out`,
      );
    }
    checkWritable(dir);
    // a run killed between write and rename left these; the files they were meant to replace are intact
    removeStaleTempFiles(dir, Object.values(RUN_FILES));
  }

  path(name: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[name]);
  }

  saveEpoch(files: { last: Uint8Array; state: Uint8Array; isBest: boolean }): void {
    // the state goes last: a run is only "at epoch e" once all its files for e are on disk
    writeFileAtomic(this.path("last"), files.last);
    if (files.isBest) writeFileAtomic(this.path("best"), files.last);
    writeFileAtomic(this.path("state"), files.state);
  }

  log(record: Record<string, Json>): void {
    try {
      appendFileSync(this.path("log"), `${JSON.stringify(record)}\n`);
    } catch (err) {
      throw new Error(`cannot write ${this.path("log")}: ${(err as Error).message}`);
    }
  }

  loadState(): ReturnType<CheckpointSink["loadState"]> {
    if (!this.resume) return null;
    const p = this.path("state");
    if (!existsSync(p)) throw new Error(`--resume: ${p} does not exist (nothing to resume in ${this.dir})`);
    const loaded = decodeTrainState(new Uint8Array(readFileSync(p)), p);
    this.trimLog(loaded.state.epoch);
    return { model: loaded.tensors, state: loaded.state };
  }

  /** Drops log records of epochs after the saved state (a kill between the log line and the state file). */
  private trimLog(epoch: number): void {
    const p = this.path("log");
    if (!existsSync(p)) return;
    const kept = readFileSync(p, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .filter((line) => {
        try {
          return (JSON.parse(line) as { epoch?: number }).epoch! <= epoch;
        } catch {
          return false;
        }
      });
    writeFileAtomic(p, kept.length > 0 ? `${kept.join("\n")}\n` : "");
  }
}

/** Fails before any training when the run folder cannot be created or written (not after the first epoch). */
function checkWritable(dir: string): void {
  const probe = join(dir, `.write-check.${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`--out ${dir}: cannot write there (${e.code ?? e.message})`);
  }
}

/** Node-side checkpoint files: atomic writes, readable errors for missing files. */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic-write.js";

export function writeBytesAtomic(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}

export function readCheckpointBytes(path: string): Uint8Array {
  if (!existsSync(path)) {
    throw new Error(
      `checkpoint ${path} does not exist (train one with 'razor-snn train --out DIR', which writes DIR/best.safetensors and DIR/last.safetensors)`,
    );
  }
  return new Uint8Array(readFileSync(path));
}

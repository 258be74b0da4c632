/**
 * `razor-snn data export-frames`: the integrated frames of a dataset's splits as .npy files, which numpy (and so
 * the PyTorch twin in python/) reads without other dependencies. Per split S:
 *   S.frames.npy   uint16 [total frames, ...input]   every sample's frames, back to back (event counts)
 *   S.offsets.npy  int64 [samples + 1]              sample i is frames offsets[i] .. offsets[i+1]
 *   S.labels.npy   int64 [samples]
 * and meta.json (written last: its presence marks a complete export) with the classes, the resolved model config,
 * the preprocessing record a checkpoint carries, and per split the sample ids. Recordings keep all their frames
 * (the reader takes T of them: the first, a random window, or evenly spaced clips, as src/data/frames-data.ts).
 * Every file is written to a temp file and renamed.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FrameCache, directFrames } from "../data/cache/frame-cache.js";
import type { Sample } from "../data/sample.js";
import { type Preprocessing, pipelineFor } from "../checkpoint/preprocess.js";
import type { ModelConfig } from "../models/config.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { ProgressBar } from "../util/progress.js";

export const FRAMES_FORMAT = "razor-snn-frames/1";
/** room for the .npy header, so the shape can be written once the frame count is known */
const NPY_HEADER_BYTES = 128;

/** A .npy v1.0 header of exactly NPY_HEADER_BYTES bytes. */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const room = NPY_HEADER_BYTES - 10 - 1;
  if (dict.length > room) throw new Error(`npy header for shape [${shape}] does not fit ${NPY_HEADER_BYTES} bytes`);
  dict = `${dict.padEnd(room, " ")}\n`;
  const out = new Uint8Array(NPY_HEADER_BYTES);
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0]);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  return out;
}

function writeNpyAtomic(path: string, descr: string, shape: number[], data: Uint8Array): void {
  const bytes = new Uint8Array(NPY_HEADER_BYTES + data.length);
  bytes.set(npyHeader(descr, shape));
  bytes.set(data, NPY_HEADER_BYTES);
  writeFileAtomic(path, bytes);
}

export interface ExportSplit {
  name: string;
  samples: Sample[];
}

export interface ExportOptions {
  out: string;
  config: ModelConfig;
  classes: string[];
  pre: Preprocessing;
  splits: ExportSplit[];
  cache: boolean;
  progress: boolean;
}

export interface ExportedSplit {
  samples: number;
  frames: number;
}

/** Writes every split, then meta.json; returns what each split holds. */
export async function exportFrames(o: ExportOptions): Promise<Record<string, ExportedSplit>> {
  mkdirSync(o.out, { recursive: true });
  const source = o.cache ? new FrameCache() : directFrames;
  const pipeline = pipelineFor(o.pre);
  const frameSize = o.pre.input.reduce((a, b) => a * b, 1);
  const total = o.splits.reduce((a, s) => a + s.samples.length, 0);
  const bar = new ProgressBar({ label: "export", total, unit: "samples", enabled: o.progress });
  const result: Record<string, ExportedSplit> = {};
  const ids: Record<string, string[]> = {};
  for (const split of o.splits) {
    const path = join(o.out, `${split.name}.frames.npy`);
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w");
    const offsets = new BigInt64Array(split.samples.length + 1);
    let frames = 0;
    try {
      writeSync(fd, new Uint8Array(NPY_HEADER_BYTES));
      for (const [i, sample] of split.samples.entries()) {
        const f = await source.frames(sample, pipeline);
        const n = f.shape[0]!;
        if (f.data.length !== n * frameSize) {
          throw new Error(`sample ${sample.id}: frames of [${f.shape.slice(1)}], the network takes [${o.pre.input}]`);
        }
        writeSync(fd, countsToU16(f.data, sample.id));
        frames += n;
        offsets[i + 1] = BigInt(frames);
        bar.tick(1, split.name);
      }
      writeSync(fd, npyHeader("<u2", [frames, ...o.pre.input]), 0, NPY_HEADER_BYTES, 0);
      closeSync(fd);
      renameSync(tmp, path);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(tmp, { force: true });
      throw err;
    }
    writeNpyAtomic(join(o.out, `${split.name}.offsets.npy`), "<i8", [offsets.length], new Uint8Array(offsets.buffer));
    const labels = BigInt64Array.from(split.samples, (s) => BigInt(s.label));
    writeNpyAtomic(join(o.out, `${split.name}.labels.npy`), "<i8", [labels.length], new Uint8Array(labels.buffer));
    result[split.name] = { samples: split.samples.length, frames };
    ids[split.name] = split.samples.map((s) => s.id);
  }
  bar.finish();
  const meta = {
    format: FRAMES_FORMAT,
    dtype: "uint16",
    classes: o.classes,
    config: o.config,
    preprocessing: o.pre,
    splits: Object.fromEntries(Object.entries(result).map(([k, v]) => [k, { ...v, ids: ids[k] }])),
  };
  writeFileAtomic(join(o.out, "meta.json"), `${JSON.stringify(meta)}\n`);
  return result;
}

/** Event counts as uint16 (little-endian); a value that is not a count in 0..65535 is an error naming the sample. */
function countsToU16(data: Float32Array, id: string): Uint8Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && v <= 65535 && Math.floor(v) === v)) {
      throw new Error(`sample ${id}: frame value ${v} at ${i} is not an event count in 0..65535 (uint16 export)`);
    }
    out[i] = v;
  }
  return new Uint8Array(out.buffer);
}

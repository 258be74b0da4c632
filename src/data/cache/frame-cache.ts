/**
 * A disk cache of integrated frames. The key is a SHA-256 of the canonical JSON of {pipeline key, sample
 * identity}: change any transform parameter, or touch the file, and the frames are made afresh. Records are
 * written atomically, so a killed run never leaves a half record that a later run would read. Node only.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { cacheDir } from "../../util/paths.js";
import type { FramePipeline, Frames, Sample } from "../sample.js";
import { canonicalJson } from "./canonical-json.js";
import { decodeFrames, encodeFrames } from "./frame-codec.js";

/** Bump when the meaning of cached frames changes without a change of any pipeline key. */
const CACHE_FORMAT = 1;

export interface FrameSource {
  frames(sample: Sample, pipeline: FramePipeline): Promise<Frames>;
}

export function frameCacheKey(sample: Sample, pipeline: FramePipeline): string {
  const text = canonicalJson({ format: CACHE_FORMAT, pipeline: pipeline.key, sample: sample.identity() });
  return createHash("sha256").update(text).digest("hex");
}

/** No cache: integrate every time. */
export const directFrames: FrameSource = {
  async frames(sample, pipeline) {
    return pipeline.toFrames(await sample.load(), sample);
  },
};

export class FrameCache implements FrameSource {
  hits = 0;
  misses = 0;

  /** `maker` makes the frames on a miss: in this thread by default, or a WorkerFrames pool. */
  constructor(
    readonly dir: string = join(cacheDir(), "frames"),
    private readonly maker: FrameSource = directFrames,
  ) {}

  pathFor(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.rzf`);
  }

  async frames(sample: Sample, pipeline: FramePipeline): Promise<Frames> {
    const key = frameCacheKey(sample, pipeline);
    const path = this.pathFor(key);
    if (existsSync(path)) {
      try {
        const f = decodeFrames(readFileSync(path), path);
        this.hits++;
        return f;
      } catch {
        rmSync(path, { force: true }); // an unreadable record is rebuilt, not trusted
      }
    }
    this.misses++;
    const f = await this.maker.frames(sample, pipeline);
    writeFileAtomic(path, encodeFrames(f));
    return f;
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

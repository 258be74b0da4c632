/**
 * `razor-snn data download NAME`: fetch every resource of a dataset into <root>/download/, verify it, extract it
 * into <root>, and leave a marker so a second run does nothing. Node only.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../util/paths.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { ProgressBar } from "../util/progress.js";
import { extractArchive } from "./archive/extract.js";
import { DEFAULT_MAX_EXTRACT_BYTES } from "./archive/safe-path.js";
import type { ExtractProgress } from "./archive/tar.js";
import { type DownloadOptions, downloadFile } from "./download/fetch-file.js";
import type { DatasetSpec, Resource } from "./registry.js";

/** The default folder of a dataset: <cacheDir>/datasets/<name> (RAZOR_SNN_CACHE moves it). */
export function defaultDatasetRoot(name: string): string {
  return join(cacheDir(), "datasets", name);
}

export interface FetchDatasetOptions
  extends Pick<DownloadOptions, "retries" | "backoffMs" | "progress" | "idleTimeoutMs"> {
  log?: (line: string) => void;
  /**
   * Fetch every file as <mirror>/<file name> instead of from its official URL (a local copy of the archives;
   * also RAZOR_SNN_MIRROR). The MD5 checks stay the same.
   */
  mirror?: string;
  /** most bytes one archive may unpack to (default: extractCap of the resource; also RAZOR_SNN_MAX_EXTRACT_BYTES) */
  maxExtractBytes?: number;
}

export interface FetchedResource {
  file: string;
  status: "downloaded" | "present" | "already-extracted";
  extractedFiles: number;
}

function markerPath(root: string, r: Resource): string {
  return join(root, "download", `${r.file}.extracted`);
}

export async function fetchDataset(
  spec: DatasetSpec,
  root: string,
  opts: FetchDatasetOptions = {},
): Promise<FetchedResource[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const done: FetchedResource[] = [];
  for (const r of spec.resources) {
    const marker = markerPath(root, r);
    if (existsSync(marker) && readFileSync(marker, "utf8").trim() === r.md5) {
      done.push({ file: r.file, status: "already-extracted", extractedFiles: 0 });
      continue;
    }
    const dest = join(root, "download", r.file);
    const mirror = opts.mirror ?? process.env.RAZOR_SNN_MIRROR;
    const url = mirror ? `${mirror.replace(/[/]+$/, "")}/${encodeURIComponent(r.file)}` : r.url;
    log(`${spec.name}: ${r.file}${r.approxBytes ? ` (about ${(r.approxBytes / 1e6).toFixed(0)} MB)` : ""} from ${url}`);
    const got = await downloadFile(url, dest, { ...opts, md5: r.md5, page: r.page, log });
    let extractedFiles = 0;
    if (r.extract !== "none") {
      log(`${spec.name}: extracting ${r.file} into ${root}`);
      const res = await extractArchive(dest, root, r.extract, extractionBar(r, opts.progress !== false), {
        maxBytes: opts.maxExtractBytes ?? envCap() ?? extractCap(r),
      });
      extractedFiles = res.files;
      for (const s of res.skipped) log(`  skipped ${s}`);
    }
    writeFileAtomic(marker, `${r.md5}\n`);
    done.push({ file: r.file, status: got.alreadyPresent ? "present" : "downloaded", extractedFiles });
  }
  return done;
}

/** A progress bar for extraction (entries of a zip, compressed KiB of a tar.gz), or none. */
function extractionBar(r: Resource, enabled: boolean): ExtractProgress | undefined {
  if (!enabled || r.extract === "gz") return undefined;
  let bar: ProgressBar | null = null;
  let shown = 0;
  let finished = false;
  const kib = r.extract === "tar.gz";
  return (done, total) => {
    const d = kib ? Math.floor(done / 1024) : done;
    const t = kib ? Math.ceil(total / 1024) : total;
    bar ??= new ProgressBar({ label: `extract ${r.file}`, total: t, unit: kib ? "KiB" : "files" });
    if (d > shown) {
      bar.tick(d - shown);
      shown = d;
    }
    if (d >= t && !finished) {
      finished = true;
      bar.finish();
    }
  };
}

/** Throws a message naming the missing resource, where it was expected and how to get it. */
export function requireFetched(spec: DatasetSpec, root: string, what: string, path: string): void {
  if (existsSync(path)) return;
  const lines = [
    `${spec.title}: ${what} not found at ${path}.`,
    `  Expected layout under ${root}:`,
    ...spec.layout.map((l) => `    ${l}`),
    `  Get it with: razor-snn data download ${spec.name} --root ${root}`,
    ...spec.resources.map((r) => `    (${r.file}: ${r.url}${r.page ? `, or by hand from ${r.page}` : ""})`),
  ];
  throw new Error(lines.join("\n"));
}

/**
 * How much a resource may unpack to: 20× its download size (event recordings compress 2–5×), at least 1 GiB;
 * the registry's default when its size is unknown. `--max-extract-bytes` / FetchDatasetOptions override it.
 */
export function extractCap(r: Resource): number {
  return r.approxBytes === undefined ? DEFAULT_MAX_EXTRACT_BYTES : Math.max(2 ** 30, 20 * r.approxBytes);
}

function envCap(): number | undefined {
  const v = process.env.RAZOR_SNN_MAX_EXTRACT_BYTES;
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`RAZOR_SNN_MAX_EXTRACT_BYTES=${v}: expected a byte count`);
  return n;
}

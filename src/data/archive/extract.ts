/** Unpacks a downloaded file by its kind: .zip, .tar.gz/.tgz, or a single gzipped file. */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { ArchiveError, checkTotal, DEFAULT_MAX_EXTRACT_BYTES, type ExtractLimits } from "./safe-path.js";
import { type ExtractProgress, type ExtractResult, extractTarGz } from "./tar.js";
import { extractZip } from "./zip.js";

export type ArchiveKind = "zip" | "tar.gz" | "gz" | "none";

export function archiveKindOf(file: string): ArchiveKind {
  const f = file.toLowerCase();
  if (f.endsWith(".zip")) return "zip";
  if (f.endsWith(".tar.gz") || f.endsWith(".tgz")) return "tar.gz";
  if (f.endsWith(".gz")) return "gz";
  return "none";
}

export async function extractArchive(
  archive: string,
  target: string,
  kind = archiveKindOf(archive),
  onProgress?: ExtractProgress,
  limits: ExtractLimits = {},
): Promise<ExtractResult> {
  await mkdir(target, { recursive: true });
  switch (kind) {
    case "zip":
      return extractZip(archive, target, onProgress, limits);
    case "tar.gz":
      return extractTarGz(archive, target, onProgress, limits);
    case "gz":
      return gunzipFile(archive, target, limits.maxBytes ?? DEFAULT_MAX_EXTRACT_BYTES);
    case "none":
      return { files: 0, bytes: 0, skipped: [] };
  }
}

async function gunzipFile(archive: string, target: string, maxBytes: number): Promise<ExtractResult> {
  const out = join(target, basename(archive).replace(/\.gz$/i, ""));
  const tmp = `${out}.part`;
  let written = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      try {
        checkTotal(archive, written, maxBytes);
      } catch (err) {
        cb(err as ArchiveError);
        return;
      }
      cb(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(archive), createGunzip(), limit, createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ArchiveError) throw err;
    if (((err as NodeJS.ErrnoException).code ?? "").startsWith("Z_")) {
      throw new ArchiveError(archive, -1, `the gzip stream is damaged or cut short (${(err as Error).message})`);
    }
    throw err;
  }
  await rename(tmp, out);
  return { files: 1, bytes: (await stat(out)).size, skipped: [] };
}

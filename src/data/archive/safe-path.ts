import { isAbsolute, resolve, sep } from "node:path";

/** An archive that is damaged, uses a feature we do not read, or tries to write outside its target folder. */
export class ArchiveError extends Error {
  override readonly name = "ArchiveError";
  constructor(
    readonly archive: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${archive}${offset >= 0 ? ` at byte ${offset}` : ""}: ${detail}`);
  }
}

/**
 * Where an archive entry goes inside `target`, or an ArchiveError when the name would land outside it
 * (absolute paths, drive letters, `..` segments, NUL bytes): such archives are refused, not "cleaned".
 */
export function entryPath(archive: string, target: string, name: string, offset = -1): string {
  const normal = name.replace(/\\/g, "/");
  const segments = normal.split("/");
  if (
    normal.includes("\0") ||
    normal.startsWith("/") ||
    /^[A-Za-z]:/.test(normal) ||
    isAbsolute(normal) ||
    segments.includes("..")
  ) {
    throw new ArchiveError(archive, offset, `entry '${name}' would be written outside ${target}; refusing to extract`);
  }
  const root = resolve(target);
  const full = resolve(root, ...segments.filter((s) => s !== "" && s !== "."));
  if (full !== root && !full.startsWith(root + sep)) {
    throw new ArchiveError(archive, offset, `entry '${name}' would be written outside ${target}; refusing to extract`);
  }
  return full;
}

/** Where a regular file entry goes: like entryPath, but a name that resolves to the target folder itself ("." or
 * "") is refused (it would be written beside the target, as `<target>.part`). */
export function fileEntryPath(archive: string, target: string, name: string, offset = -1): string {
  const full = entryPath(archive, target, name, offset);
  if (full === resolve(target)) {
    throw new ArchiveError(archive, offset, `file entry '${name}' names the target folder itself; refusing to extract`);
  }
  return full;
}

/** Limits of one extraction: checked before disk or memory grow. */
export interface ExtractLimits {
  /** total bytes written (decompressed), default DEFAULT_MAX_EXTRACT_BYTES */
  maxBytes?: number;
}

/** 64 GiB: more than any dataset of the registry unpacks to; fetchDataset derives a tighter cap from its size. */
export const DEFAULT_MAX_EXTRACT_BYTES = 64 * 2 ** 30;

/** Longest GNU long-name or pax header read into memory. */
export const MAX_NAME_HEADER_BYTES = 1 << 20;

/** Refuses a second file entry with the same path (an archive must not overwrite what it wrote). */
export class EntryNames {
  private readonly seen = new Set<string>();
  add(archive: string, path: string, name: string, offset: number): void {
    if (this.seen.has(path))
      throw new ArchiveError(archive, offset, `entry '${name}' appears twice; refusing to overwrite it`);
    this.seen.add(path);
  }
}

/** Fails with ArchiveError once `bytes` would pass the limit (before they are written). */
export function checkTotal(archive: string, bytes: number, maxBytes: number, offset = -1): void {
  if (bytes > maxBytes) {
    throw new ArchiveError(
      archive,
      offset,
      `unpacks to more than ${maxBytes} bytes (the limit for this extraction; a damaged archive or a decompression bomb)`,
    );
  }
}

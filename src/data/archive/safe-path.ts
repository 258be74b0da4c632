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

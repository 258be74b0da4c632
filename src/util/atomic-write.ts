import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The temp-file name writeFileAtomic uses beside `path` (the pid and time keep concurrent writers apart). */
function tempPath(path: string): string {
  return `${path}.${process.pid}.${Date.now()}.tmp`;
}

/**
 * Writes a file so that a reader never sees it half-written: write to a temp file beside it, then rename.
 * A crash mid-write leaves the old file intact; a failed write (a full disk) removes its temp file and says which
 * file could not be written.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot write ${path}: ${e.code ?? ""} ${e.message.replace(/^\w+: /, "")}`.replace(/\s+/g, " "));
  }
}

/**
 * Removes temp files that writeFileAtomic left beside the given files when a process was killed between write and
 * rename (`<name>.<pid>.<ms>.tmp`). Returns the paths removed.
 */
export function removeStaleTempFiles(dir: string, names: readonly string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = /^(.*)\.\d+\.\d+\.tmp$/.exec(entry);
    if (m === null || !names.includes(m[1] as string)) continue;
    rmSync(join(dir, entry), { force: true });
    removed.push(join(dir, entry));
  }
  return removed;
}

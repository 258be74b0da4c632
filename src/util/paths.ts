import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (the folder holding package.json), found from this compiled file's location. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The shared sample data folder (../shared/data beside the project), or RAZOR_SNN_SHARED_DATA if set. */
export function sharedDataDir(): string {
  return process.env.RAZOR_SNN_SHARED_DATA ?? resolve(projectRoot(), "..", "shared", "data");
}

/** Where the project caches generated and downloaded data (RAZOR_SNN_CACHE or ~/.cache/razor-snn). */
export function cacheDir(): string {
  const home = process.env.HOME ?? process.cwd();
  return process.env.RAZOR_SNN_CACHE ?? join(home, ".cache", "razor-snn");
}

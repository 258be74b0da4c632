/** Runs the razor-snn command as a user does (a child process), with its frame cache in `cacheDir`. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../src/util/paths.js";

export function runCli(cacheDir: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, RAZOR_SNN_CACHE: cacheDir },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

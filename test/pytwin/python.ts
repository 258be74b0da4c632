/**
 * Finds a Python with PyTorch for the twin's tests (python/). Outside CI a missing torch skips them with a message;
 * in CI (CI=true) it fails them: scripts/install-system-deps.sh installs python3-torch there.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

export const PYTHON_SRC = resolve("python");

function hasTorch(python: string): boolean {
  const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8" });
  return r.status === 0;
}

/** The interpreter to use, or a reason why there is none. */
export function findTorchPython(): { python: string } | { missing: string } {
  const candidates = [process.env.RAZOR_SNN_PYTHON, "/usr/bin/python3", "python3"].filter(
    (p): p is string => typeof p === "string" && p !== "",
  );
  for (const p of candidates) if (hasTorch(p)) return { python: p };
  return {
    missing: `no Python with torch and numpy among ${candidates.join(", ")} (run scripts/install-system-deps.sh, or set RAZOR_SNN_PYTHON)`,
  };
}

/** A test's skip option: a reason outside CI; in CI the test runs and fails on the missing torch. */
export function skipWithoutTorch(): string | false {
  const found = findTorchPython();
  if ("python" in found) return false;
  return process.env.CI === "true" ? false : `skipped: ${found.missing}`;
}

/** Runs `python -m <module> args` with the source tree on PYTHONPATH; throws with its output when it fails. */
export function runPython(args: string[], timeoutMs = 120_000): string {
  const found = findTorchPython();
  if (!("python" in found)) throw new Error(found.missing);
  const env = { ...process.env, PYTHONPATH: PYTHON_SRC, OMP_NUM_THREADS: "1" };
  const r = spawnSync(found.python, args, { encoding: "utf8", env, timeout: timeoutMs });
  if (r.status !== 0) {
    throw new Error(`${found.python} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

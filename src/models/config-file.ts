/**
 * Node-only: reads model configs from configs/<name>.json (or any JSON file). A file may start from another with
 * "extends": "<name or path>" and give only what differs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { projectRoot } from "../util/paths.js";
import { deepMerge, type ModelConfig, resolveModelConfig } from "./config.js";

export function configDir(): string {
  return join(projectRoot(), "configs");
}

/** Names of the bundled configs (file names without .json). */
export function listModelConfigs(): string[] {
  return readdirSync(configDir())
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

function pathOf(nameOrPath: string, relativeTo: string): string {
  if (nameOrPath.endsWith(".json") || nameOrPath.includes("/") || nameOrPath.includes("\\")) {
    return isAbsolute(nameOrPath) ? nameOrPath : resolve(relativeTo, nameOrPath);
  }
  return join(configDir(), `${nameOrPath}.json`);
}

function readRaw(nameOrPath: string, relativeTo: string, seen: Set<string>): Record<string, unknown> {
  const file = pathOf(nameOrPath, relativeTo);
  if (!existsSync(file)) {
    throw new Error(
      `model config "${nameOrPath}": no file ${file} (bundled configs: ${listModelConfigs().join(", ")})`,
    );
  }
  if (seen.has(file)) throw new Error(`model config ${file}: "extends" loops back to itself`);
  seen.add(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`model config ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`model config ${file}: expected a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  if (typeof obj.extends === "string") {
    const base = readRaw(obj.extends, dirname(file), seen);
    const { extends: _drop, ...rest } = obj;
    return deepMerge(base, rest);
  }
  return obj;
}

/**
 * Loads a config by bundled name ("nmnist", "dvs128-gesture", "cifar10-dvs", "ncaltech101", "shd", "ssc") or by
 * path, fills the common defaults, applies overrides (a nested partial config; see parseOverrides for "a.b=v"
 * strings) and validates.
 */
export function loadModelConfig(nameOrPath: string, overrides: unknown = {}): ModelConfig {
  const raw = readRaw(nameOrPath, process.cwd(), new Set());
  return resolveModelConfig(raw, overrides, `model config "${nameOrPath}"`);
}

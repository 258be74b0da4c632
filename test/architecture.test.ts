/**
 * The folders of src/ read as the data flows (docs/architecture.md): each imports only from folders before it in
 * LAYERS, and the library never imports the benchmarks.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { test } from "node:test";

const LAYERS = [
  "util",
  "events",
  "data",
  "engine",
  "nn",
  "models",
  "checkpoint",
  "nir",
  "train",
  "infer",
  "experiments",
  "web",
  "cli",
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.ts$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** (importing file, imported path relative to the repo root) for every relative import of src/. */
function relativeImports(): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const file of sources("src")) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)) {
      out.push({ file, target: normalize(join(dirname(file), m[1] as string)) });
    }
  }
  return out;
}

const folderOf = (path: string): string => relative("src", path).split(sep)[0] as string;

test("every src folder imports only from the folders before it", () => {
  const upward: string[] = [];
  for (const { file, target } of relativeImports()) {
    if (!target.startsWith(`src${sep}`)) continue;
    const from = folderOf(file);
    const to = folderOf(target);
    if (from === to || !LAYERS.includes(from)) continue;
    assert.ok(LAYERS.includes(to), `${file} imports ${target}: folder '${to}' is not in the layer list`);
    if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) upward.push(`${file} -> ${target}`);
  }
  assert.deepEqual(upward, [], `imports against the data flow:\n${upward.join("\n")}`);
});

test("every src folder is in the layer list and nothing in src imports bench/ or test/", () => {
  for (const name of readdirSync("src")) {
    if (statSync(join("src", name)).isDirectory()) assert.ok(LAYERS.includes(name), `src/${name} is not placed`);
  }
  const outside = relativeImports().filter(({ target }) => !target.startsWith(`src${sep}`));
  assert.deepEqual(
    outside.map(({ file, target }) => `${file} -> ${target}`),
    [],
  );
});

test("kernels only through the Engine API: nothing outside src/engine/ imports the wasm runtime or its kernels' wrappers", () => {
  // engine/index.ts re-exports the public pieces (createWasmEngine, the Engine type); the TS twins stay importable
  // (nn/lif.ts uses the surrogate functions for its smooth twin)
  const inside = /^src\/engine\/(runtime|wasm-runtime|wasm-dense|wasm-spike|wasm-lists)\.js$/;
  const reaching = relativeImports().filter(
    ({ file, target }) =>
      folderOf(file) !== "engine" && inside.test(target.split(sep).join("/").replace(/\.ts$/, ".js")),
  );
  assert.deepEqual(
    reaching.map(({ file, target }) => `${file} -> ${target}`),
    [],
  );
  // nor by a cast to the runtime's exports
  const casts = sources("src").filter(
    (f) => folderOf(f) !== "engine" && /\.runtime\b[^;]*\.(exports|parallel|call)\b/.test(readFileSync(f, "utf8")),
  );
  assert.deepEqual(casts, []);
});

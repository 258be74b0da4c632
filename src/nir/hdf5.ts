/**
 * NIR files through h5wasm (the Node or browser build). Reads both layouts seen in the wild: fixed-length ASCII
 * strings without compression (older writers) and variable-length UTF-8 strings with gzip datasets (current NIR
 * writer). Writes the current layout: vlen strings, gzip-compressed chunked numeric datasets.
 */
import type * as H5 from "h5wasm";
import { type NirArray, NirError, type NirFile, type NirGraph, type NirNode } from "./graph.js";

type H5Lib = typeof H5.default;
type H5Module = Awaited<typeof H5.ready>;

/** Most nodes / values per file we accept (bounds memory before allocation on hostile files). */
const MAX_NODES = 100_000;
const MAX_VALUES = 256 * 1024 * 1024;

/** HDF5 error text without the library's stack: its last "minor:" line, or the first line. */
function hdf5Detail(msg: string): string {
  const minor = /minor: ([^\n]+)/.exec(msg)?.[1];
  return (minor ?? msg.split("\n")[0] ?? msg).trim();
}

/** Reads a NIR graph from an HDF5 file at `fsPath` (a path in h5wasm's file system). */
export function readNirWith(h5: H5Lib, Module: H5Module, fsPath: string, displayName: string): NirFile {
  Module.activate_throwing_error_handler();
  const fail = (node: string | null, detail: string): never => {
    throw new NirError(displayName, node, detail);
  };
  let file: H5.File;
  try {
    file = new h5.File(fsPath, "r");
  } catch (e) {
    return fail(null, `not a readable HDF5 file (${hdf5Detail((e as Error).message ?? String(e))})`);
  }
  if (!file.file_id || file.file_id < 0n) fail(null, "not a readable HDF5 file (truncated?)");
  try {
    const get = (path: string, node: string | null): H5.Entity | null => {
      try {
        return file.get(path);
      } catch (e) {
        return fail(node, `cannot read /${path} (${hdf5Detail((e as Error).message ?? String(e))})`);
      }
    };
    const version = get("version", null);
    const versionText = version instanceof h5.Dataset ? readString(version, "version", null, fail) : "";
    if (versionText === "") fail(null, "no /version string: not a NIR file");
    const graph = readGraph(h5, get, "node", null, fail, 0);
    return { version: versionText, graph };
  } finally {
    file.close();
  }
}

type Fail = (node: string | null, detail: string) => never;
type Get = (path: string, node: string | null) => H5.Entity | null;

function readString(d: H5.Dataset, field: string, node: string | null, fail: Fail): string {
  const m = d.metadata;
  if (m.type !== 3) fail(node, `${field}: expected a string dataset (HDF5 class ${m.type})`);
  const v = d.value as unknown;
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== "string") fail(node, `${field}: expected one string`);
  // fixed-length strings may come back padded with NULs
  return (s as string).replace(/\0+$/, "");
}

function readGraph(h5: H5Lib, get: Get, path: string, name: string | null, fail: Fail, depth: number): NirGraph {
  if (depth > 16) fail(name, "subgraphs nested deeper than 16 levels");
  const group = get(path, name);
  if (!(group instanceof h5.Group)) return fail(name, `expected a group at /${path}`);
  const type = group.get("type");
  if (!(type instanceof h5.Dataset) || readString(type, "type", name, fail) !== "NIRGraph")
    fail(name, `/${path}/type must be the string "NIRGraph"`);
  const nodesGroup = get(`${path}/nodes`, name);
  if (!(nodesGroup instanceof h5.Group)) return fail(name, `no group /${path}/nodes`);
  const keys = nodesGroup.keys();
  if (keys.length > MAX_NODES) fail(name, `${keys.length} nodes (at most ${MAX_NODES})`);
  const nodes: Record<string, NirNode> = {};
  for (const key of keys) nodes[key] = readNode(h5, get, `${path}/nodes/${key}`, key, fail, depth);
  const edgesDs = get(`${path}/edges`, name);
  let edges: [string, string][] = [];
  if (edgesDs instanceof h5.Dataset) {
    const shape = edgesDs.shape ?? [];
    if (edgesDs.metadata.type !== 3) fail(name, `/${path}/edges: expected strings`);
    const n = shape[0] ?? 0;
    if (n > 0 && (shape.length !== 2 || shape[1] !== 2))
      fail(name, `/${path}/edges: expected shape [n, 2], got [${shape.join(", ")}]`);
    if (n > 0) {
      const flat = edgesDs.value as unknown as string[];
      edges = Array.from({ length: n }, (_, i) => [clean(flat[2 * i]), clean(flat[2 * i + 1])]);
    }
  } else if (edgesDs !== null) fail(name, `/${path}/edges must be a dataset`);
  const metadata = readMetadata(h5, get, path, name, fail);
  return metadata ? { nodes, edges, metadata } : { nodes, edges };
}

function clean(s: unknown): string {
  return String(s ?? "").replace(/\0+$/, "");
}

function readMetadata(
  h5: H5Lib,
  get: Get,
  path: string,
  node: string | null,
  fail: Fail,
): Record<string, string> | undefined {
  const g = get(`${path}/metadata`, node);
  if (!(g instanceof h5.Group)) return undefined;
  const out: Record<string, string> = {};
  for (const k of g.keys()) {
    const d = g.get(k);
    if (!(d instanceof h5.Dataset)) continue;
    out[k] = d.metadata.type === 3 ? readString(d, `metadata/${k}`, node, fail) : JSON.stringify(d.json_value);
  }
  return out;
}

function readNode(h5: H5Lib, get: Get, path: string, name: string, fail: Fail, depth: number): NirNode {
  const group = get(path, name);
  if (!(group instanceof h5.Group)) return fail(name, `expected a group at /${path}`);
  const typeDs = group.get("type");
  if (!(typeDs instanceof h5.Dataset)) return fail(name, "no 'type' string");
  const type = readString(typeDs, "type", name, fail);
  if (type === "NIRGraph") return { type, params: {}, graph: readGraph(h5, get, path, name, fail, depth + 1) };
  const params: Record<string, NirArray> = {};
  let values = 0;
  for (const key of group.keys()) {
    if (key === "type" || key === "metadata") continue;
    const d = group.get(key);
    if (d instanceof h5.Group) {
      // NIR >= 1.0 stores input_type/output_type as groups {input: shape}; keep the single entry
      const inner = d.keys().map((k) => d.get(k));
      if (inner.length === 1 && inner[0] instanceof h5.Dataset) params[key] = readNumeric(inner[0], key, name, fail);
      continue;
    }
    if (!(d instanceof h5.Dataset)) fail(name, `${key}: expected a dataset`);
    const arr = readNumeric(d as H5.Dataset, key, name, fail);
    values += arr.data.length;
    if (values > MAX_VALUES) fail(name, `more than ${MAX_VALUES} parameter values`);
    params[key] = arr;
  }
  const metadata = readMetadata(h5, get, path, name, fail);
  return metadata ? { type, params, metadata } : { type, params };
}

function readNumeric(d: H5.Dataset, field: string, node: string, fail: Fail): NirArray {
  const m = d.metadata;
  if (m.type !== 0 && m.type !== 1) return fail(node, `${field}: expected numbers (HDF5 class ${m.type})`);
  const shape = d.shape ?? [];
  let v: unknown;
  try {
    v = d.value;
  } catch (e) {
    return fail(node, `${field}: cannot read (${hdf5Detail((e as Error).message ?? String(e))})`);
  }
  const src: ArrayLike<number | bigint> =
    typeof v === "number" || typeof v === "bigint" ? [v] : (v as ArrayLike<number | bigint>);
  const data = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = Number(src[i]);
  const dtype = m.type === 0 ? "int64" : m.size === 8 ? "float64" : "float32";
  return { shape, data, dtype };
}

/** Writes a NIR file in the current layout (vlen UTF-8 strings, gzip numeric datasets) at `fsPath`. */
export function writeNirWith(h5: H5Lib, Module: H5Module, nir: NirFile, fsPath: string): void {
  Module.activate_throwing_error_handler();
  const file = new h5.File(fsPath, "w");
  try {
    file.create_dataset({ name: "version", data: nir.version });
    writeGraph(file.create_group("node"), nir.graph);
  } finally {
    file.close();
  }
}

function writeGraph(g: H5.Group, graph: NirGraph): void {
  g.create_dataset({ name: "type", data: "NIRGraph" });
  const flat = graph.edges.flat();
  g.create_dataset({ name: "edges", data: flat, shape: [graph.edges.length, 2] });
  const nodes = g.create_group("nodes");
  for (const [name, node] of Object.entries(graph.nodes)) {
    const ng = nodes.create_group(name);
    if (node.graph) {
      writeGraph(ng, node.graph);
      continue;
    }
    ng.create_dataset({ name: "type", data: node.type });
    for (const [key, arr] of Object.entries(node.params)) writeArray(ng, key, arr);
    writeMetadata(ng, node.metadata);
  }
  writeMetadata(g, graph.metadata);
}

function writeMetadata(g: H5.Group, metadata: Record<string, string> | undefined): void {
  if (!metadata || Object.keys(metadata).length === 0) return;
  const mg = g.create_group("metadata");
  for (const [k, v] of Object.entries(metadata)) mg.create_dataset({ name: k, data: v });
}

function writeArray(g: H5.Group, name: string, arr: NirArray): void {
  const data =
    arr.dtype === "int64"
      ? BigInt64Array.from(arr.data, (x) => BigInt(Math.round(x)))
      : arr.dtype === "float64"
        ? Float64Array.from(arr.data)
        : Float32Array.from(arr.data);
  if (arr.shape.length === 0) {
    g.create_dataset({ name, data, shape: [] });
    return;
  }
  // gzip needs chunked storage; one chunk per dataset (NIR parameters are small)
  g.create_dataset({ name, data, shape: arr.shape, compression: "gzip", chunks: arr.shape.map((s) => Math.max(1, s)) });
}

/** Reads a NIR file from bytes (browser: writes them to h5wasm's in-memory file system first). */
export function readNirBytesWith(h5: H5Lib, Module: H5Module, bytes: Uint8Array, displayName: string): NirFile {
  const fsPath = `/nir-${Date.now()}-${Math.random().toString(36).slice(2)}.nir`;
  Module.FS.writeFile(fsPath, bytes);
  try {
    return readNirWith(h5, Module, fsPath, displayName);
  } finally {
    Module.FS.unlink(fsPath);
  }
}

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { type NirFile, type NirGraph, NirError, nirArray } from "../../src/nir/graph.js";
import { NirNetwork } from "../../src/nir/network.js";
import { loadNir, saveNir } from "../../src/nir/node.js";

const FIX = fileURLToPath(new URL("../../../test/fixtures/nir/", import.meta.url));
const fix = (name: string) => join(FIX, name);
const tmp = mkdtempSync(join(tmpdir(), "nir-test-"));

/** lif_exact.csv: per step input spike, exact membrane voltage, output spike. */
function exactTrace(): { input: number[]; v: number[]; spikes: number[] } {
  const rows = readFileSync(fix("lif_exact.csv"), "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(",").map(Number));
  return { input: rows.map((r) => r[0]!), v: rows.map((r) => r[1]!), spikes: rows.map((r) => r[2]!) };
}

/** The graph with its neuron's spikes as output, plus a tap on the membrane via the LIF node's state is not exposed,
 * so we compare spikes and, for the voltage, the same LIF with the threshold lifted into an LI readout. */
function spikesOf(g: NirGraph, input: number[], dt: number): number[] {
  const net = new NirNetwork(g, "test", { dt });
  return net.run(input.map((x) => [x])).map((o) => o[0]!);
}

test("lif_norse.nir (NIR 0.1.1, Norse) reads with its types, params and edges", async () => {
  const f = await loadNir(fix("lif_norse.nir"));
  assert.equal(f.version, "0.1.1");
  assert.deepEqual(Object.keys(f.graph.nodes).sort(), ["0", "1", "input", "output"]);
  assert.deepEqual(f.graph.edges, [
    ["input", "0"],
    ["0", "1"],
    ["1", "output"],
  ]);
  const lif = f.graph.nodes["1"]!;
  assert.equal(lif.type, "LIF");
  assert.deepEqual(lif.params.tau!.shape, [1]);
  assert.equal(lif.params.tau!.dtype, "float32");
  assert.equal(Math.fround(lif.params.tau!.data[0]!), Math.fround(0.0025));
  assert.equal(lif.params.v_threshold!.data[0], Math.fround(0.1));
});

test("LIF from Norse at dt 1e-4 spikes exactly where NIR's exact LIF simulation does", async () => {
  const { input, spikes } = exactTrace();
  const want = spikes.flatMap((s, i) => (s > 0 ? [i] : []));
  assert.deepEqual(want, [460, 510, 710, 760]);
  const g = (await loadNir(fix("lif_norse.nir"))).graph;
  assert.deepEqual(
    spikesOf(g, input, 1e-4).flatMap((s, i) => (s > 0 ? [i] : [])),
    want,
  );
});

test("Rockpool's re-export scales the input by r·w = 0.96 (not 1): four spikes, each a little later", async () => {
  // Rockpool itself reported [450, 500, 710, 760] for this file (its own discretisation); under NIR's forward Euler
  // the weaker drive (24.02 × 0.04) reaches the threshold later. Pinned so a change of convention shows here.
  const { input } = exactTrace();
  const g = (await loadNir(fix("lif_rockpool.nir"))).graph;
  assert.deepEqual(
    spikesOf(g, input, 1e-4).flatMap((s, i) => (s > 0 ? [i] : [])),
    [460, 520, 720, 780],
  );
});

test("the membrane of the imported LIF follows the exact trace within forward Euler's error", async () => {
  const { input, v } = exactTrace();
  const g = (await loadNir(fix("lif_norse.nir"))).graph;
  // Same neuron without a threshold (an LI readout of the same dynamics) exposes v before the first spike
  const lif = g.nodes["1"]!;
  const li: NirGraph = {
    nodes: {
      ...g.nodes,
      "1": { type: "LI", params: { tau: lif.params.tau!, r: lif.params.r!, v_leak: lif.params.v_leak! } },
    },
    edges: g.edges,
  };
  const net = new NirNetwork(li, "li", { dt: 1e-4 });
  const out = net.run(input.map((x) => [x])).map((o) => o[0]!);
  let worst = 0;
  for (let t = 0; t < 460; t++) worst = Math.max(worst, Math.abs(out[t]! - v[t]!));
  // the exact simulation applies each input spike mid-step; Euler applies it at the step: 1 step of decay apart
  assert.ok(worst < 0.0065, `max |v - v_exact| before the first spike = ${worst}`);
  assert.ok(worst > 0, "compares real numbers");
});

test("subtract reset changes the trace after a spike; the NIR reset goes to v_reset", async () => {
  const g = (await loadNir(fix("lif_norse.nir"))).graph;
  const steady = Array(200).fill(1);
  const a = new NirNetwork(g, "a", { dt: 1e-4, reset: "nir" }).run(steady.map((x) => [x]));
  const b = new NirNetwork(g, "b", { dt: 1e-4, reset: "subtract" }).run(steady.map((x) => [x]));
  const count = (o: Float64Array[]) => o.reduce((s, x) => s + x[0]!, 0);
  assert.ok(count(b) > count(a), `subtract keeps the excess above threshold: ${count(b)} vs ${count(a)}`);
});

test("the older layout (fixed-length strings, no compression) reads the same as the current one", async () => {
  const old = await loadNir(fix("fixed_strings.nir"));
  assert.equal(old.version, "0.0.1");
  assert.equal(old.graph.nodes.fc1!.type, "Affine");
  assert.deepEqual(old.graph.edges[0], ["in", "fc1"]);
  const path = join(tmp, "rewritten.nir");
  await saveNir(old, path);
  const again = await loadNir(path);
  assert.deepEqual(again, old);
  const x = Array.from({ length: 50 }, (_, t) => [Math.sin(t), t % 3 === 0 ? 1 : 0, 0.5]);
  const a = new NirNetwork(old.graph, "old").run(x);
  const b = new NirNetwork(again.graph, "new").run(x);
  assert.deepEqual(b, a);
});

test("the N-MNIST CNN from Sinabs imports: shapes along the edges, 10 outputs, runs a step", async () => {
  const f = await loadNir(fix("cnn_sinabs.nir"));
  const net = new NirNetwork(f.graph, "cnn", { dt: 1e-3, reset: "subtract" });
  assert.deepEqual(net.inputShape, [2, 34, 34]);
  assert.deepEqual(net.outputShape, [10]);
  const shapes = Object.fromEntries(net.describe().map((d) => [d.name, d.shape]));
  assert.deepEqual(shapes["0"], [16, 16, 16]);
  assert.deepEqual(shapes["4"], [16, 8, 8]);
  assert.deepEqual(shapes["8"], [128]);
  const x = new Float64Array(2 * 34 * 34).fill(1);
  const o = net.step(x);
  assert.equal(o.length, 10);
});

/** A small graph for the error tests. */
function tiny(): NirFile {
  return {
    version: "1.0.0",
    graph: {
      nodes: {
        in: { type: "Input", params: { shape: nirArray([2], [1], "int64") } },
        fc: { type: "Affine", params: { weight: nirArray([1, 2, 3, 4], [2, 2]), bias: nirArray([0, 0], [2]) } },
        lif: {
          type: "LIF",
          params: {
            tau: nirArray([0.01, 0.01], [2]),
            r: nirArray([1, 1], [2]),
            v_leak: nirArray([0, 0], [2]),
            v_threshold: nirArray([1, 1], [2]),
          },
        },
        out: { type: "Output", params: { shape: nirArray([2], [1], "int64") } },
      },
      edges: [
        ["in", "fc"],
        ["fc", "lif"],
        ["lif", "out"],
      ],
    },
  };
}

function refuses(g: NirGraph, pattern: RegExp): void {
  assert.throws(
    () => new NirNetwork(g, "bad.nir"),
    (e: unknown) => e instanceof NirError && pattern.test(e.message) && !e.message.includes("\n"),
  );
}

test("bad graphs are refused in one line naming the node and field", () => {
  let g = tiny().graph;
  g.nodes.fc!.type = "Mystery";
  refuses(g, /node 'fc': unsupported node type 'Mystery'/);
  g = tiny().graph;
  g.edges.push(["lif", "ghost"]);
  refuses(g, /node 'ghost': edge lif -> ghost: no node named 'ghost'/);
  g = tiny().graph;
  g.edges.push(["lif", "fc"]);
  refuses(g, /is on a cycle/);
  g = tiny().graph;
  g.nodes.fc!.params.weight = nirArray([1, 2, 3], [1, 3]);
  refuses(g, /node 'fc': weight expects 3 inputs, but its input has shape \[2\]/);
  g = tiny().graph;
  g.nodes.lif!.params.tau = nirArray([0.01, Number.NaN], [2]);
  refuses(g, /node 'lif': tau: contains NaN/);
  g = tiny().graph;
  g.nodes.lif!.params.bogus = nirArray([1], [1]);
  refuses(g, /node 'lif': LIF: unknown parameter 'bogus'/);
  g = tiny().graph;
  delete g.nodes.lif!.params.v_threshold;
  refuses(g, /node 'lif': LIF: missing parameter 'v_threshold'/);
  g = tiny().graph;
  g.nodes.out!.params.shape = nirArray([3], [1], "int64");
  refuses(g, /node 'out': Output shape \[3\] does not match/);
  g = tiny().graph;
  g.nodes.d = { type: "Delay", params: { delay: nirArray([0.001, 0.001], [2]) } };
  g.edges = [
    ["in", "fc"],
    ["fc", "d"],
    ["d", "lif"],
    ["lif", "out"],
  ];
  refuses(g, /node 'd': Delay is not supported/);
});

test("truncated and non-HDF5 files are refused in one line naming the file", async () => {
  const junk = join(tmp, "junk.nir");
  writeFileSync(junk, "not hdf5 at all");
  await assert.rejects(loadNir(junk), /junk\.nir at byte 0: expected the HDF5 signature .*NIR files are HDF5/);
  const cut = join(tmp, "cut.nir");
  writeFileSync(cut, readFileSync(fix("lif_norse.nir")).subarray(0, 3000));
  await assert.rejects(loadNir(cut), (e: unknown) => e instanceof NirError && /cut\.nir: /.test(e.message));
  await assert.rejects(loadNir(join(tmp, "missing.nir")), /missing\.nir: no such file/);
});

test("subgraphs are inlined: the same result as the flat graph", () => {
  const flat = tiny().graph;
  const inner = tiny().graph;
  const nested: NirGraph = {
    nodes: { in: flat.nodes.in!, sub: { type: "NIRGraph", params: {}, graph: inner }, out: flat.nodes.out! },
    edges: [
      ["in", "sub"],
      ["sub", "out"],
    ],
  };
  const x = Array.from({ length: 40 }, (_, t) => [t % 2, 0.3]);
  assert.deepEqual(new NirNetwork(nested, "n").run(x), new NirNetwork(flat, "f").run(x));
});

test("a written file loads in h5py as NIR's reader sees it (types, edges, shapes)", async (t) => {
  const py = "/usr/bin/python3";
  const probe = spawnSync(py, ["-c", "import h5py"], { encoding: "utf8" });
  if (probe.status !== 0) {
    t.skip("python3 with h5py not available");
    return;
  }
  const path = join(tmp, "cnn.nir");
  copyFileSync(fix("cnn_sinabs.nir"), join(tmp, "orig.nir"));
  await saveNir(await loadNir(join(tmp, "orig.nir")), path);
  const script = fileURLToPath(new URL("../../../scripts/check-nir.py", import.meta.url));
  const r = spawnSync(py, [script, path, join(tmp, "orig.nir")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /15 nodes, 14 edges/);
});

test("loadNir reads an untrusted file in a worker first: a time limit it cannot meet is a one-line error", async () => {
  await assert.rejects(
    loadNir(fix("cnn_sinabs.nir"), { timeoutMs: 1 }),
    (e: unknown) =>
      e instanceof NirError &&
      /cnn_sinabs\.nir: the HDF5 library did not finish reading the file within 1 ms/.test(e.message),
  );
  const trusted = await loadNir(fix("cnn_sinabs.nir"), { trusted: true });
  assert.deepEqual(trusted, await loadNir(fix("cnn_sinabs.nir")));
});

/**
 * NIR import: a graph mapped onto razor-snn's kernels (float32) spikes exactly as the NirNetwork runner (float64) on
 * NIR's fixtures, through a checkpoint, in batch and streaming; what the kernels cannot compute exactly is refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import "../../src/engine/index.js";
import { decodeCheckpoint, loadModelTensors } from "../../src/checkpoint/checkpoint.js";
import { modelFromCheckpoint } from "../../src/checkpoint/model-from-checkpoint.js";
import { decodeSafeTensors, encodeSafeTensors } from "../../src/checkpoint/safetensors.js";
import { readEventFile } from "../../src/events/node.js";
import { toFrames } from "../../src/events/transforms/frames.js";
import { GraphStreamRunner } from "../../src/infer/graph-stream.js";
import { GraphModel } from "../../src/models/graph-model.js";
import { type NirFile, NirError, nirArray } from "../../src/nir/graph.js";
import { importNir } from "../../src/nir/import.js";
import { nirCheckpoint } from "../../src/nir/import-checkpoint.js";
import { NirNetwork } from "../../src/nir/network.js";
import { loadNir } from "../../src/nir/node.js";
import { float32Above, float32Below } from "../../src/nir/threshold.js";
import type { Json } from "../../src/util/json.js";
import { argmax } from "../../src/util/argmax.js";
import { Rng } from "../../src/util/rng.js";
import { loadViewerModel, runViewerModel } from "../../src/web/model-runner.js";

const FIX = fileURLToPath(new URL("../../../test/fixtures/nir/", import.meta.url));
const NMNIST = fileURLToPath(new URL("../../../../shared/data/nmnist/small/", import.meta.url));

function graphModel(nir: NirFile, file: string, dt: number): GraphModel {
  const { spec, tensors } = importNir(nir, file, { dt });
  const model = new GraphModel(spec);
  loadModelTensors(model, tensors, file);
  return model;
}

/** Runs both on frames [T × frame]; returns per spiking node its spikes per frame, model and runner. */
function compare(model: GraphModel, net: NirNetwork, x: Float32Array, T: number) {
  const frame = x.length / T;
  const out = model.forward({ data: x, shape: [T, 1, ...model.config.input] });
  const lifs = model.config.ops.filter((o) => o.type === "lif").map((o) => o.name);
  const mine = model.counts().map((c) => Array.from(c.outputSpikes));
  const theirs: number[][] = lifs.map(() => []);
  const outNir: number[] = [];
  net.reset();
  for (let t = 0; t < T; t++) {
    outNir.push(...net.step(x.subarray(t * frame, (t + 1) * frame)));
    for (const [l, n] of lifs.entries()) theirs[l]!.push(net.valueOf(n).reduce((a, b) => a + b, 0));
  }
  return { mine, theirs, out: Array.from(out.data), outNir };
}

test("float32Above/Below: NIR's v > th is exactly U >= float32Above(th) for float32 U", () => {
  for (const th of [0.3, 1, 0.1, -0.25, 0, 1e-30, Math.fround(0.3)]) {
    const up = float32Above(th);
    assert.ok(up > th && Math.fround(up) === up);
    assert.ok(float32Below(up) <= th && float32Below(up) < up);
    // nothing float32 lies strictly between th and up
    assert.ok(Math.fround((th + up) / 2) === up || Math.fround((th + up) / 2) <= th);
  }
  assert.equal(float32Above(float32Below(Math.fround(0.3))), Math.fround(0.3));
});

test("lif_norse.nir imported at dt 1e-4 spikes where the runner and NIR's exact LIF do (460, 510, 710, 760)", async () => {
  const file = join(FIX, "lif_norse.nir");
  const nir = await loadNir(file);
  const input = readFileSync(join(FIX, "lif_exact.csv"), "utf8")
    .trim()
    .split("\n")
    .map((l) => Number(l.split(",")[0]));
  const model = graphModel(nir, file, 1e-4);
  const r = compare(model, new NirNetwork(nir.graph, file, { dt: 1e-4 }), Float32Array.from(input), input.length);
  // the engine's membrane (U before the threshold, float32) against forward Euler in float64
  const u = (model.stages.at(-1)!.module as unknown as { u: { peek(): Float32Array } }).u.peek();
  const p = (k: string) => nir.graph.nodes["1"]!.params[k]!.data[0]!;
  const w = nir.graph.nodes["0"]!.params.weight!.data[0]!;
  let v = 0;
  let worst = 0;
  for (let t = 0; t < input.length; t++) {
    const vi = v + (1e-4 / p("tau")) * (p("v_leak") - v + p("r") * w * input[t]!);
    worst = Math.max(worst, Math.abs(vi - u[t]!));
    v = vi > p("v_threshold") ? 0 : vi;
  }
  assert.ok(worst < 1e-6, `membrane within ${worst} of float64 Euler`);
  model.dispose();
  assert.deepEqual(r.out, r.outNir);
  assert.deepEqual(
    r.out.flatMap((s, i) => (s > 0 ? [i] : [])),
    [460, 510, 710, 760],
  );
});

/** N-MNIST recordings framed as NIR's paper did (1 ms windows of counts per polarity, y, x). */
async function nmnistFrames(id: number): Promise<{ data: Float32Array; T: number }> {
  const ev = (await readEventFile(join(NMNIST, `${id}.bs2`))).stream;
  const f = toFrames(ev, { mode: "timeWindow", dt: 1000, convention: "tonic", includeIncomplete: true });
  return { data: Float32Array.from(f.data), T: f.shape[0] };
}

test("cnn_sinabs.nir (conv + SumPool2d + IF) on N-MNIST: every layer's spikes per frame equal the runner's", async () => {
  const file = join(FIX, "cnn_sinabs.nir");
  const nir = await loadNir(file);
  const model = graphModel(nir, file, 1e-3);
  const net = new NirNetwork(nir.graph, file, { dt: 1e-3 });
  let spikes = 0;
  for (const id of [1, 2, 3]) {
    const { data, T } = await nmnistFrames(id);
    const r = compare(model, net, data, T);
    assert.deepEqual(r.mine, r.theirs, `recording ${id}: spikes per layer and frame`);
    assert.deepEqual(r.out, r.outNir);
    spikes += r.mine.flat().reduce((a, b) => a + b, 0);
  }
  // random dense count frames too (the dense conv path for the encoder)
  const rng = new Rng(5);
  const x = new Float32Array(20 * 2 * 34 * 34).map(() => (rng.uniform() < 0.4 ? Math.floor(rng.uniform() * 3) : 0));
  const r = compare(model, net, x, 20);
  assert.deepEqual(r.mine, r.theirs);
  model.dispose();
  assert.ok(spikes > 1000, `the recordings drive the network (${spikes} spikes)`);
});

async function checkpointBytes(): Promise<Uint8Array> {
  const file = join(FIX, "cnn_sinabs.nir");
  return nirCheckpoint(await loadNir(file), file, { frames: 400 }).bytes;
}

test("through a checkpoint: batch forward and the event stream give the same spikes and SOPs frame by frame", async () => {
  const bytes = await checkpointBytes();
  const { model, pre } = modelFromCheckpoint(decodeCheckpoint(bytes, "cnn.safetensors"), "cnn.safetensors");
  assert.ok(model instanceof GraphModel);
  const ev = (await readEventFile(join(NMNIST, "4.bs2"))).stream;
  const stream = new GraphStreamRunner(model, { dtUs: pre.dtUs!, downsample: 1 });
  const frames = [...stream.push(ev), ...stream.flush()];
  const T = frames.length;
  const f = toFrames(ev, { mode: "timeWindow", dt: 1000, includeIncomplete: true });
  assert.equal(f.shape[0], T);
  const out = model.forward({ data: Float32Array.from(f.data), shape: [T, 1, 2, 34, 34] });
  for (let t = 0; t < T; t++)
    assert.deepEqual(
      Array.from(frames[t]!.frameSpikes),
      Array.from(out.data.subarray(t * 10, (t + 1) * 10)),
      `frame ${t}`,
    );
  const sops = model.counts().reduce((a, c) => a + c.sops, 0);
  assert.ok(sops > 0);
  // the same events × fan-out, summed per frame instead of per layer (fan-outs are fractional at conv borders)
  const streamed = frames.reduce((a, fr) => a + fr.sops, 0);
  assert.ok(Math.abs(streamed - sops) < 1e-9 * sops, `${streamed} vs ${sops}`);
  model.dispose();
});

test("checkpoint metadata of an imported graph is checked as strictly as any other", async () => {
  const bytes = await checkpointBytes();
  const ck = decodeCheckpoint(bytes, "a");
  const load = (mutate: (m: Record<string, Json>) => void) => {
    const c = decodeCheckpoint(bytes, "a");
    mutate(c.meta as unknown as Record<string, Json>);
    return () => modelFromCheckpoint(c, "a.safetensors");
  };
  const oneLine = (re: RegExp) => (e: unknown) => e instanceof Error && re.test(e.message) && !e.message.includes("\n");
  assert.throws(
    load((m) => {
      (m.model as { ops: Record<string, Json>[] }).ops[0]!.dilation = 2;
    }),
    oneLine(/graph ops\[0\]\.dilation must be absent/),
  );
  assert.throws(
    load((m) => {
      (m.model as { ops: Record<string, Json>[] }).ops[1]!.alpha = 1.5;
    }),
    oneLine(/graph ops\[1\]\.alpha must be a decay in \[0, 1\]/),
  );
  assert.throws(
    load((m) => {
      m.thresholds = [null, 0.5];
    }),
    oneLine(/thresholds must be null for an imported graph/),
  );
  assert.throws(
    load((m) => {
      (m.model as { classes: number }).classes = 11;
    }),
    oneLine(/graph classes must be the output size/),
  );
  // the provenance key must come with a graph model and only with one
  const raw = decodeSafeTensors(bytes, "a");
  const { "razor_snn.nir": nirMeta, ...rest } = raw.metadata;
  assert.throws(
    () => decodeCheckpoint(encodeSafeTensors(raw.tensors, rest), "b"),
    oneLine(/b: an imported graph model without razor_snn\.nir metadata/),
  );
  const bad = { ...raw.metadata, "razor_snn.nir": nirMeta!.replace('"nir"}', '"subtract"}') };
  assert.throws(() => decodeCheckpoint(encodeSafeTensors(raw.tensors, bad), "c"), oneLine(/c: razor_snn\.nir must be/));
  assert.equal(ck.meta.nir?.dt, 1e-3);
});

/** A one-layer graph: in → fc → lif → out. */
function tiny(lif: Record<string, number[]> = {}, type = "LIF"): NirFile {
  const p = (v: number[]) => nirArray(v, [v.length]);
  return {
    version: "1.0.0",
    graph: {
      nodes: {
        in: { type: "Input", params: { shape: nirArray([2], [1], "int64") } },
        fc: { type: "Affine", params: { weight: nirArray([1, 2, 3, 4], [2, 2]), bias: p([0, 0]) } },
        lif: {
          type,
          params: Object.fromEntries(
            Object.entries({ tau: [0.01, 0.01], r: [1, 1], v_leak: [0, 0], v_threshold: [1, 1], ...lif })
              .filter(([k]) => type === "LIF" || !["tau", "v_leak"].includes(k))
              .map(([k, v]) => [k, p(v)]),
          ),
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

test("what razor-snn's kernels would compute differently is refused in one line naming node and field", () => {
  const refuses = (nir: NirFile, re: RegExp, reset: "nir" | "subtract" = "nir", dt = 1e-3) =>
    assert.throws(
      () => importNir(nir, "g.nir", { dt, reset }),
      (e: unknown) => e instanceof NirError && re.test(e.message) && !e.message.includes("\n"),
    );
  refuses(tiny(), /node 'lif': --reset subtract: razor-snn's LIF resets to 0/, "subtract");
  refuses(tiny({ tau: [0.01, 0.02] }), /node 'lif': tau: differs between neurons/);
  refuses(tiny({ v_leak: [0.1, 0.1] }), /node 'lif': v_leak: razor-snn's LIF leaks towards 0/);
  refuses(tiny({ v_reset: [0.5, 0.5] }), /node 'lif': v_reset: 0.5; razor-snn's LIF resets to 0/);
  refuses(tiny(), /node 'lif': tau: 0.01 s is shorter than dt 0.1 s/, "nir", 0.1);
  const li = tiny();
  li.graph.nodes.lif = {
    type: "LI",
    params: { tau: nirArray([0.01], [1]), r: nirArray([1], [1]), v_leak: nirArray([0], [1]) },
  };
  refuses(li, /node 'lif': LI: no razor-snn kernel computes it/);
  const branch = tiny();
  branch.graph.nodes.fc2 = { ...branch.graph.nodes.fc! };
  branch.graph.edges.push(["in", "fc2"], ["fc2", "lif"]);
  refuses(branch, /node 'in': feeds 2 nodes; razor-snn runs chains/);
  const noSpikes = tiny();
  noSpikes.graph.edges = [
    ["in", "fc"],
    ["fc", "out"],
  ];
  delete noSpikes.graph.nodes.lif;
  refuses(noSpikes, /the Output must come from a LIF or IF node/);
  // what does map: IF with soft reset (v_reset = the float32 above v_threshold), LIF with an input factor
  const soft = importNir(tiny({ v_reset: [float32Above(1), float32Above(1)] }, "IF"), "g.nir", { dt: 1e-3 });
  assert.deepEqual(soft.spec.ops.at(-1), { type: "lif", name: "lif", alpha: 1, vth: float32Above(1), reset: "soft" });
  const lif = importNir(tiny(), "g.nir", { dt: 1e-3 });
  assert.deepEqual(
    lif.spec.ops.map((o) => o.type),
    ["linear", "scale", "lif"],
  );
  assert.ok(Math.abs((lif.spec.ops[1] as { factor: number }).factor - 0.1) < 1e-12);
});

test("soft and hard reset and an input factor: the imported tiny graph spikes as the runner on random input", () => {
  const rng = new Rng(3);
  for (const nir of [tiny(), tiny({ v_reset: [float32Above(1), float32Above(1)] }, "IF"), tiny({ r: [3, 3] })]) {
    const model = graphModel(nir, "g.nir", 1e-3);
    const x = new Float32Array(200 * 2).map(() => rng.uniform() * 2 - 0.5);
    const r = compare(model, new NirNetwork(nir.graph, "g.nir", { dt: 1e-3 }), x, 200);
    assert.deepEqual(r.out, r.outNir);
    assert.ok(r.out.some((s) => s > 0));
    model.dispose();
  }
});

test("the viewer loads an imported graph and runs it: one run (nothing to mask), SOPs, the runner's prediction", async () => {
  const vm = loadViewerModel(await checkpointBytes(), "cnn.safetensors");
  assert.deepEqual(vm.info.maskedLayers, []);
  assert.equal(vm.info.kind, "nir-graph");
  const ev = (await readEventFile(join(NMNIST, "5.bs2"))).stream;
  const r = runViewerModel(vm, ev, 1, null, "5.bs2");
  assert.deepEqual(r.masked.outputs, r.unmasked.outputs);
  assert.ok(r.masked.sops > 0);
  const file = join(FIX, "cnn_sinabs.nir");
  const nir = await loadNir(file);
  const net = new NirNetwork(nir.graph, file, { dt: 1e-3 });
  const frame = 2 * 34 * 34;
  const counts = new Float64Array(10);
  for (let t = 0; t < r.timesteps; t++) {
    const o = net.step(r.frames.subarray(t * frame, (t + 1) * frame));
    for (let k = 0; k < 10; k++) counts[k]! += o[k]!;
  }
  assert.equal(r.masked.predicted, argmax(counts));
  vm.model.dispose();
});

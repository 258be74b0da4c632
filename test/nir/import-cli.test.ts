/**
 * `nir import` as a user runs it: the N-MNIST CNN of NIR's paper (conv + SumPool2d + IF) imported, then `eval`,
 * `infer` (batch and --stream) on real recordings give the NirNetwork runner's predictions; the pruning tools say in
 * one line that pruning does not apply.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import "../../src/engine/index.js";
import { pipelineFor } from "../../src/checkpoint/preprocess.js";
import { loadAnyCheckpointModel } from "../../src/checkpoint/load-model.js";
import { readEventFile } from "../../src/events/node.js";
import { NirNetwork } from "../../src/nir/network.js";
import { loadNir } from "../../src/nir/node.js";
import { argmax } from "../../src/util/argmax.js";
import { projectRoot, sharedDataDir } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "nir-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const GRAPH = join(projectRoot(), "test", "fixtures", "nir", "cnn_sinabs.nir");
const NMNIST = join(sharedDataDir(), "nmnist", "small");
const IDS = [11, 12, 13, 14, 15, 16];

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, RAZOR_SNN_CACHE: join(dir, "cache") },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The runner's class per recording on the checkpoint's own frames (ties: lowest class; -1 without spikes). */
async function runnerPredictions(checkpoint: string): Promise<number[]> {
  const { model, pre } = loadAnyCheckpointModel(checkpoint);
  model.dispose();
  const net = new NirNetwork((await loadNir(GRAPH)).graph, GRAPH, { dt: 1e-3 });
  const frame = 2 * 34 * 34;
  const out: number[] = [];
  for (const id of IDS) {
    const f = pipelineFor(pre).toFrames((await readEventFile(join(NMNIST, `${id}.bs2`))).stream);
    const counts = new Float64Array(10);
    net.reset();
    for (let t = 0; t < f.shape[0]; t++) {
      const o = net.step(f.data.subarray(t * frame, (t + 1) * frame));
      for (let k = 0; k < 10; k++) counts[k]! += o[k]!;
    }
    out.push(counts.some((c) => c > 0) ? argmax(counts) : -1);
  }
  return out;
}

test("nir import → eval and infer (batch, --stream) predict as the NirNetwork runner on N-MNIST", async () => {
  const ck = join(dir, "cnn.safetensors");
  const imp = cli("nir", "import", GRAPH, "--out", ck, "--frames", "320");
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /5 spiking layers/);
  const want = await runnerPredictions(ck);
  const labelLines = readFileSync(join(NMNIST, "train1K.txt"), "utf8")
    .split("\n")
    .filter((l) => IDS.includes(Number(l.split("\t")[0])));
  writeFileSync(join(dir, "labels.txt"), `${labelLines.join("\n")}\n`);
  const ev = cli("eval", "--checkpoint", ck, "--data", NMNIST, "--labels", join(dir, "labels.txt"), "--json");
  assert.equal(ev.code, 0, ev.err);
  const labels = labelLines.map((l) => Number(l.split("\t")[1]));
  const correct = want.filter((p, i) => p === labels[i]).length;
  assert.equal(JSON.parse(ev.out).correct, correct);
  const recs = IDS.map((id) => join(NMNIST, `${id}.bs2`));
  const batch = JSON.parse(cli("infer", "--checkpoint", ck, ...recs, "--json").out);
  assert.deepEqual(
    batch.recordings.map((r: { prediction: number }) => r.prediction),
    want,
  );
  assert.ok(batch.recordings.every((r: { efficiency: { sops: number } }) => r.efficiency.sops > 0));
  // the stream (GapLif per LIF, one frame at a time) ends with the counts of a batch run over the same frames
  const stream = cli("infer", "--checkpoint", ck, "--stream", recs[0]!, "--json");
  assert.equal(stream.code, 0, stream.err);
  const streamed = JSON.parse(stream.out).recordings[0];
  const ckT = join(dir, "cnn-T.safetensors");
  assert.equal(cli("nir", "import", GRAPH, "--out", ckT, "--frames", String(streamed.T)).code, 0);
  const whole = JSON.parse(cli("infer", "--checkpoint", ckT, recs[0]!, "--json").out).recordings[0];
  assert.equal(whole.T, streamed.T);
  assert.deepEqual(streamed.counts, whole.counts);
  assert.ok(Math.abs(streamed.efficiency.sops - whole.efficiency.sops) < 1e-9 * whole.efficiency.sops);
});

test("pruning tools on an imported graph: one line saying pruning does not apply", () => {
  const ck = join(dir, "cnn2.safetensors");
  assert.equal(cli("nir", "import", GRAPH, "--out", ck).code, 0);
  const rec = join(NMNIST, "1.bs2");
  for (const args of [
    ["infer", "--checkpoint", ck, "--threshold", "0.4", rec],
    ["infer", "--checkpoint", ck, "--gap-floor", "2", rec],
    ["sweep", "--checkpoint", ck, "--data", NMNIST],
    ["nir", "export", ck, "--out", join(dir, "x.nir")],
  ]) {
    const r = cli(...args);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /pruning does not apply|an imported NIR graph already/, args.join(" "));
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
  }
  const sub = cli("nir", "import", GRAPH, "--out", join(dir, "s.safetensors"), "--reset", "subtract");
  assert.match(sub.err, /node '1': --reset subtract/);
  assert.equal(sub.err.trim().split("\n").length, 1);
});

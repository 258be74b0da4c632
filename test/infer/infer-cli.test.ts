/** `razor-snn infer` as a user runs it, on a checkpoint written here and real N-MNIST recordings. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import "../../src/engine/index.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import { encodeCheckpoint } from "../../src/checkpoint/checkpoint.js";
import { writeBytesAtomic } from "../../src/checkpoint/checkpoint-file.js";
import { preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { projectRoot, sharedDataDir } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-infer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** An untrained N-MNIST Razor model with louder weights (so every layer fires), saved as a checkpoint. */
function writeCheckpoint(): string {
  const config = loadModelConfig("nmnist", { variant: "razor", seed: 4 });
  const model = buildModel(config);
  for (const p of model.parameters()) {
    if (p.name.endsWith(".weight") && p.shape.length >= 2) p.value.forEach((v, i, a) => void (a[i] = v * 4));
  }
  const pre = preprocessingFor(config, { width: 34, height: 34, polarities: 2 });
  const file = join(dir, "model.safetensors");
  const bytes = encodeCheckpoint(model, {
    model: config as never,
    preprocessing: pre as never,
    thresholds: null,
    training: {},
  });
  writeBytesAtomic(file, bytes);
  model.dispose();
  return file;
}

const recordings = ["1.bs2", "2.bs2"].map((f) => join(sharedDataDir(), "nmnist", "small", f));

test("infer --json: a prediction per recording; thresholds drop frames; --stream covers the recording frame by frame", () => {
  const ck = writeCheckpoint();
  const plain = cli("infer", "--checkpoint", ck, ...recordings, "--json", "--threads", "1");
  assert.equal(plain.code, 0, plain.err);
  const a = JSON.parse(plain.out);
  assert.equal(a.recordings.length, 2);
  for (const r of a.recordings) {
    assert.ok(r.prediction >= 0 && r.prediction < 10, `prediction ${r.prediction}`);
    assert.ok(r.confidence > 0 && r.confidence <= 1);
    assert.equal(r.format, "atis40");
    for (const k of r.framesKept) assert.equal(k.kept, k.frames, "no threshold: every frame computed");
    assert.ok(r.efficiency.sops > 0);
  }
  const pruned = cli("infer", "--checkpoint", ck, recordings[0]!, "--json", "--threshold", "0.7", "--compare");
  assert.equal(pruned.code, 0, pruned.err);
  const p = JSON.parse(pruned.out).recordings[0];
  assert.ok(
    p.framesKept.some((k: { kept: number; frames: number }) => k.kept < k.frames),
    "θ = 0.7 drops frames",
  );
  assert.ok(p.efficiency.sops < a.recordings[0].efficiency.sops, "dropped frames cost no SOPs");
  assert.ok(typeof p.unmaskedMs === "number");
  const text = cli("infer", "--checkpoint", ck, recordings[0]!, "--threshold", "0.7");
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /class \d, confidence/);
  assert.match(text.out, /frames computed per layer: 15\/15 \d+\/15/);
  const stream = cli("infer", "--checkpoint", ck, recordings[0]!, "--stream", "--chunk", "100", "--json");
  assert.equal(stream.code, 0, stream.err);
  const s = JSON.parse(stream.out).recordings[0];
  assert.ok(s.frames.length >= 15, "the stream covers the whole recording in frames of dt");
  assert.equal(s.frames.length, s.T);
});

test("infer errors: missing checkpoint, missing recording, wrong threshold list", () => {
  const none = cli("infer", "--checkpoint", join(dir, "nope.safetensors"), recordings[0]!);
  assert.notEqual(none.code, 0);
  assert.match(none.err, /nope\.safetensors/);
  assert.doesNotMatch(none.err, /at .*\.js:\d+/, "no stack trace");
  const ck = writeCheckpoint();
  const noRec = cli("infer", "--checkpoint", ck);
  assert.match(noRec.err, /at least one recording/);
  const bad = cli("infer", "--checkpoint", ck, recordings[0]!, "--threshold", "0.1,0.2");
  assert.match(bad.err, /expected 1 value or 4/);
});

/** The train / eval / sweep commands as a user runs them (child processes), on a small slice of real N-MNIST. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../cli-run.js";
import { sharedDataDir } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(join(dir, "cache"), args);

test("train writes checkpoints and a log; eval --json reports accuracy, n and per-class counts", () => {
  const out = join(dir, "run");
  const t = cli(
    "train",
    "--dataset",
    "nmnist-small",
    "--model",
    "razor",
    "--out",
    out,
    "--epochs",
    "1",
    "--limit-train",
    "48",
    "--limit-val",
    "20",
    "--batch",
    "16",
    "--threads",
    "2",
    "--quiet",
  );
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /final-epoch validation accuracy \(epoch 1\)/);
  assert.match(t.out, /best-epoch validation accuracy \(epoch 1\)/);
  for (const f of ["last.safetensors", "best.safetensors", "train-state.safetensors", "log.jsonl", "summary.json"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const small = join(sharedDataDir(), "nmnist", "small");
  const e = cli(
    "eval",
    "--checkpoint",
    join(out, "last.safetensors"),
    "--data",
    small,
    "--labels",
    join(small, "train1K.txt"),
    "--limit",
    "30",
    "--json",
  );
  assert.equal(e.code, 0, e.err);
  const r = JSON.parse(e.out) as { accuracy: number; n: number; perClass: { n: number; correct: number }[] };
  assert.equal(r.n, 30);
  assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
  assert.equal(r.perClass.length, 10);
  assert.equal(
    r.perClass.reduce((a, c) => a + c.n, 0),
    30,
  );
  assert.equal(
    r.perClass.reduce((a, c) => a + c.correct, 0),
    Math.round(r.accuracy * 30),
  );
  // without --dataset the checkpoint's own data (the validation split of the 900/100 split) is used
  const d = cli("eval", "--checkpoint", join(out, "last.safetensors"), "--json");
  assert.equal(d.code, 0, d.err);
  assert.equal((JSON.parse(d.out) as { n: number }).n, 100);
  const s = cli(
    "sweep",
    "--checkpoint",
    join(out, "last.safetensors"),
    "--targets",
    "0,0.5",
    "--limit",
    "20",
    "--calib-limit",
    "20",
    "--out",
    join(dir, "sweep"),
  );
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /random frames/);
  assert.ok(readFileSync(join(dir, "sweep", "sweep.svg"), "utf8").startsWith("<svg"));
  const resumeOver = cli("train", "--dataset", "nmnist-small", "--out", out, "--epochs", "1", "--quiet");
  assert.notEqual(resumeOver.code, 0);
  assert.match(resumeOver.err, /already holds a training run .* --resume/);
});

test("train --learned-pruning, then sweep compares learned masks with post-hoc θ and the gate (text + JSON)", () => {
  const out = join(dir, "learned");
  const common = ["--limit-train", "48", "--limit-val", "20", "--batch", "16", "--threads", "2", "--quiet"];
  const t = cli(
    "train",
    "--dataset",
    "nmnist-small",
    "--learned-pruning",
    "0.5",
    "--out",
    out,
    "--epochs",
    "1",
    ...common,
  );
  assert.equal(t.code, 0, t.err);
  const s = cli(
    "sweep",
    "--checkpoint",
    join(out, "last.safetensors"),
    "--learned-only",
    "--reference",
    join(dir, "run", "last.safetensors"),
    "--limit",
    "20",
    "--calib-limit",
    "20",
    "--out",
    join(dir, "learned-sweep"),
  );
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /keep-rate target 50\.0 %/);
  for (const row of ["learned masks", "post-hoc θ, same model", "post-hoc θ, reference model", "event-count gate"])
    assert.ok(s.out.includes(`| ${row}`), row);
  const json = JSON.parse(readFileSync(join(dir, "learned-sweep", "sweep.json"), "utf8"));
  assert.equal(json.learned.keepTarget, 0.5);
  assert.equal(json.learned.learned.n, 20);
  assert.deepEqual(json.learned.controls.gate.dropPerLayer, json.learned.learned.dropPerLayer);
  assert.equal(json.points, undefined, "--learned-only skips the threshold sweep");
  const bad = cli("train", "--dataset", "nmnist-small", "--learned-pruning", "1.5", "--out", join(dir, "y"));
  assert.match(bad.err, /--learned-pruning 1\.5: expected a keep rate in \(0, 1\]/);
  const ta = cli(
    "train",
    "--dataset",
    "nmnist-small",
    "--model",
    "ta",
    "--learned-pruning",
    "0.5",
    "--out",
    join(dir, "y"),
  );
  assert.match(ta.err, /needs --model razor, not ta/);
  const notLearned = cli("sweep", "--checkpoint", join(dir, "run", "last.safetensors"), "--learned-only");
  assert.match(notLearned.err, /not trained with learned pruning/);
});

test("a recording from a larger sensor than the checkpoint's is a clear error", () => {
  const labels = join(dir, "gesture-labels.txt");
  writeFileSync(labels, Array.from({ length: 10 }, (_, i) => `${i + 1}\t${i}`).join("\n"));
  const gesture = join(sharedDataDir(), "dvs_gesture", "slayerPytorch_binarySpikeTestFiles");
  const e = cli("eval", "--checkpoint", join(dir, "run", "last.safetensors"), "--data", gesture, "--labels", labels);
  assert.notEqual(e.code, 0);
  assert.match(e.err, /sample 1: .*128×128 sensor, but the network was trained on 34×34/);
  assert.doesNotMatch(e.err, /\n\s+at /, "no stack trace");
});

test("missing data and bad options say what was expected where", () => {
  const m = cli("train", "--dataset", "nmnist", "--data", join(dir, "nowhere"), "--out", join(dir, "x"));
  assert.notEqual(m.code, 0);
  assert.match(m.err, /nowhere/);
  const n = cli("train", "--out", join(dir, "x"));
  assert.match(n.err, /say which data: --dataset NAME/);
  const c = cli("eval", "--checkpoint", join(dir, "missing.safetensors"));
  assert.match(c.err, /missing.safetensors does not exist/);
  const v = cli("train", "--dataset", "nmnist-small", "--model", "cnn", "--out", join(dir, "x"));
  assert.match(v.err, /--model cnn: expected razor, ta or snn/);
  assert.equal(cli("train", "--help").code, 0);
});

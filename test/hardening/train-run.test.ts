/**
 * Issue #12: a training run refuses what would silently change it (resume with other settings, nonsense options),
 * checks its output folder before training, and leaves no temp files behind after a kill or a full disk.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { projectRoot } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-hard-run-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number; out: string; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, RAZOR_SNN_CACHE: join(dir, "cache") },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

const small = ["--dataset", "nmnist-small", "--limit-train", "16", "--limit-val", "8", "--batch", "8", "--quiet"];

function oneLineError(r: { code: number; err: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0, "non-zero exit");
  const lines = r.err.trim().split("\n");
  assert.equal(lines.length, 1, `one line: ${r.err}`);
  assert.match(lines[0]!, pattern);
}

const run = join(dir, "run");

test("a run trains for one epoch (the base of the resume checks below)", () => {
  const r = cli("train", ...small, "--model", "razor", "--epochs", "1", "--threads", "1", "--out", run);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(run, "train-state.safetensors")));
});

test("--resume refuses any change of model, config, data or training options, naming the field", () => {
  const base = ["train", "--epochs", "2", "--threads", "1", "--out", run, "--resume"];
  const cases: [string[], RegExp][] = [
    [[...small, "--model", "snn"], /cannot resume: model.variant was "razor" in the saved run, "snn" now/],
    [
      [...small.map((a) => (a === "8" ? "4" : a)), "--model", "razor"],
      /cannot resume: (batchSize|data.validationSamples)/,
    ],
    [[...small, "--model", "razor", "--lr", "0.5"], /cannot resume: lr was 0.001 in the saved run, 0.5 now/],
    [
      [...small, "--model", "razor", "--set", "razor.K=8"],
      /cannot resume: model.razor.K was 4 in the saved run, 8 now/,
    ],
    [
      [...small.map((a) => (a === "16" ? "24" : a)), "--model", "razor"],
      /cannot resume: data.trainSamples was 16 in the saved run, 24 now/,
    ],
  ];
  for (const [args, pattern] of cases) oneLineError(cli(...base, ...args), pattern);
});

test("numeric options and --set paths are validated before anything runs", () => {
  const out = join(dir, "never");
  const cases: [string[], RegExp][] = [
    [["train", ...small, "--epochs", "0", "--out", out], /--epochs 0: expected at least 1/],
    [["train", ...small, "--lr=-1", "--out", out], /--lr -1: expected a learning rate > 0/],
    [["train", ...small, "--lr", "-1", "--out", out], /Option '--lr' argument is ambiguous. Did you forget/],
    [["train", ...small, "--set", "nosuch.key=5", "--out", out], /nosuch must be one of the known keys/],
    [["train", ...small, "--set", "razor.nosuch=5", "--out", out], /razor.nosuch must be one of the known keys/],
    [["eval", "--checkpoint", join(run, "last.safetensors"), "--limit", "0"], /--limit 0: expected at least 1/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args);
    oneLineError(r, pattern);
  }
  assert.ok(!existsSync(join(out, "last.safetensors")), "nothing was trained");
});

test("an --out that cannot be created fails before training, naming the folder", () => {
  const file = join(dir, "a-file");
  writeFileSync(file, "x");
  const r = cli("train", ...small, "--epochs", "1", "--out", join(file, "sub"));
  oneLineError(r, /--out .*a-file\/sub: cannot write there \(ENOTDIR\)/);
});

test("temp files a killed run left beside its files are removed when the run resumes", () => {
  const stale = join(run, `last.safetensors.99999.${Date.now()}.tmp`);
  writeFileSync(stale, "partial");
  const unrelated = join(run, "notes.txt.1.2.tmp");
  writeFileSync(unrelated, "not ours");
  const r = cli("train", ...small, "--model", "razor", "--epochs", "2", "--threads", "1", "--out", run, "--resume");
  assert.equal(r.code, 0, r.err);
  assert.ok(!existsSync(stale), "stale temp file of the run removed");
  assert.ok(existsSync(unrelated), "other files are left alone");
});

test("a full disk fails naming the file, and leaves no temp file (also on repeated --resume)", (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("needs root to mount a small tmpfs");
    return;
  }
  const full = join(dir, "full");
  mkdirSync(full);
  // room for a copy of the run plus a little: the next checkpoint cannot fit
  const used = readdirSync(run).reduce((a, f) => a + statSync(join(run, f)).size, 0);
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${Math.ceil(used / 4096) * 4096 + 262144}`, "tmpfs", full]);
  if (m.status !== 0) {
    t.skip(`mount tmpfs failed: ${m.stderr}`);
    return;
  }
  try {
    const copy = join(full, "run");
    cpSync(run, copy, { recursive: true });
    for (let i = 0; i < 2; i++) {
      const r = cli(
        "train",
        ...small,
        "--model",
        "razor",
        "--epochs",
        "3",
        "--threads",
        "1",
        "--out",
        copy,
        "--resume",
      );
      assert.notEqual(r.code, 0);
      assert.match(r.err, /cannot write .*full\/run\/(last\.safetensors|log\.jsonl).*ENOSPC/);
      assert.deepEqual(
        readdirSync(copy).filter((f) => f.endsWith(".tmp") && !f.startsWith("notes")),
        [],
        "no temp file left",
      );
    }
  } finally {
    spawnSync("umount", [full]);
  }
});

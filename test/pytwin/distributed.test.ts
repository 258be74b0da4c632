/**
 * The twin's scale-out path end to end on a slice of real N-MNIST: `razor-snn data export-frames`, then the twin
 * trains (Razor variant, 3 steps of a global batch of 8) once in one process and once as two gloo processes under
 * torchrun (4 samples each, BN statistics over the global batch). The gradients then differ by float rounding
 * only (the all-reduce adds partial sums in another order), but Adam divides each gradient by its own magnitude:
 * where a gradient is near Adam's eps (1e-8), rounding-level differences become visible steps. So the bound is set in
 * units of Adam's largest possible move, lr per step: every tensor within 1 % of lr · steps, and where the gradient
 * is zero up to rounding (a bias before a BN, which BN cancels, and the running mean it shifts; Adam moves them by
 * noise in both runs) within 2 · lr · steps. (Measured: 8e-6 on fc weights, 5e-3 on biases before BN, for a bound
 * of 3e-5 and 6e-3.) Both checkpoints then classify the same samples identically in `razor-snn eval`; the two-process one
 * goes through `razor-snn sweep` and `razor-snn infer`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeSafeTensors } from "../../src/checkpoint/safetensors.js";
import { projectRoot, sharedDataDir } from "../../src/util/paths.js";
import { runPython, skipWithoutTorch } from "./python.js";

const dir = mkdtempSync(join(tmpdir(), "pytwin-ddp-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, RAZOR_SNN_CACHE: join(dir, "cache") },
  });
  assert.equal(r.status, 0, `razor-snn ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const LR = 1e-3;
const STEPS = 3;

function trainArgs(out: string, frames: string): string[] {
  return [
    "-m",
    "razor_snn_torch.train",
    "--frames",
    frames,
    "--out",
    out,
    "--epochs",
    "1",
    "--batch",
    "8",
    "--max-steps",
    String(STEPS),
    "--lr",
    String(LR),
    "--threads",
    "1",
    "--no-eval",
    "--quiet",
  ];
}

function tensors(path: string): Map<string, Float32Array> {
  const st = decodeSafeTensors(new Uint8Array(readFileSync(path)), path);
  const out = new Map<string, Float32Array>();
  for (const [name, t] of st.tensors) if (t.data instanceof Float32Array) out.set(name, t.data);
  return out;
}

/** Zero-gradient tensors: a conv/fc bias followed by BN, and the BN running mean it shifts. */
function zeroGradient(name: string, all: Map<string, Float32Array>): boolean {
  const layer = name.split(".").slice(0, 2).join(".");
  const hasBn = all.has(`${layer}.bn.weight`);
  return hasBn && (/\.(conv|fc)\.bias$/.test(name) || name.endsWith(".bn.running_mean"));
}

test("export-frames -> two gloo processes under torchrun train what one does with the whole batch; eval, sweep and infer read the checkpoint", {
  skip: skipWithoutTorch(),
}, () => {
  const frames = join(dir, "frames");
  cli(
    "data",
    "export-frames",
    "--dataset",
    "nmnist-small",
    "--valid",
    "100",
    "--limit-train",
    "48",
    "--limit-val",
    "16",
    "--out",
    frames,
    "--quiet",
  );
  assert.deepEqual(readdirSync(frames).sort(), [
    "meta.json",
    "test.frames.npy",
    "test.labels.npy",
    "test.offsets.npy",
    "train.frames.npy",
    "train.labels.npy",
    "train.offsets.npy",
  ]);
  const one = join(dir, "one.safetensors");
  const two = join(dir, "two.safetensors");
  runPython(trainArgs(one, frames));
  // --redirects/--tee 1: torch 1.13's launcher cannot parse its default "0" under Python 3.11 (Debian's pairing)
  runPython([
    "-m",
    "torch.distributed.run",
    "--standalone",
    "--nproc_per_node",
    "2",
    "--redirects",
    "1",
    "--tee",
    "1",
    ...trainArgs(two, frames),
  ]);
  const a = tensors(one);
  const b = tensors(two);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, x] of a) {
    const y = b.get(name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
    const bound = zeroGradient(name, a) ? 2 * LR * STEPS : 0.01 * LR * STEPS;
    assert.ok(diff <= bound, `${name}: one vs two processes differ by ${diff} (bound ${bound})`);
  }
  const evalOf = (ckpt: string): unknown => {
    const r = JSON.parse(
      cli("eval", "--checkpoint", ckpt, "--dataset", "nmnist-small", "--limit", "24", "--threads", "1", "--json"),
    ) as { n: number; confusion: unknown };
    assert.equal(r.n, 24);
    return r.confusion;
  };
  assert.deepEqual(evalOf(two), evalOf(one));
  const sweepDir = join(dir, "sweep");
  const s = cli(
    "sweep",
    "--checkpoint",
    two,
    "--dataset",
    "nmnist-small",
    "--limit",
    "16",
    "--calib-limit",
    "16",
    "--out",
    sweepDir,
    "--threads",
    "1",
  );
  assert.match(s, /unpruned accuracy/);
  assert.ok(existsSync(join(sweepDir, "sweep.json")));
  const recording = join(sharedDataDir(), "nmnist", "tonic", "sample_nmnist.bin");
  assert.match(cli("infer", "--checkpoint", two, recording, "--threads", "1"), /frames computed per layer/);
});

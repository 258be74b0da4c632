/** The twin's answers to bad input: one clear line naming the file and what is wrong, no traceback. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runPython, skipWithoutTorch } from "./python.js";

const dir = mkdtempSync(join(tmpdir(), "pytwin-err-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function failure(args: string[]): string {
  try {
    runPython(args);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`python ${args.join(" ")} succeeded`);
}

test("train: frames folder without meta.json, and a bad --batch", { skip: skipWithoutTorch() }, () => {
  const msg = failure(["-m", "razor_snn_torch.train", "--frames", dir, "--out", join(dir, "x.safetensors")]);
  assert.match(msg, /no meta\.json \(export frames with: razor-snn data export-frames/);
  assert.doesNotMatch(msg, /Traceback/);
  const batch = failure(["-m", "razor_snn_torch.train", "--frames", dir, "--out", "x", "--batch", "0"]);
  assert.match(batch, /--batch 0: expected an integer >= 1/);
});

test("load_checkpoint: truncated files and files without razor-snn metadata", { skip: skipWithoutTorch() }, () => {
  const short = join(dir, "short.safetensors");
  writeFileSync(short, new Uint8Array([1, 2, 3]));
  const plain = join(dir, "plain.safetensors");
  const header = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
  const bytes = new Uint8Array(8 + header.length + 4);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  writeFileSync(plain, bytes);
  const check = (path: string) =>
    runPython([
      "-c",
      `import sys\nfrom razor_snn_torch import load_checkpoint\ntry:\n    load_checkpoint(${JSON.stringify(path)})\nexcept ValueError as e:\n    print(e)`,
    ]).trim();
  assert.match(check(short), /short\.safetensors: not a valid safetensors file: shorter than its 8-byte header/);
  assert.match(check(plain), /plain\.safetensors: a safetensors file but not a razor-snn checkpoint/);
});

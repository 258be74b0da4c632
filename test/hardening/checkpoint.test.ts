/**
 * Issue #12, "silently wrong results": a checkpoint that does not describe its own tensors, or holds values no
 * trained model has, is refused with a one-line error naming the file and the field — never loaded to give chance
 * accuracy with exit code 0.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import "../../src/engine/index.js";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/checkpoint/checkpoint.js";
import { loadCheckpointModel } from "../../src/checkpoint/load-model.js";
import { preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { decodeSafeTensors, encodeSafeTensors, type Tensor } from "../../src/checkpoint/safetensors.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel } from "../../src/models/index.js";
import type { Json } from "../../src/util/json.js";
import { projectRoot } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-hard-ck-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sensor = { width: 34, height: 34, polarities: 2 };

/** A valid N-MNIST Razor checkpoint (untrained weights): its tensors and metadata, to be corrupted one at a time. */
function validParts(variant: "razor" | "snn" = "razor"): { tensors: Map<string, Tensor>; md: Record<string, string> } {
  const config = loadModelConfig("nmnist", { variant });
  const model = buildModel(config);
  const bytes = encodeCheckpoint(model, {
    model: config as unknown as Json,
    preprocessing: preprocessingFor(config, sensor) as unknown as Json,
    thresholds: [null, 0.5, 0.5, null],
    training: { epoch: 1 },
  });
  model.dispose();
  const raw = decodeSafeTensors(bytes, "valid");
  return { tensors: raw.tensors, md: raw.metadata };
}

function save(name: string, tensors: Map<string, Tensor>, md: Record<string, string>): string {
  const p = join(dir, name);
  writeFileSync(p, encodeSafeTensors(tensors, md));
  return p;
}

function loadFails(path: string, pattern: RegExp): void {
  assert.throws(
    () => {
      const m = loadCheckpointModel(path);
      m.model.dispose();
    },
    (err: Error) => {
      assert.match(err.message, pattern);
      assert.ok(err.message.includes(path), `the error names the file: ${err.message}`);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    },
  );
}

test("the unmodified checkpoint loads (the corruptions below are what fails)", () => {
  const { tensors, md } = validParts();
  const m = loadCheckpointModel(save("valid.safetensors", tensors, md));
  assert.deepEqual(m.meta.thresholds, [null, 0.5, 0.5, null]);
  m.model.dispose();
});

test("NaN or infinite weights are refused, naming the tensor and the index", () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    const { tensors, md } = validParts();
    const w = tensors.get("layers.1.conv.weight")!.data as Float32Array;
    w[7] = bad;
    loadFails(
      save(`nan-${bad}.safetensors`, tensors, md),
      new RegExp(`'layers.1.conv.weight' holds ${bad} at index 7`),
    );
  }
});

test("integer dtypes where F32 is expected are refused, not converted", () => {
  const { tensors, md } = validParts();
  const t = tensors.get("layers.0.conv.weight")!;
  tensors.set("layers.0.conv.weight", { dtype: "I32", shape: t.shape, data: Int32Array.from(t.data as Float32Array) });
  loadFails(save("int.safetensors", tensors, md), /'layers.0.conv.weight' is I32 in the checkpoint, expected F32/);
});

test("extra tensors, and a variant in the metadata that does not match the tensors, are refused", () => {
  const { tensors, md } = validParts();
  tensors.set("layers.9.extra", { dtype: "F32", shape: [2], data: new Float32Array(2) });
  loadFails(save("extra.safetensors", tensors, md), /'layers.9.extra' in the checkpoint are not part of the model/);
  // Razor tensors under a plain-SNN config
  const razor = validParts("razor");
  const snnMd = validParts("snn").md;
  loadFails(save("variant.safetensors", razor.tensors, snnMd), /not part of the model its metadata describes/);
});

test("junk in razor_snn.thresholds or unknown razor_snn metadata is refused", () => {
  for (const [junk, pattern] of [
    ['"abc"', /razor_snn.thresholds must be null or a list/],
    ["[null, 7, 0.5, null]", /razor_snn.thresholds must be null or a list/],
    ['[null, "x", 0.5, null]', /razor_snn.thresholds must be null or a list/],
    ["[0.5]", /razor_snn.thresholds has 1 entries, the model 4 layers/],
    ["{", /razor_snn.thresholds is not JSON/],
  ] as const) {
    const { tensors, md } = validParts();
    md["razor_snn.thresholds"] = junk;
    loadFails(save("th.safetensors", tensors, md), pattern);
  }
  const { tensors, md } = validParts();
  md["razor_snn.extra"] = "1";
  loadFails(save("md.safetensors", tensors, md), /unknown checkpoint metadata razor_snn.extra/);
});

test("preprocessing and model metadata are checked before anything is allocated from them", () => {
  const cases: [string, (m: Record<string, unknown>, p: Record<string, unknown>) => void, RegExp][] = [
    ["T", (_m, p) => (p.T = -5), /preprocessing.T must be a whole number in \[1, 100000\]/],
    [
      "sensor",
      (_m, p) => (p.sensor = { width: 100000, height: 100000, polarities: 2 }),
      /preprocessing.sensor.width must be a whole number in \[1, 65535\]/,
    ],
    ["input", (m) => (m.input = [2, 65535, 65535]), /model config: input must be at most 8388608 values per frame/],
    ["unknown key", (m) => (m.nosuch = 5), /model config: nosuch must be one of the known keys/],
    ["fc too large", (m) => (m.input = [2, 2048, 2048]), /layers\[2\].out must be small enough/],
  ];
  for (const [name, mutate, pattern] of cases) {
    const { tensors, md } = validParts();
    const model = JSON.parse(md["razor_snn.model"]!) as Record<string, unknown>;
    const pre = JSON.parse(md["razor_snn.preprocessing"]!) as Record<string, unknown>;
    mutate(model, pre);
    md["razor_snn.model"] = JSON.stringify(model);
    md["razor_snn.preprocessing"] = JSON.stringify(pre);
    const t0 = Date.now();
    loadFails(save(`meta-${name}.safetensors`, tensors, md), pattern);
    assert.ok(Date.now() - t0 < 1000, `${name}: fails at once`);
  }
});

test("safetensors rules: offsets tile the data from 0 with no overlap, alias or trailing bytes", () => {
  const w = { dtype: "F32" as const, shape: [2], data: Float32Array.of(1, 2) };
  const good = encodeSafeTensors(
    new Map([
      ["a", w],
      ["b", w],
    ]),
  );
  assert.equal(decodeSafeTensors(good, "g").tensors.size, 2);
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n))) as Record<string, unknown>;
  const rebuild = (h: Record<string, unknown>, dataBytes: number): Uint8Array => {
    let json = JSON.stringify(h);
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(new TextEncoder().encode(json), 8);
    return out;
  };
  // b aliases a's bytes
  const alias = rebuild({ ...header, b: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 16);
  assert.throws(() => decodeSafeTensors(alias, "alias.st"), /alias.st: .*tensor b: data_offsets \[0, 8\] overlaps/);
  // trailing bytes after the last tensor
  assert.throws(() => decodeSafeTensors(rebuild(header, 24), "trail.st"), /trail.st: .*8 trailing bytes/);
  // a gap
  const gap = rebuild({ ...header, b: { dtype: "F32", shape: [2], data_offsets: [12, 20] } }, 20);
  assert.throws(() => decodeSafeTensors(gap, "gap.st"), /gap.st: .*leaves bytes 8..12 unused/);
});

test("eval on a corrupted checkpoint exits non-zero with one line naming the file", () => {
  const { tensors, md } = validParts();
  (tensors.get("layers.3.fc.weight")!.data as Float32Array)[0] = Number.NaN;
  const path = save("cli-nan.safetensors", tensors, md);
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), "eval", "--checkpoint", path], {
    encoding: "utf8",
  });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: tensor 'layers.3.fc.weight' holds NaN`),
  );
  assert.ok(decodeCheckpoint(encodeSafeTensors(tensors, md), "x").meta !== null);
});

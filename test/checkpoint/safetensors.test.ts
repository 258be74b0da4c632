import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeCheckpoint, encodeCheckpoint, loadModelTensors } from "../../src/checkpoint/checkpoint.js";
import { decodeSafeTensors, encodeSafeTensors, type Tensor } from "../../src/checkpoint/safetensors.js";
import { TinyModel } from "../train/tiny-model.js";

test("safetensors layout: 8-byte LE header length, JSON header with offsets, raw LE data", () => {
  const tensors = new Map<string, Tensor>([
    ["b.weight", { dtype: "F32", shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-7, -0) }],
    ["a.num_batches_tracked", { dtype: "I64", shape: [], data: BigInt64Array.of(7n) }],
  ]);
  const bytes = encodeSafeTensors(tensors, { note: "x" });
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, "data starts 8-byte aligned");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.__metadata__, { note: "x" });
  assert.deepEqual(header["a.num_batches_tracked"], { dtype: "I64", shape: [], data_offsets: [0, 8] });
  assert.deepEqual(header["b.weight"], { dtype: "F32", shape: [2, 3], data_offsets: [8, 32] });
  assert.equal(view.getBigInt64(8 + n, true), 7n);
  assert.equal(view.getFloat32(8 + n + 8 + 8, true), 3.5);
  assert.equal(bytes.length, 8 + n + 32);
  const back = decodeSafeTensors(bytes);
  assert.deepEqual([...(back.tensors.get("b.weight")!.data as Float32Array)], [1, -2, 3.5, 0, Math.fround(1e-7), -0]);
  assert.equal((back.tensors.get("a.num_batches_tracked")!.data as BigInt64Array)[0], 7n);
});

test("a model checkpoint round-trips tensors, buffers and metadata exactly", () => {
  const a = new TinyModel(6, 5, 3, 1);
  a.buffers()[1]!.value[0] = 12;
  const meta = {
    model: a.config,
    preprocessing: { sensor: { width: 34, height: 34, polarities: 2 }, framing: { mode: "time", dtUs: 20000, T: 15 } },
    thresholds: [0.25, 0.5],
    training: { epoch: 3 },
  };
  const bytes = encodeCheckpoint(a, meta);
  const ck = decodeCheckpoint(bytes, "a.safetensors");
  assert.deepEqual(ck.meta, meta);
  assert.equal(ck.tensors.get("enc.num_batches_tracked")!.dtype, "I64");
  const b = new TinyModel(6, 5, 3, 2);
  loadModelTensors(b, ck.tensors, "a.safetensors");
  for (const [pa, pb] of a.parameters().map((p, i) => [p, b.parameters()[i]!] as const)) {
    assert.deepEqual([...pb.value], [...pa.value], pa.name);
  }
  assert.equal(b.buffers()[1]!.value[0], 12);
  assert.deepEqual(encodeCheckpoint(b, meta), bytes, "same content, same bytes");
});

test("bad files give errors that say what is wrong and where", () => {
  assert.throws(() => decodeSafeTensors(new Uint8Array(3), "x.safetensors"), /x.safetensors: .*3 bytes/);
  const bytes = encodeSafeTensors(new Map([["w", { dtype: "F32", shape: [4], data: new Float32Array(4) }]]));
  assert.throws(
    () => decodeSafeTensors(bytes.subarray(0, bytes.length - 4), "t.st"),
    /tensor w: data_offsets \[0, 16\]/,
  );
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1000n, true);
  assert.throws(() => decodeSafeTensors(huge, "h.st"), /header length 1000 at offset 0/);
  assert.throws(() => decodeCheckpoint(bytes, "plain.st"), /not a razor-snn checkpoint/);
  const other = new TinyModel(6, 4, 3);
  const ck = decodeCheckpoint(
    encodeCheckpoint(new TinyModel(6, 5, 3), { model: null, preprocessing: null, thresholds: null, training: null }),
    "c.st",
  );
  assert.throws(
    () => loadModelTensors(other, ck.tensors, "c.st"),
    /tensor 'enc.weight' has shape \[5,6\] in the checkpoint, the model \[4,6\]/,
  );
});

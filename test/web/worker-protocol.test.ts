import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/engine/index.js";
import { resolveModelConfig } from "../../src/models/config.js";
import { buildModel } from "../../src/models/index.js";
import { encodeCheckpoint } from "../../src/checkpoint/checkpoint.js";
import { preprocessingFor } from "../../src/checkpoint/preprocess.js";
import { sharedDataDir } from "../../src/util/paths.js";
import type { MessageEndpoint } from "../../src/web/protocol.js";
import { RazorWorkerClient } from "../../src/web/worker-client.js";
import { serveRazorWorker } from "../../src/web/worker-host.js";

/** Host and client on the two ends of a MessageChannel, as a page and its Worker would be. */
function connected() {
  const { port1, port2 } = new MessageChannel();
  const state = serveRazorWorker(port2 as unknown as MessageEndpoint);
  const client = new RazorWorkerClient(port1 as unknown as ConstructorParameters<typeof RazorWorkerClient>[0]);
  port1.start();
  port2.start();
  return {
    state,
    client,
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

function fileBytes(...parts: string[]): ArrayBuffer {
  const b = readFileSync(join(sharedDataDir(), ...parts));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

test("worker protocol: decode returns the stream and keeps a copy under a handle; release frees it", async () => {
  const { state, client, close } = connected();
  try {
    const rec = await client.decode(fileBytes("nmnist", "small", "2.bs2"), { fileName: "2.bs2" });
    assert.equal(rec.format, "atis40");
    assert.equal(rec.name, "2.bs2");
    assert.equal(rec.stream.t.length, 5028);
    assert.deepEqual([rec.stream.x[0], rec.stream.y[0], rec.stream.t[0], rec.stream.p[0]], [10, 30, 937, 1]);
    assert.equal(rec.container, null);
    assert.equal(state.recordings.get(rec.handle)?.stream.t.length, 5028);
    const other = await client.decode(fileBytes("prophesee", "tonic", "sample_ncars.dat"), { fileName: "n.dat" });
    assert.notEqual(other.handle, rec.handle);
    assert.equal(other.format, "dat");
    assert.equal(other.stream.t.length, 2009);
    await client.release(rec.handle);
    assert.equal(state.recordings.has(rec.handle), false);
    assert.equal(state.recordings.has(other.handle), true);
  } finally {
    close();
  }
});

test("worker protocol: errors reach the caller as one message naming the file; the Worker keeps serving", async () => {
  const { client, close } = connected();
  try {
    const junk = new Uint8Array([1, 2, 3, 4, 5, 6, 7]).buffer;
    await assert.rejects(client.decode(junk, { fileName: "junk.bin" }), /junk\.bin/);
    await assert.rejects(client.infer(1, null), /no model loaded: open a checkpoint first/);
    await assert.rejects(client.sample(99, 0), /no open multi-sample file with handle 99/);
    const notCkpt = new Uint8Array(16).buffer;
    await assert.rejects(client.loadModel(notCkpt, "bad.safetensors", null), /bad\.safetensors/);
    const rec = await client.decode(fileBytes("nmnist", "small", "1.bs2"), { fileName: "1.bs2" });
    assert.equal(rec.stream.t.length, 4681);
  } finally {
    close();
  }
});

test("worker protocol: an SHD-layout HDF5 file opens as a container of labelled samples", async () => {
  const dir = ["shd", "SYNTHETIC_layout_fixture"];
  const expected = JSON.parse(
    readFileSync(join(sharedDataDir(), ...dir, "synthetic_shd_layout_f16.expected.json"), "utf8"),
  ) as { n: number; len: number[]; labels: number[]; first_units: number[] };
  const { state, client, close } = connected();
  try {
    const first = await client.decode(fileBytes(...dir, "synthetic_shd_layout_f16.h5"), { fileName: "s.h5" });
    assert.equal(first.format, "shd");
    assert.equal(first.name, "s.h5#0");
    const c = first.container!;
    assert.equal(c.samples, expected.n);
    assert.equal(c.index, 0);
    assert.equal(c.label, expected.labels[0]);
    assert.equal(first.stream.t.length, expected.len[0]);
    assert.equal(first.stream.x[0], expected.first_units[0]);
    const third = await client.sample(c.handle, 2);
    assert.equal(third.stream.t.length, expected.len[2]);
    assert.equal(third.container!.label, expected.labels[2]);
    await assert.rejects(client.sample(c.handle, expected.n), new RegExp(`sample ${expected.n} does not exist`));
    await client.release(c.handle);
    assert.equal(state.containers.size, 0);
  } finally {
    close();
  }
});

test("worker protocol: requests are answered in order, so an inference sent with the model load sees the model", async () => {
  const config = resolveModelConfig(
    {
      name: "tiny",
      dataset: "nmnist",
      variant: "razor",
      input: [2, 34, 34],
      classes: 10,
      frames: { T: 4, dtMs: 50, mode: "time-window", downsample: 1 },
      layers: [
        { type: "conv", out: 2, kernel: 3, stride: 4, bn: false },
        { type: "fc", out: 6, bn: false },
        { type: "fc", out: 10, bn: false },
      ],
    },
    {},
    "tiny",
  );
  const ckpt = encodeCheckpoint(buildModel(config), {
    model: config as never,
    preprocessing: preprocessingFor(config, { width: 34, height: 34, polarities: 2 }) as never,
    thresholds: null,
    training: {},
  });
  const { client, close } = connected();
  try {
    const rec = await client.decode(fileBytes("nmnist", "small", "1.bs2"), { fileName: "1.bs2" });
    const buffer = ckpt.buffer.slice(ckpt.byteOffset, ckpt.byteOffset + ckpt.byteLength) as ArrayBuffer;
    // not awaited in between: the inference is queued behind the (asynchronous) model load
    const [model, run] = await Promise.all([
      client.loadModel(buffer, "tiny.safetensors", null),
      client.infer(rec.handle, [0]),
    ]);
    assert.equal(model.engine, "reference (pure TS): no .wasm served");
    assert.deepEqual(model.maskedLayers, ["layers.1"]);
    assert.equal(run.timesteps, 4);
    assert.equal(run.layers[0]!.kept, 4);
    assert.equal(run.frames.length, 4 * 2 * 34 * 34);
    assert.deepEqual([...run.frameTimes!], [893, 50_893, 100_893, 150_893, 200_893]);
    await client.release(rec.handle);
    await assert.rejects(client.infer(rec.handle, [0]), /no recording with handle/);
  } finally {
    close();
  }
});

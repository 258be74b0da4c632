/** NIR in the browser build: bytes in, bytes out through h5wasm's in-memory file system, and the viewer's Worker. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import "../../src/engine/index.js";
import { loadNirBytes, saveNirBytes } from "../../src/nir/browser.js";
import { NirError } from "../../src/nir/graph.js";
import { loadNir } from "../../src/nir/node.js";
import { sharedDataDir } from "../../src/util/paths.js";
import type { MessageEndpoint } from "../../src/web/protocol.js";
import { RazorWorkerClient } from "../../src/web/worker-client.js";
import { serveRazorWorker } from "../../src/web/worker-host.js";

const FIX = fileURLToPath(new URL("../../../test/fixtures/nir/", import.meta.url));
const buffer = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

test("loadNirBytes / saveNirBytes: both layouts read as loadNir reads them; written bytes read back equal", async () => {
  for (const name of ["cnn_sinabs.nir", "fixed_strings.nir", "lif_norse.nir"]) {
    const bytes = new Uint8Array(readFileSync(join(FIX, name)));
    const nir = await loadNirBytes(bytes, name);
    assert.deepEqual(nir, await loadNir(join(FIX, name)), name);
    assert.deepEqual(await loadNirBytes(await saveNirBytes(nir), "again"), nir, `${name} written and read back`);
  }
  await assert.rejects(
    loadNirBytes(new Uint8Array(readFileSync(join(FIX, "lif_norse.nir"))).subarray(0, 3000), "cut.nir"),
    (e: unknown) => e instanceof NirError && /^cut\.nir: /.test(e.message) && !e.message.includes("\n"),
  );
});

test("the viewer's Worker opens a .nir graph as a model (imported on the spot) and runs a recording", async () => {
  const { port1, port2 } = new MessageChannel();
  serveRazorWorker(port2 as unknown as MessageEndpoint);
  const client = new RazorWorkerClient(port1 as unknown as ConstructorParameters<typeof RazorWorkerClient>[0]);
  port1.start();
  port2.start();
  try {
    const info = await client.loadModel(buffer(readFileSync(join(FIX, "cnn_sinabs.nir"))), "cnn_sinabs.nir", null);
    assert.equal(info.kind, "nir-graph");
    assert.deepEqual(info.maskedLayers, []);
    assert.equal(info.timesteps, 300);
    const recBytes = readFileSync(join(sharedDataDir(), "nmnist", "small", "2.bs2"));
    const rec = await client.decode(buffer(recBytes), { fileName: "2.bs2" });
    const r = await client.infer(rec.handle, null);
    assert.equal(r.masked.predicted, r.unmasked.predicted);
    assert.ok(r.masked.sops > 0);
    assert.ok(r.masked.predicted >= 0 && r.masked.predicted < 10);
  } finally {
    port1.close();
    port2.close();
  }
});

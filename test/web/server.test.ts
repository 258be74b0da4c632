import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startViewerServer } from "../../src/web/server.js";

function fixturePage(): string {
  const dir = mkdtempSync(join(tmpdir(), "razor-view-"));
  const page = join(dir, "web");
  mkdirSync(join(page, "assets"), { recursive: true });
  writeFileSync(join(page, "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(join(page, "assets", "a.js"), "export {}");
  writeFileSync(join(dir, "secret.txt"), "outside");
  writeFileSync(join(dir, "rec one.bin"), Buffer.from([1, 2, 3, 4, 5]));
  writeFileSync(join(dir, "model.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d]));
  return dir;
}

test("view server: page, named files and session on loopback, with cross-origin isolation headers", async () => {
  const dir = fixturePage();
  const server = await startViewerServer({
    pageDir: join(dir, "web"),
    wasmFile: join(dir, "model.wasm"),
    recordings: [join(dir, "rec one.bin")],
    port: 0,
  });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(index.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(index.headers.get("cross-origin-embedder-policy"), "require-corp");
    const js = await fetch(new URL("assets/a.js", server.url));
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");

    const session = (await (await fetch(new URL("session.json", server.url))).json()) as {
      recordings: { name: string; url: string }[];
      wasm: string | null;
      checkpoint: unknown;
    };
    assert.equal(session.recordings.length, 1);
    assert.equal(session.recordings[0]!.name, "rec one.bin");
    assert.equal(session.checkpoint, null);
    const rec = await fetch(new URL(session.recordings[0]!.url, server.url));
    assert.deepEqual([...new Uint8Array(await rec.arrayBuffer())], [1, 2, 3, 4, 5]);
    const wasm = await fetch(new URL(session.wasm!, server.url));
    assert.equal(wasm.headers.get("content-type"), "application/wasm");

    // nothing outside the page folder, and only GET/HEAD
    for (const bad of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
      const r = await fetch(server.url.replace(/\/$/, "") + bad);
      assert.ok(r.status === 403 || r.status === 404, `${bad} -> ${r.status}`);
      assert.notEqual(await r.text(), "outside");
    }
    assert.equal((await fetch(new URL("missing.js", server.url))).status, 404);
    assert.equal((await fetch(server.url, { method: "POST", body: "x" })).status, 405);
  } finally {
    await server.close();
  }
});

test("view server: clear errors for a missing page build, a missing file and a taken port", async () => {
  const dir = fixturePage();
  await assert.rejects(startViewerServer({ pageDir: join(dir, "nope") }), /viewer page is not built.*npm run build/);
  await assert.rejects(
    startViewerServer({ pageDir: join(dir, "web"), checkpoint: join(dir, "missing.safetensors") }),
    /checkpoint file not found: .*missing\.safetensors/,
  );
  const first = await startViewerServer({ pageDir: join(dir, "web"), port: 0 });
  try {
    await assert.rejects(
      startViewerServer({ pageDir: join(dir, "web"), port: first.port }),
      new RegExp(`port ${first.port} on 127.0.0.1 is already in use`),
    );
  } finally {
    await first.close();
  }
});

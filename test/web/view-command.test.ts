import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot, sharedDataDir } from "../../src/util/paths.js";

const bin = join(projectRoot(), "bin", "razor-snn.js");

test("razor-snn view serves the page and the named recording, and stops on SIGTERM", async () => {
  const rec = join(sharedDataDir(), "nmnist", "small", "1.bs2");
  const child = spawn(process.execPath, [bin, "view", "--port", "0", "--json", rec], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    const { url } = JSON.parse(line.toString()) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(await (await fetch(url)).text(), /<title>razor-snn viewer<\/title>/);
    const session = (await (await fetch(new URL("session.json", url))).json()) as { recordings: { url: string }[] };
    const bytes = await (await fetch(new URL(session.recordings[0]!.url, url))).arrayBuffer();
    assert.equal(bytes.byteLength, 4681 * 5, "the 40-bit file: 5 bytes per event");
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0);
});

test("razor-snn view: bad arguments and missing files give one clear line and a non-zero exit", async () => {
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, [bin, "view", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    return { code, err };
  };
  const missing = await run(["--port", "0", "no-such-recording.bin"]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^razor-snn: recording file not found: no-such-recording\.bin\n$/);
  const port = await run(["--port", "99999"]);
  assert.equal(port.code, 2);
  assert.match(port.err, /--port must be an integer from 0 to 65535, got '99999'/);
  const unknown = await run(["--frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown option '--frobnicate'/);
});

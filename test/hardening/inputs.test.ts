/**
 * Issue #12, "hangs and runaway memory" and "silently wrong results" on the command line: each case ends at once
 * with one line and a non-zero exit code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { downloadFile } from "../../src/data/download/fetch-file.js";
import { startViewerServer } from "../../src/web/server.js";
import { projectRoot } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-hard-in-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, RAZOR_SNN_CACHE: join(dir, "cache") },
    timeout: 20_000,
  });
  return { code: r.status ?? -1, err: r.stderr, ms: Date.now() - t0 };
}

function fails(args: string[], pattern: RegExp): void {
  const r = cli(...args);
  assert.notEqual(r.code, 0, `${args.join(" ")}: non-zero exit`);
  const lines = r.err.trim().split("\n");
  assert.equal(lines.length, 1, `${args.join(" ")}: one line, got ${r.err}`);
  assert.match(lines[0]!, pattern);
}

test("data inspect refuses what it cannot recognise: devices, directories, empty files, text", () => {
  fails(["data", "inspect", "/dev/zero"], /\/dev\/zero.*is a device, expected a recording file/);
  fails(["data", "inspect", dir], new RegExp(`${dir}.*is a directory`));
  const empty = join(dir, "empty.bin");
  writeFileSync(empty, "");
  fails(["data", "inspect", empty], /empty.bin.*empty file/);
  const emptyAedat = join(dir, "empty.aedat4");
  writeFileSync(emptyAedat, "");
  fails(["data", "inspect", emptyAedat], /empty.aedat4.*empty file/);
  const text = join(dir, "notes.bin");
  writeFileSync(text, "forty bytes of plain text, not events!!\n");
  fails(["data", "inspect", text], /notes.bin.*no known header .*the content is text/);
  const named = join(dir, "fake.aedat4");
  writeFileSync(named, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  fails(["data", "inspect", named], /fake.aedat4.*named .aedat4 but has no .aedat4 header/);
});

test("counts of 0 and absurd thread counts end at once with one line", () => {
  const nm = ["--dataset", "nmnist-small", "--out", join(dir, "never")];
  fails(["train", ...nm, "--batch", "0"], /--batch 0: expected at least 1/);
  fails(["eval", "--checkpoint", "x.safetensors", "--batch", "0"], /--batch 0: expected at least 1/);
  fails(
    ["infer", "--checkpoint", "x.safetensors", "--stream", "--chunk", "0", "r.bin"],
    /--chunk 0: expected at least 1/,
  );
  const t = cli("train", ...nm, "--threads", "999");
  assert.notEqual(t.code, 0);
  assert.match(t.err, /--threads 999: expected 1\.\.64/);
  assert.ok(t.ms < 5000, `refused in ${t.ms} ms`);
  fails(["train", ...nm, "--epochs", "99999999999999999999"], /--epochs 99999999999999999999: expected a whole number/);
});

test("the viewer answers only requests addressed to localhost (DNS rebinding)", async () => {
  const server = await startViewerServer({});
  try {
    const port = Number(new URL(server.url).port);
    const status = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/session.json", headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    assert.equal(await status(`127.0.0.1:${port}`), 200);
    assert.equal(await status(`localhost:${port}`), 200);
    assert.equal(await status(`evil.example:${port}`), 421);
    assert.equal(await status("attacker.test"), 421);
  } finally {
    await server.close();
  }
});

test("a download with an unsupported protocol names where to save the file by hand", async () => {
  const dest = join(dir, "dl", "data.zip");
  await assert.rejects(
    downloadFile("ftp://example.invalid/data.zip", dest, { progress: false, log: () => {} }),
    (err: Error) => {
      assert.match(err.message, /unsupported protocol ftp:/);
      assert.ok(err.message.includes(`save it as ${dest},`), err.message);
      return true;
    },
  );
});

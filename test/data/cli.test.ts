import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { projectRoot, sharedDataDir } from "../../src/util/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI in a child process (async, so a test's HTTP server keeps answering). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), ...args], {
      env: { ...process.env, RAZOR_SNN_CACHE: join(tmp, "cache"), ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

test("data --help and every sub-command's --help exit 0 and describe it", async () => {
  const top = await cli(["data", "--help"]);
  assert.equal(top.code, 0);
  for (const sub of ["list", "download", "info", "inspect"]) {
    assert.ok(top.out.includes(sub));
    const r = await cli(["data", sub, "--help"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`usage: razor-snn data ${sub}`));
  }
  assert.equal((await cli(["data", "frobnicate"])).code, 2);
});

test("data info on the shared N-MNIST split counts every class and measures every sample", async () => {
  const r = await cli(["data", "info", "nmnist-small", "--events", "all", "--json"]);
  assert.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out);
  assert.equal(info.splits.train.samples, 900);
  assert.equal(info.splits.valid.samples, 100);
  const sum = info.splits.train.perClass.map((n: number, i: number) => n + info.splits.valid.perClass[i]);
  assert.deepEqual(sum, [97, 116, 99, 93, 105, 92, 94, 117, 87, 100]);
  assert.equal(info.splits.train.events.measured, 900);
  // 1.bs2 (4 681 events) and 2.bs2 (5 028) are in train: the range must include them.
  assert.ok(info.splits.train.events.min <= 4681 && info.splits.train.events.max >= 5028);
  const dir = join(sharedDataDir(), "nmnist", "small");
  const text = await cli(["data", "info", "--data", dir, "--labels", join(dir, "train1K.txt"), "--events", "10"]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /total\s+1000/);
  assert.match(text.out, /events per sample, all \(a seeded sample of 10\)/);
});

test("data download without a reachable server names the URL and where to put the file by hand", async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const root = join(tmp, "shd");
  const r = await cli(["data", "download", "shd", "--root", root, "--quiet", "--mirror", `http://127.0.0.1:${port}/m`]);
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(`http://127.0.0.1:${port}/m/shd_train.h5.zip`), r.err);
  assert.ok(r.err.includes(join(root, "download", "shd_train.h5.zip")), r.err);
  assert.match(r.err, /download it by hand/);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
});

test("data download checks the registry's MD5: a wrong file served by a mirror is refused", async () => {
  const s = createServer((_req, res) => {
    res.writeHead(200, { "content-length": 5 });
    res.end("hello");
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  try {
    const port = (s.address() as AddressInfo).port;
    const root = join(tmp, "shd2");
    const r = await cli(["data", "download", "shd", "--root", root, "--quiet", "--mirror", `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /checksum mismatch .*shd_train\.h5\.zip.*expected md5 f3252aeb598ac776c1b526422d90eecb/);
  } finally {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

test("data info on a dataset that is not there says how to get it", async () => {
  const r = await cli(["data", "info", "nmnist", "--root", join(tmp, "absent")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /razor-snn data download nmnist/);
});

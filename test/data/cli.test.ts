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

/** Runs the data command in this process (spawning a CLI per case is slow on a busy machine). */
async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { command } = await import("../../src/cli/commands/data.js");
  let out = "";
  let err = "";
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => {
    out += `${a.join(" ")}\n`;
  };
  console.error = (...a: unknown[]) => {
    err += `${a.join(" ")}\n`;
  };
  try {
    return { code: await command.run(args), out, err };
  } catch (e) {
    return { code: 1, out, err: err + (e as Error).message };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("data --help and every sub-command's --help exit 0 and describe it", async () => {
  const top = await cli(["data", "--help"]);
  assert.equal(top.code, 0);
  for (const sub of ["list", "download", "info", "inspect"]) {
    assert.ok(top.out.includes(sub));
    const r = await inProcess([sub, "--help"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`usage: razor-snn data ${sub}`));
  }
  assert.equal((await inProcess(["frobnicate"])).code, 2);
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

/** Reference numbers from shared/data/README.md and event-formats.md (events, ON count, first event). */
const INSPECT_CASES: [string, number, number | null, { t: number; x: number; y: number; p: number }][] = [
  ["nmnist/small/1.bs2", 4681, null, { t: 893, x: 18, y: 16, p: 1 }],
  ["nmnist/tonic/sample_nmnist.bin", 4325, 2145, { t: 654, x: 7, y: 15, p: 1 }],
  ["dvs_gesture/slayerPytorch_binarySpikeTestFiles/1.bs2", 63471, 32164, { t: 28, x: 49, y: 82, p: 0 }],
  ["aedat4/tonic/sample.aedat4", 111954, null, { t: 1605537493718345, x: 154, y: 204, p: 0 }],
  ["prophesee/expelliarmus/evt3_sample.raw", 219596, null, { t: 11718656, x: 874, y: 200, p: 0 }],
  ["prophesee/tonic/sample_ncars.dat", 2009, null, { t: 0, x: 25, y: 8, p: 0 }],
];

test("data inspect --json reproduces the reference numbers of the sample files", async () => {
  for (const [rel, events, on, first] of INSPECT_CASES) {
    const r = await inProcess(["inspect", join(sharedDataDir(), rel), "--json", "--first", "1"]);
    assert.equal(r.code, 0, `${rel}: ${r.err}`);
    const s = JSON.parse(r.out);
    assert.equal(s.events, events, rel);
    if (on !== null) assert.equal(s.on, on, rel);
    assert.equal(s.on + s.off, events);
    assert.deepEqual(s.firstEvents, [first], rel);
  }
  const aedat4 = JSON.parse(
    (await inProcess(["inspect", join(sharedDataDir(), "aedat4/tonic/sample.aedat4"), "--json"])).out,
  );
  assert.equal(aedat4.format, "aedat4");
  assert.deepEqual([aedat4.sensor.width, aedat4.sensor.height], [320, 240]);
  assert.deepEqual([aedat4.tStart, aedat4.tEnd], [1605537493718345, 1605537494308262]);
  assert.equal(((100 * aedat4.on) / aedat4.events).toFixed(2), "49.15");
});

test("data inspect prints a readable summary; SHD files show their samples; bad input is one clear line", async () => {
  const r = await cli(["data", "inspect", join(sharedDataDir(), "nmnist/small/2.bs2")]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /format\s+atis40/);
  assert.match(r.out, /events\s+5028/);
  assert.match(r.out, /time span\s+937 \.\. 305341 µs/);
  assert.match(r.out, /937, 10, 30, 1/);
  const h5 = join(sharedDataDir(), "shd/SYNTHETIC_layout_fixture/synthetic_shd_layout_f16.h5");
  const shd = await inProcess(["inspect", h5, "--sample", "3", "--json"]);
  assert.equal(shd.code, 0, shd.err);
  const s = JSON.parse(shd.out);
  assert.equal(s.samples, 8);
  assert.equal(s.label, 3);
  assert.equal(s.events, 161);
  const bad = await cli(["data", "inspect", join(tmp, "missing.bin")]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /missing\.bin: no such file/);
  assert.doesNotMatch(bad.err, /\n\s+at /);
  const fmt = await inProcess(["inspect", h5, "--format", "nope"]);
  assert.match(fmt.err, /--format nope: expected one of atis40/);
});

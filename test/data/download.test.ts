import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ChecksumError } from "../../src/data/download/checksum.js";
import { DownloadError, downloadFile } from "../../src/data/download/fetch-file.js";
import { fetchDataset, requireFetched } from "../../src/data/fetch-dataset.js";
import type { DatasetSpec } from "../../src/data/registry.js";
import { makeTarGz, makeZip } from "./archive-fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-download-"));
const payload = Buffer.alloc(200_000);
for (let i = 0; i < payload.length; i++) payload[i] = (i * 131 + (i >> 8)) & 0xff;
const md5 = (b: Buffer): string => createHash("md5").update(b).digest("hex");

const files = new Map<string, Buffer>();
const requests: { path: string; range: string | undefined }[] = [];
/** paths whose next full (non-range) response is cut after half the body */
const cutOnce = new Set<string>();
let server: Server;
let base = "";

function serve(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0]!;
  requests.push({ path, range: req.headers.range });
  if (path.startsWith("/redirect/")) {
    res.writeHead(302, { location: `/${path.slice("/redirect/".length)}` });
    res.end();
    return;
  }
  const body = files.get(path);
  if (body === undefined) {
    res.writeHead(404);
    res.end("not found");
    return;
  }
  const m = /bytes=(\d+)-/.exec(req.headers.range ?? "");
  if (path === "/flaky.bin") {
    // every response breaks off after 30 000 bytes
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, {
      "content-length": body.length - start,
      ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const end = Math.min(body.length, start + 30_000);
    if (end === body.length) res.end(body.subarray(start));
    else res.write(body.subarray(start, end), () => setTimeout(() => res.socket?.destroy(), 10));
    return;
  }
  if (m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      "content-length": body.length - start,
      "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(start));
    return;
  }
  if (path === "/page.bin") {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!DOCTYPE html><html><body>Please sign in to download</body></html>");
    return;
  }
  res.writeHead(200, { "content-length": body.length });
  if (cutOnce.delete(path)) {
    res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(body);
}

before(async () => {
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });
});

const quiet = { progress: false, backoffMs: 0, log: () => {} };

test("a connection cut mid-file is resumed with a Range request and the file is whole", async () => {
  files.set("/cut.bin", payload);
  cutOnce.add("/cut.bin");
  requests.length = 0;
  const dest = join(tmp, "cut", "cut.bin");
  const r = await downloadFile(`${base}/cut.bin`, dest, { ...quiet, md5: md5(payload) });
  assert.deepEqual(readFileSync(dest), payload);
  assert.equal(r.attempts, 2);
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.range, undefined);
  const resumedAt = Number(/bytes=(\d+)-/.exec(requests[1]!.range ?? "")?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= payload.length / 2, `resumed at ${requests[1]!.range}`);
  assert.equal(existsSync(`${dest}.part`), false);
});

test("a .part left by an earlier run is resumed, through a redirect", async () => {
  files.set("/resume.bin", payload);
  const dest = join(tmp, "resume", "resume.bin");
  mkdirSync(join(tmp, "resume"));
  writeFileSync(`${dest}.part`, payload.subarray(0, 77_777));
  requests.length = 0;
  const r = await downloadFile(`${base}/redirect/resume.bin`, dest, { ...quiet, md5: md5(payload) });
  assert.equal(r.resumedFrom, 77_777);
  assert.deepEqual(readFileSync(dest), payload);
  assert.deepEqual(
    requests.map((q) => q.range),
    ["bytes=77777-", "bytes=77777-"],
  );
});

test("a connection that breaks again and again but advances is followed to the end", async () => {
  files.set("/flaky.bin", payload);
  files.set("/page.bin", payload);
  const dest = join(tmp, "flaky", "flaky.bin");
  const r = await downloadFile(`${base}/flaky.bin`, dest, { ...quiet, retries: 1, md5: md5(payload) });
  assert.deepEqual(readFileSync(dest), payload);
  assert.equal(r.attempts, Math.ceil(payload.length / 30_000));
});

test("a web page served instead of the file is recognised and the message says to fetch it by hand", async () => {
  const dest = join(tmp, "page", "page.bin");
  await assert.rejects(
    downloadFile(`${base}/page.bin`, dest, { ...quiet, md5: md5(payload), page: "https://example.org/dataset" }),
    (err: unknown) => {
      assert.ok(err instanceof ChecksumError);
      assert.match(err.message, /web page instead of the file.*https:\/\/example\.org\/dataset/);
      return true;
    },
  );
  assert.equal(existsSync(`${dest}.part`), false);
});

test("a checksum mismatch removes the download and says what was expected", async () => {
  files.set("/bad.bin", payload);
  const dest = join(tmp, "bad", "bad.bin");
  const wrong = "0123456789abcdef0123456789abcdef";
  await assert.rejects(downloadFile(`${base}/bad.bin`, dest, { ...quiet, md5: wrong }), (err: unknown) => {
    assert.ok(err instanceof ChecksumError);
    assert.ok(err.message.includes(wrong) && err.message.includes(md5(payload)), err.message);
    assert.ok(err.message.includes(`${base}/bad.bin`));
    return true;
  });
  assert.equal(existsSync(dest), false);
  assert.equal(existsSync(`${dest}.part`), false);
});

test("an unreachable server gives a message with the URL and what to do by hand", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const url = `http://127.0.0.1:${port}/Train.zip`;
  const dest = join(tmp, "offline", "Train.zip");
  await assert.rejects(downloadFile(url, dest, { ...quiet, page: "https://example.org/page" }), (err: unknown) => {
    assert.ok(err instanceof DownloadError);
    assert.ok(err.message.includes(url), err.message);
    assert.ok(err.message.includes(dest), err.message);
    assert.ok(err.message.includes("https://example.org/page"), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
  await assert.rejects(downloadFile(`${base}/nothing-here.zip`, join(tmp, "404.zip"), quiet), /HTTP 404/);
});

function specFor(name: string, resources: DatasetSpec["resources"]): DatasetSpec {
  return {
    name: "nmnist",
    title: `fixture ${name}`,
    citation: "",
    licence: "",
    resources,
    layout: ["Train/<digit>/<n>.bin"],
    classes: [],
    sensor: { width: 34, height: 34, polarities: 2 },
    splits: {},
  };
}

test("fetchDataset downloads, verifies and extracts each resource once; a second run does nothing", async () => {
  const zip = makeZip([{ name: "Train/3/00001.bin", data: "abcde" }]);
  const tgz = makeTarGz([{ name: "Test/4/00002.bin", data: "fghij" }]);
  files.set("/Train.zip", zip);
  files.set("/Test.tar.gz", tgz);
  const spec = specFor("ok", [
    { file: "Train.zip", url: `${base}/Train.zip`, md5: md5(zip), extract: "zip" },
    { file: "Test.tar.gz", url: `${base}/Test.tar.gz`, md5: md5(tgz), extract: "tar.gz" },
  ]);
  const root = join(tmp, "ds");
  const first = await fetchDataset(spec, root, quiet);
  assert.deepEqual(
    first.map((f) => f.status),
    ["downloaded", "downloaded"],
  );
  assert.equal(readFileSync(join(root, "Train/3/00001.bin"), "utf8"), "abcde");
  assert.equal(readFileSync(join(root, "Test/4/00002.bin"), "utf8"), "fghij");
  requests.length = 0;
  const second = await fetchDataset(spec, root, quiet);
  assert.deepEqual(
    second.map((f) => f.status),
    ["already-extracted", "already-extracted"],
  );
  assert.equal(requests.length, 0);
});

test("fetchDataset refuses a served archive with a path-traversal entry", async () => {
  const evil = makeZip([{ name: "../../outside.txt", data: "x" }]);
  files.set("/evil.zip", evil);
  const root = join(tmp, "evil-ds", "a", "b");
  const spec = specFor("evil", [{ file: "evil.zip", url: `${base}/evil.zip`, md5: md5(evil), extract: "zip" }]);
  await assert.rejects(fetchDataset(spec, root, quiet), /outside/);
  assert.equal(existsSync(join(root, "..", "..", "outside.txt")), false);
  assert.equal(existsSync(join(root, "download", "evil.zip.extracted")), false);
});

test("a missing dataset folder names the path, the layout and the download command", () => {
  const spec = specFor("missing", [
    { file: "Train.zip", url: "https://example.org/Train.zip", md5: "x", extract: "zip" },
  ]);
  assert.throws(
    () => requireFetched(spec, join(tmp, "nope"), "the Train/ folder", join(tmp, "nope", "Train")),
    (err: Error) => {
      assert.ok(err.message.includes(join(tmp, "nope", "Train")));
      assert.ok(err.message.includes("razor-snn data download nmnist"));
      assert.ok(err.message.includes("https://example.org/Train.zip"));
      return true;
    },
  );
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { extractArchive } from "../../src/data/archive/extract.js";
import { ArchiveError } from "../../src/data/archive/safe-path.js";
import { makeTarGz, makeZip } from "./archive-fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-archive-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, data: Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

const big = Buffer.alloc(300_001);
for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
const longName = `deep/${"n".repeat(120)}/file.bin`;
const entries = [
  { name: "top/", type: "5" },
  { name: "top/a.txt", data: "hello" },
  { name: "top/empty.bin", data: "" },
  { name: "top/sub/big.bin", data: big },
  { name: longName, data: "long" },
];

test("tar.gz: files, folders, empty files, pax long names and multi-block data come out byte-exact", async () => {
  const out = join(tmp, "tar-ok");
  const r = await extractArchive(write("ok.tar.gz", makeTarGz(entries)), out);
  assert.equal(r.files, 4);
  assert.equal(readFileSync(join(out, "top/a.txt"), "utf8"), "hello");
  assert.equal(readFileSync(join(out, "top/empty.bin")).length, 0);
  assert.deepEqual(readFileSync(join(out, "top/sub/big.bin")), big);
  assert.equal(readFileSync(join(out, longName), "utf8"), "long");
  assert.deepEqual(
    readdirSync(join(out, "top")).filter((f) => f.endsWith(".part")),
    [],
    "no temporary files remain",
  );
});

test("zip: deflate and stored entries come out byte-exact", async () => {
  for (const store of [false, true]) {
    const out = join(tmp, `zip-ok-${store}`);
    const r = await extractArchive(write(`ok-${store}.zip`, makeZip(entries, { store })), out);
    assert.equal(r.files, 4);
    assert.equal(readFileSync(join(out, "top/a.txt"), "utf8"), "hello");
    assert.deepEqual(readFileSync(join(out, "top/sub/big.bin")), big);
    assert.equal(readFileSync(join(out, longName), "utf8"), "long");
  }
});

for (const evil of ["../escaped.txt", "top/../../escaped.txt", "/tmp/razor-absolute-escape.txt", "C:/escape.txt"]) {
  test(`an entry named '${evil}' is refused and nothing is written outside the target`, async () => {
    for (const kind of ["tar.gz", "zip"] as const) {
      const target = join(tmp, `evil-${kind}-${evil.replace(/[^a-z]/gi, "_")}`, "inner");
      mkdirSync(target, { recursive: true });
      const list = [
        { name: "ok.txt", data: "fine" },
        { name: evil, data: "pwned" },
      ];
      const file = write(`evil.${kind}`, kind === "zip" ? makeZip(list) : makeTarGz(list));
      await assert.rejects(extractArchive(file, target), (err: unknown) => {
        assert.ok(err instanceof ArchiveError, String(err));
        assert.match(err.message, /outside/);
        assert.ok(err.message.includes(evil), err.message);
        return true;
      });
      assert.equal(existsSync(join(target, "..", "escaped.txt")), false);
      assert.equal(existsSync(join(target, "..", "..", "escaped.txt")), false);
      assert.equal(existsSync("/tmp/razor-absolute-escape.txt"), false);
      // zip checks every name before writing: not even the harmless entry is written.
      if (kind === "zip") assert.equal(existsSync(join(target, "ok.txt")), false);
    }
  });
}

test("symbolic links are skipped, not created (they could point outside)", async () => {
  const out = join(tmp, "links");
  const list = [
    { name: "a.txt", data: "x" },
    { name: "link", type: "2", linkName: "/etc/passwd" },
  ];
  const r = await extractArchive(write("links.tar.gz", makeTarGz(list)), out);
  assert.equal(r.files, 1);
  assert.equal(r.skipped.length, 1);
  assert.equal(existsSync(join(out, "link")), false);
  const z = await extractArchive(write("links.zip", makeZip(list)), join(tmp, "links-zip"));
  assert.equal(z.skipped.length, 1);
  assert.equal(existsSync(join(tmp, "links-zip", "link")), false);
});

test("damaged archives give a typed error naming the file", async () => {
  const zip = makeZip(entries);
  await assert.rejects(
    extractArchive(write("crc.zip", makeZip(entries, { badCrcFor: "top/a.txt" })), join(tmp, "c1")),
    (e: unknown) => {
      assert.ok(e instanceof ArchiveError);
      assert.match(e.message, /crc\.zip.*top\/a\.txt.*CRC|crc\.zip.*top\/a\.txt/s);
      return true;
    },
  );
  await assert.rejects(
    extractArchive(write("cut.zip", zip.subarray(0, zip.length - 30)), join(tmp, "c2")),
    ArchiveError,
  );
  const tgz = makeTarGz(entries);
  await assert.rejects(
    extractArchive(write("cut.tar.gz", tgz.subarray(0, tgz.length >> 1)), join(tmp, "c3")),
    ArchiveError,
  );
  await assert.rejects(
    extractArchive(write("notar.tar.gz", gzipSync(Buffer.alloc(1024, 65))), join(tmp, "c4")),
    /checksum/,
  );
});

test("single .gz files are gunzipped beside", async () => {
  const out = join(tmp, "gz");
  await extractArchive(write("data.h5.gz", gzipSync(big)), out);
  assert.deepEqual(readFileSync(join(out, "data.h5")), big);
});

const hasTar = spawnSync("tar", ["--version"]).status === 0;
test("archives written by the system's tar (GNU/pax long names) extract the same", {
  skip: !hasTar && "no tar",
}, async () => {
  const src = join(tmp, "sys-src");
  mkdirSync(join(src, "d", "x".repeat(150)), { recursive: true });
  writeFileSync(join(src, "d", "x".repeat(150), "f.bin"), big);
  writeFileSync(join(src, "d", "small.txt"), "small");
  const archive = join(tmp, "sys.tar.gz");
  const r = spawnSync("tar", ["-czf", archive, "-C", src, "d"]);
  assert.equal(r.status, 0, String(r.stderr));
  const out = join(tmp, "sys-out");
  await extractArchive(archive, out);
  assert.deepEqual(readFileSync(join(out, "d", "x".repeat(150), "f.bin")), big);
  assert.equal(readFileSync(join(out, "d", "small.txt"), "utf8"), "small");
});

test("extraction reports progress up to the total: zip entries, tar.gz compressed bytes", async () => {
  for (const [kind, archive] of [
    ["zip", makeZip(entries)],
    ["tar.gz", makeTarGz(entries)],
  ] as const) {
    const seen: [number, number][] = [];
    await extractArchive(write(`progress.${kind}`, archive), join(tmp, `progress-${kind}`), kind, (d, t) =>
      seen.push([d, t]),
    );
    assert.ok(seen.length >= (kind === "zip" ? entries.length : 1), kind);
    const total = kind === "zip" ? entries.length : archive.length;
    assert.ok(seen.every(([, t]) => t === total));
    assert.deepEqual(seen.at(-1), [total, total]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] >= seen[i - 1]![0], "never goes back");
  }
});

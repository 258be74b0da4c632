/**
 * Issue #12, "files escaping or exhausting the disk": archive entries that name the target itself, duplicate names,
 * decompression bombs and giant name headers are refused with ArchiveError before memory or disk grow. The bombs
 * are built small: they declare or expand to large sizes, the test never writes hundreds of MB.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { deflateRawSync, gzipSync } from "node:zlib";
import { extractArchive } from "../../src/data/archive/extract.js";
import { ArchiveError } from "../../src/data/archive/safe-path.js";
import { makeTar, makeTarGz, makeZip, tarHeader } from "../data/archive-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "razor-hard-arc-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function refused(name: string, bytes: Buffer, pattern: RegExp, maxBytes?: number): Promise<string> {
  const file = join(dir, `${n++}-${name}`);
  writeFileSync(file, bytes);
  const target = join(dir, `${n++}-out`);
  const t0 = Date.now();
  await assert.rejects(extractArchive(file, target, undefined, undefined, { maxBytes }), (err: Error) => {
    assert.ok(err instanceof ArchiveError, `${name}: an ArchiveError, got ${err.name}: ${err.message}`);
    assert.match(err.message, pattern, name);
    return true;
  });
  assert.ok(Date.now() - t0 < 2000, `${name}: refused at once`);
  assert.ok(!existsSync(`${target}.part`), `${name}: nothing written beside the target`);
  return target;
}

/** A zip of `real` bytes of zeros whose headers declare `declared` bytes. */
function lyingZip(real: number, declared: number): Buffer {
  const zip = makeZip([{ name: "a.bin", data: new Uint8Array(real) }]);
  const comp = deflateRawSync(new Uint8Array(real)).length;
  zip.writeUInt32LE(declared, 22); // local header
  const central = 30 + 5 + comp;
  zip.writeUInt32LE(declared, central + 24);
  return zip;
}

test("entries named '.', './' (tar) or '.', '' (zip) are refused, not written beside the target", async () => {
  for (const name of [".", "./"])
    await refused(`dot-${name.length}.tar.gz`, makeTarGz([{ name, data: "x" }]), /names the target folder itself/);
  for (const name of [".", ""])
    await refused(`dot-${name.length}.zip`, makeZip([{ name, data: "x" }]), /names the target folder itself/);
  // a directory entry './' stays fine
  const ok = join(dir, "dirdot.tar.gz");
  writeFileSync(
    ok,
    makeTarGz([
      { name: "./", type: "5" },
      { name: "./a.txt", data: "x" },
    ]),
  );
  const res = await extractArchive(ok, join(dir, "dirdot"));
  assert.equal(res.files, 1);
});

test("duplicate names are refused, not overwritten", async () => {
  const entries = [
    { name: "a/x.bin", data: "first" },
    { name: "a/x.bin", data: "second" },
  ];
  await refused("dup.tar.gz", makeTarGz(entries), /'a\/x.bin' appears twice/);
  await refused("dup.zip", makeZip(entries), /'a\/x.bin' appears twice/);
});

test("a zip entry that inflates past its declared size stops at once (small and streamed entries)", async () => {
  await refused("liar-small.zip", lyingZip(32 << 20, 100), /inflates past its declared 100 bytes/);
  await refused("liar-stream.zip", lyingZip(48 << 20, 9 << 20), /inflates past its declared 9437184 bytes/);
});

test("the total an archive unpacks to is capped: zip and tar.gz by declared sizes, gz while streaming", async () => {
  const big = new Uint8Array(4 << 20);
  const entries = [
    { name: "a.bin", data: big },
    { name: "b.bin", data: big },
  ];
  const t = await refused("bomb.tar.gz", makeTarGz(entries), /unpacks to more than 6000000 bytes/, 6_000_000);
  assert.ok(!existsSync(join(t, "b.bin")), "the entry past the cap is not written");
  await refused("bomb.zip", makeZip(entries), /unpacks to more than 6000000 bytes/, 6_000_000);
  const gzTarget = await refused(
    "bomb.bin.gz",
    gzipSync(new Uint8Array(16 << 20)),
    /more than 1000000 bytes/,
    1_000_000,
  );
  assert.deepEqual(existsSync(gzTarget) ? readdirSync(gzTarget) : [], [], "no partial output left");
});

test("a GNU long-name header larger than any name is refused before it is read into memory", async () => {
  const tar = Buffer.concat([tarHeader("././@LongLink", 700_000_000, "L"), Buffer.alloc(1024)]);
  await refused("longname.tar.gz", gzipSync(tar), /GNU long-name header of 700000000 bytes/);
  // a normal long name (pax) still works
  const ok = join(dir, "long.tar.gz");
  writeFileSync(ok, makeTarGz([{ name: `${"d".repeat(150)}/f.txt`, data: "x" }]));
  assert.equal((await extractArchive(ok, join(dir, "long"))).files, 1);
  assert.ok(makeTar([]).length > 0);
});

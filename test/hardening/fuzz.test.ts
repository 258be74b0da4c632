/**
 * Fuzzing what a hostile download or command line can hand the project: truncated and bit-flipped archives give
 * only ArchiveError (never another exception, never a file outside the target), and random bad option values end
 * with one line and a non-zero exit code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { extractArchive } from "../../src/data/archive/extract.js";
import { ArchiveError } from "../../src/data/archive/safe-path.js";
import { projectRoot } from "../../src/util/paths.js";
import { Rng } from "../../src/util/rng.js";
import { makeTarGz, makeZip } from "../data/archive-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "razor-hard-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("truncated and bit-flipped zip and tar.gz archives give only ArchiveError and stay in their folder", async () => {
  const rng = new Rng(12);
  const entries = [
    { name: "d/", type: "5" },
    { name: "d/a.bin", data: new Uint8Array(3000).map((_, i) => i * 7) },
    { name: "d/b.txt", data: "hello ".repeat(200) },
  ];
  const originals = [
    ["zip", makeZip(entries)],
    ["tar.gz", makeTarGz(entries)],
  ] as const;
  let typed = 0;
  for (let trial = 0; trial < 120; trial++) {
    const [kind, original] = originals[trial % 2]!;
    const bytes = Buffer.from(original);
    // a zeroed tail: a download cut short into a preallocated file
    if (rng.uniform() < 0.5) bytes.fill(0, rng.int(bytes.length));
    for (let f = 0; f < 1 + rng.int(4); f++) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
    const file = join(dir, `f${trial}.${kind}`);
    writeFileSync(file, rng.uniform() < 0.5 ? bytes.subarray(0, 1 + rng.int(bytes.length)) : bytes);
    const target = join(dir, `t${trial}`);
    try {
      await extractArchive(file, target, undefined, undefined, { maxBytes: 1 << 20 });
    } catch (err) {
      assert.ok(
        err instanceof ArchiveError,
        `trial ${trial} (${kind}): ${(err as Error).name}: ${(err as Error).message}`,
      );
      typed++;
    }
    for (const name of readdirSync(dir)) {
      assert.ok(/^(f\d+\.(zip|tar\.gz)|t\d+)$/.test(name), `trial ${trial}: '${name}' written beside the targets`);
    }
  }
  assert.ok(typed > 20, `most damaged archives are refused (${typed})`);
});

test("random bad option values end at once with one line and a non-zero exit", () => {
  const rng = new Rng(5);
  const bad = ["0", "-3", "1.5", "abc", "99999999999999999999", "", "1e400"];
  const options = ["--batch", "--epochs", "--threads", "--limit-train"];
  for (let i = 0; i < 6; i++) {
    const opt = options[rng.int(options.length)]!;
    const value = bad[rng.int(bad.length)]!;
    const r = spawnSync(
      process.execPath,
      [
        join(projectRoot(), "bin", "razor-snn.js"),
        "train",
        "--dataset",
        "nmnist-small",
        "--out",
        join(dir, "o"),
        `${opt}=${value}`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.notEqual(r.status, 0, `${opt}=${value}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, `${opt}=${value}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`razor-snn: .*${opt.slice(2)}`), `${opt}=${value} is named`);
  }
});

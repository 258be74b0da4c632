/**
 * Issue #12, labels files: a class id is a label, so it is bounded (a huge one made V8 allocate a billion class
 * names and abort after 32 s; a 20-digit one died with "Invalid array length"), and a negative one is an error
 * naming the file and line instead of turning every class into a name sorted as a string.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openLabelledFolder } from "../../src/data/datasets/labels-file.js";
import { labelIndex, MAX_CLASSES, parseLabels } from "../../src/data/labels.js";
import { projectRoot, sharedDataDir } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-hard-labels-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const index = (text: string, classes?: number) => labelIndex(parseLabels(text, "l.txt"), { file: "l.txt", classes });

test("integer classes beyond any network's output, or a config's, are refused naming the file and line", () => {
  for (const big of ["999999999", "99999999999999999999", String(MAX_CLASSES)]) {
    assert.throws(
      () => index(`a\t0\nb\t1\nc\t${big}\n`),
      new RegExp(`^Error: l\\.txt line 3: class ${big.slice(0, 24)} is not a class id: .*below ${MAX_CLASSES}`),
    );
  }
  assert.equal(index(`a\t0\nb\t${MAX_CLASSES - 1}\n`).classes.length, MAX_CLASSES);
  assert.deepEqual(index("a\t0\nb\t9\n", 10).labels, [0, 9]);
  assert.throws(() => index("a\t0\n# c\nb\t10\n", 10), /^Error: l\.txt line 3: class 10 .*below the config's 10/);
});

test("a negative class is an error naming the file and line, not a renumbering of every class", () => {
  assert.throws(() => index("a\t2\nb\t-1\nc\t0\n"), /^Error: l\.txt line 2: class -1 is not a class id/);
  assert.throws(() => index("a\t+1\n"), /^Error: l\.txt line 1: class \+1 is not a class id/);
  // names stay names, sorted and numbered
  assert.deepEqual(index("a\tdog\nb\tcat\n").labels, [1, 0]);
});

function folder(name: string, cls: string): { data: string; labels: string } {
  const data = join(dir, name);
  mkdirSync(data);
  const small = join(sharedDataDir(), "nmnist", "small");
  for (const id of ["1", "2"]) copyFileSync(join(small, `${id}.bs2`), join(data, `${id}.bs2`));
  const labels = join(dir, `${name}.txt`);
  writeFileSync(labels, `1\t0\n2\t${cls}\n`);
  return { data, labels };
}

test("openLabelledFolder names the labels file", () => {
  const { data, labels } = folder("open", "-1");
  assert.throws(
    () => openLabelledFolder(data, labels),
    (e: Error) => e.message.startsWith(`${labels} line 2: class -1`),
  );
});

test("razor-snn train --data DIR --labels FILE ends at once with a one-line error and a non-zero exit", () => {
  for (const [name, cls] of [
    ["huge", "999999999"],
    ["overflow", "99999999999999999999"],
    ["negative", "-1"],
  ] as const) {
    const { data, labels } = folder(name, cls);
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        join(projectRoot(), "bin", "razor-snn.js"),
        "train",
        "--data",
        data,
        "--labels",
        labels,
        "--out",
        join(dir, `run-${name}`),
        "--quiet",
      ],
      { encoding: "utf8", env: { ...process.env, RAZOR_SNN_CACHE: join(dir, "cache") }, timeout: 30_000 },
    );
    const ms = Date.now() - t0;
    assert.notEqual(r.status, 0, `${name}: non-zero exit`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${name}: one line: ${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`${name}\\.txt line 2: class ${cls.replace("-", "\\-")} is not a class id`));
    // before the fix: 32 s and a V8 abort at 1.9 GB; the bound is generous for a loaded 2-core machine
    assert.ok(ms < 10_000, `${name}: ${ms} ms`);
  }
});

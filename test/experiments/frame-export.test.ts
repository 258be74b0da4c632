/** export-frames' .npy header, and the command's errors on bad arguments. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { npyHeader } from "../../src/experiments/frame-export.js";
import { projectRoot } from "../../src/util/paths.js";

test("npyHeader: a v1.0 header of 128 bytes (64-aligned data) whose dict holds dtype and shape", () => {
  for (const shape of [[7], [13500, 2, 34, 34], [2 ** 40, 700]]) {
    const h = npyHeader("<u2", shape);
    assert.equal(h.length, 128);
    assert.deepEqual([...h.slice(0, 8)], [0x93, 78, 85, 77, 80, 89, 1, 0]);
    const len = new DataView(h.buffer).getUint16(8, true);
    assert.equal(10 + len, 128);
    const dict = new TextDecoder().decode(h.slice(10));
    assert.ok(dict.endsWith("\n"));
    const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
    assert.match(dict, new RegExp(`^\\{'descr': '<u2', 'fortran_order': False, 'shape': \\(${dims}\\), \\}`));
  }
  assert.throws(
    () =>
      npyHeader(
        "<u2",
        Array.from({ length: 12 }, () => 2 ** 40),
      ),
    /does not fit 128 bytes/,
  );
});

test("export-frames: missing --out and unknown variants are one-line errors", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), "data", "export-frames", ...args], {
      encoding: "utf8",
    });
  const noOut = run("--dataset", "nmnist-small");
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /expected --out DIR/);
  const bad = run("--dataset", "nmnist-small", "--out", "/tmp/never", "--model", "big");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--model big: expected razor, ta or snn/);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
});

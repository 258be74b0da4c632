/** The main job (`razor-snn demo`) end to end at a tiny size: data, training, sweep with controls, speed, files. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { projectRoot } from "../../src/util/paths.js";

const dir = mkdtempSync(join(tmpdir(), "razor-demo-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function demo(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(projectRoot(), "bin", "razor-snn.js"), "demo", ...args], {
    encoding: "utf8",
    env: { ...process.env, RAZOR_SNN_CACHE: join(dir, "cache") },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("demo runs the whole job and writes checkpoint, sweep, plot and summary; a second run replaces the first", () => {
  const out = join(dir, "demo");
  const args = ["--out", out, "--train", "232", "--test", "32", "--epochs", "1", "--threads", "2", "--quiet"];
  const r = demo(...args, "--json");
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.data.train + s.data.calibration, 232);
  assert.equal(s.data.test, 32);
  assert.ok(s.accuracy.finalEpoch >= 0 && s.accuracy.finalEpoch <= 1);
  assert.equal(s.sweep.points.length, 5);
  for (const p of s.sweep.points) {
    for (const k of ["razor", "random", "stride", "eventCount"]) assert.equal(typeof p[k], "number", k);
  }
  assert.ok(s.sweep.points[s.sweep.points.length - 1].dropped > 0.5, "the highest target drops most of the work");
  assert.ok(s.inference.unmaskedMs > 0 && s.inference.maskedMs > 0);
  for (const f of Object.values(s.files) as string[]) assert.ok(existsSync(f), f);
  assert.match(readFileSync(s.files.plot, "utf8"), /^<svg/);
  const again = demo(...args);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /threshold sweep/);
  assert.match(again.out, /target {2}dropped {3}razor {2}random {2}stride {2}event-count/);
});

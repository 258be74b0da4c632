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
  const args = ["--out", out, "--train", "200", "--val", "32", "--test", "32", "--epochs", "1", "--threads", "2"];
  const r = demo(...args, "--quiet", "--json");
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.deepEqual([s.data.train, s.data.validation, s.data.test], [200, 32, 32]);
  assert.ok(s.accuracy.test >= 0 && s.accuracy.test <= 1);
  assert.ok(s.accuracy.testLow <= s.accuracy.test && s.accuracy.test <= s.accuracy.testHigh);
  assert.equal(s.sweep.schedule, "hierarchical");
  assert.equal(s.sweep.points.length, 5);
  for (const p of s.sweep.points) {
    for (const k of ["razor", "random", "stride", "eventCount", "validation", "sopsDropped"])
      assert.equal(typeof p[k], "number", k);
    assert.ok(p.speedupEventDriven > 0 && p.speedupDense > 0);
    for (let k = 1; k < p.rates.length; k++) assert.ok(p.rates[k] >= p.rates[k - 1], "deeper layers drop more");
  }
  assert.ok(s.sweep.points[s.sweep.points.length - 1].dropped > 0.5, "the highest target drops most of the work");
  // the operating point is chosen on validation: target 0 always qualifies, so there is one
  assert.ok(s.operatingPoint !== null && s.operatingPoint.speedupEventDriven > 0);
  assert.ok(existsSync(s.files.checkpoint) && existsSync(s.files.sweep));
  for (const f of Object.values(s.files.plots) as string[]) assert.match(readFileSync(f, "utf8"), /^<svg/);
  const again = demo(...args, "--quiet", "--compare");
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /hierarchical threshold sweep/);
  assert.match(again.out, /target {2}layer rates {3}frames {4}SOPs {2}speed-up ev\/dense {5}val {3}razor/);
  assert.match(again.out, /operating point/);
  assert.match(again.out, /first scored layer only/);
});

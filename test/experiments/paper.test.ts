/**
 * razor-snn paper: each benchmark's protocol runs end to end (1 epoch, 2 samples) on a tiny folder in the dataset's
 * own layout, the checkpoint carries the protocol's values, and the output puts the run beside the published numbers.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../cli-run.js";
import "../../src/engine/index.js";
import { loadCheckpointModel } from "../../src/checkpoint/load-model.js";
import { PAPER_PROTOCOLS, PUBLISHED, paperProtocol, protocolOverrides } from "../../src/experiments/paper.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { parseOverrides } from "../../src/models/config.js";
import {
  buildCifar10DvsDataset,
  buildGestureDataset,
  buildNcaltech101Dataset,
  buildShdDataset,
} from "../data/dataset-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "razor-paper-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(join(dir, "cache"), args);

test("every protocol is a valid config for its dataset and every benchmark has a published row", () => {
  for (const p of PAPER_PROTOCOLS) {
    const c = loadModelConfig(p.dataset, parseOverrides(protocolOverrides(p)));
    assert.equal(c.frames.T, p.T);
    assert.equal(c.frames.dtMs, p.dtMs);
    assert.equal(c.train.epochs, p.epochs);
    assert.equal(c.lif.surrogateWidth, p.surrogateWidth);
    assert.ok(
      PUBLISHED.some((r) => r.dataset === p.dataset),
      p.key,
    );
    assert.equal(paperProtocol(p.dataset), p, "the dataset name works as well as the key");
  }
  assert.throws(() => paperProtocol("mnist"), /paper mnist: expected one of gesture, shd, cifar10-dvs, ncaltech101/);
});

const fixtures: Record<string, (root: string) => void> = {
  gesture: buildGestureDataset,
  shd: buildShdDataset,
  "cifar10-dvs": (root) => buildCifar10DvsDataset(root, 10),
  ncaltech101: (root) => buildNcaltech101Dataset(root, ["accordion", "airplanes", "anchor"], 10),
};

for (const p of PAPER_PROTOCOLS) {
  test(`paper ${p.key}: one tiny epoch end to end, protocol in the checkpoint, rows beside the published ones`, () => {
    const data = join(dir, `data-${p.key}`);
    fixtures[p.key]!(data);
    const out = join(dir, `run-${p.key}`);
    const smoke = ["--epochs", "1", "--limit", "2", "--batch", "2", "--threads", "1", "--quiet"];
    const r = cli("paper", p.key, "--data", data, "--out", out, ...smoke);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\| TA-SNN \(published\) \|/);
    assert.match(r.out, /\| Razor SNN \(published\) \|/);
    assert.match(r.out, /\| this run, razor, final epoch \| \d+\.\d\d \| test split — 1 of the protocol's/);
    assert.match(r.out, /not the paper's protocol/);
    const json = JSON.parse(readFileSync(join(out, "paper.json"), "utf8"));
    assert.equal(json.paperProtocol, false);
    assert.equal(json.rows.length, 4);
    const pub = PUBLISHED.find((x) => x.dataset === p.dataset)!;
    assert.equal(json.rows[2].accuracy, pub.taSnn);
    const { model, pre } = loadCheckpointModel(join(out, "last.safetensors"));
    const c = model.config;
    assert.deepEqual(
      [c.frames.T, c.frames.dtMs, c.frames.trainSlice, c.frames.testClips],
      [p.T, p.dtMs, p.trainSlice, p.testClips],
    );
    assert.deepEqual([c.train.lr, c.train.epochs, c.lif.surrogateWidth], [p.lr, p.epochs, p.surrogateWidth]);
    assert.equal(pre.T, p.T);
    model.dispose();
  });
}

test("paper: a missing benchmark or folder says what was expected", () => {
  assert.match(cli("paper", "--data", dir, "--out", dir).err, /say which benchmark: razor-snn paper gesture\|shd/);
  assert.match(cli("paper", "shd", "--out", dir).err, /--data DIR is required: the SHD folder/);
  assert.match(cli("paper", "imagenet", "--data", dir, "--out", dir).err, /paper imagenet: expected one of/);
  assert.equal(cli("paper", "--help").code, 0);
});

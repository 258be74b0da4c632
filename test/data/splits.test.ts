import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeEventStream } from "../../src/events/stream.js";
import { writeAtis40 } from "../../src/events/writers/atis40.js";
import { openCifar10Dvs } from "../../src/data/datasets/cifar10-dvs.js";
import { openLabelledFolder, tailSplit } from "../../src/data/datasets/labels-file.js";
import { labelIndex, parseLabels } from "../../src/data/labels.js";
import { openNcaltech101 } from "../../src/data/datasets/ncaltech101.js";
import { openNmnist, openNmnistSmall } from "../../src/data/datasets/nmnist.js";
import { openData } from "../../src/data/open.js";
import { sharedDataDir } from "../../src/util/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "razor-splits-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const smallDir = join(sharedDataDir(), "nmnist", "small");

function atisFile(path: string, n: number, seed: number): void {
  const t = Float64Array.from({ length: n }, (_, i) => 1000 * i + seed);
  const x = Uint16Array.from({ length: n }, (_, i) => (i * 7 + seed) % 34);
  const y = Uint16Array.from({ length: n }, (_, i) => (i * 3 + seed) % 34);
  const p = Uint8Array.from({ length: n }, (_, i) => (i + seed) & 1);
  writeFileSync(path, writeAtis40(makeEventStream(t, x, y, p, { width: 34, height: 34, polarities: 2 })));
}

test("labels files: tabs or spaces, CRLF, # comments; integer classes keep their value", () => {
  const lines = parseLabels("#sample #class\r\n1\t5\r\n\r\n# note\n2 0\n3\t9\n", "l.txt");
  assert.deepEqual(
    lines.map((l) => [l.id, l.cls, l.line]),
    [
      ["1", "5", 2],
      ["2", "0", 5],
      ["3", "9", 6],
    ],
  );
  const { classes, labels } = labelIndex(lines);
  assert.deepEqual(labels, [5, 0, 9]);
  assert.equal(classes.length, 10);
  const named = labelIndex(parseLabels("a\tcat\nb\tdog\nc\tcat\n"));
  assert.deepEqual(named.classes, ["cat", "dog"]);
  assert.deepEqual(named.labels, [0, 1, 0]);
  assert.throws(() => parseLabels("1\t5\n2\n", "bad.txt"), /bad\.txt line 2: expected 'id<TAB>class'/);
  assert.throws(() => parseLabels("1\t5\n1\t6\n", "dup.txt"), /dup\.txt line 2: id '1' was already labelled on line 1/);
});

test("the shared N-MNIST small split: first 900 ids of train1K.txt train, last 100 validate", async () => {
  const ds = openNmnistSmall();
  const ids = parseLabels(readFileSync(join(smallDir, "train1K.txt"), "utf8")).map((l) => l.id);
  assert.equal(ids.length, 1000);
  assert.deepEqual(
    ds.splits.train!.map((s) => s.id),
    ids.slice(0, 900),
  );
  assert.deepEqual(
    ds.splits.valid!.map((s) => s.id),
    ids.slice(900),
  );
  // README: 1 -> 5, 2 -> 0, 3 -> 4; class histogram [97,116,99,93,105,92,94,117,87,100].
  assert.deepEqual(
    ds.splits.train!.slice(0, 3).map((s) => s.label),
    [5, 0, 4],
  );
  const hist = new Array(10).fill(0);
  for (const s of [...ds.splits.train!, ...ds.splits.valid!]) hist[s.label]++;
  assert.deepEqual(hist, [97, 116, 99, 93, 105, 92, 94, 117, 87, 100]);
  // Loading decodes the real file: 1.bs2 has 4 681 events, first (18,16,893,1).
  const ev = await ds.splits.train![0]!.load();
  assert.equal(ev.t.length, 4681);
  assert.deepEqual([ev.x[0], ev.y[0], ev.t[0], ev.p[0]], [18, 16, 893, 1]);
  assert.deepEqual(ev.sensor, { width: 34, height: 34, polarities: 2 });
  // The same through the generic entry point (--data/--labels) and tailSplit's default 10 % hold-out.
  const viaOpen = await openData({ data: smallDir, labels: join(smallDir, "train1K.txt") });
  assert.equal(viaOpen.splits.all!.length, 1000);
  const { train, valid } = tailSplit(viaOpen.splits.all!);
  assert.deepEqual(
    train.map((s) => s.id),
    ds.splits.train!.map((s) => s.id),
  );
  assert.deepEqual(
    valid.map((s) => s.id),
    ds.splits.valid!.map((s) => s.id),
  );
});

test("a labels folder with a missing recording names the ids, the line and the folder", () => {
  const dir = join(tmp, "user");
  mkdirSync(dir);
  atisFile(join(dir, "a.bin"), 10, 1);
  atisFile(join(dir, "extra.bin"), 10, 2);
  writeFileSync(join(dir, "labels.txt"), "# mine\na\tcat\nb\tdog\n");
  assert.throws(
    () => openLabelledFolder(dir, join(dir, "labels.txt")),
    (e: Error) => e.message.includes("'b' (line 3)") && e.message.includes(dir),
  );
  writeFileSync(join(dir, "labels.txt"), "a\tcat\n");
  const ds = openLabelledFolder(dir, join(dir, "labels.txt"));
  assert.equal(ds.splits.all!.length, 1);
  assert.match(ds.notes[0]!, /1 file\(s\).*no label/);
  assert.throws(() => openLabelledFolder(dir, join(dir, "nope.txt")), /nope\.txt cannot be read/);
});

test("N-MNIST Train/Test folders: official split, label = digit folder, natural file order", () => {
  const root = join(tmp, "nmnist");
  for (const [split, digits] of [
    ["Train", [0, 3]],
    ["Test", [3]],
  ] as const) {
    for (const d of digits) {
      mkdirSync(join(root, split, String(d)), { recursive: true });
      for (const n of [2, 10, 1]) atisFile(join(root, split, String(d), `${String(n).padStart(5, "0")}.bin`), 5, n + d);
    }
  }
  const ds = openNmnist(root);
  assert.deepEqual(
    ds.splits.train!.map((s) => `${s.id}:${s.label}`),
    ["Train/0/00001:0", "Train/0/00002:0", "Train/0/00010:0", "Train/3/00001:3", "Train/3/00002:3", "Train/3/00010:3"],
  );
  assert.equal(ds.splits.test!.length, 3);
  assert.throws(() => openNmnist(join(tmp, "empty")), /Train\/ folder not found.*razor-snn data download nmnist/s);
});

test("CIFAR10-DVS: seeded 9:1 per class, written to disk with its seed, read back unchanged", () => {
  const root = join(tmp, "cifar");
  const src = join(smallDir, "1.bs2");
  for (const cls of ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]) {
    mkdirSync(join(root, cls), { recursive: true });
    // the split only lists files; their content is not read here
    for (let i = 0; i < 20; i++) copyFileSync(src, join(root, cls, `cifar10_${cls}_${i}.aedat`));
  }
  const a = openCifar10Dvs(root, 7);
  assert.equal(a.splits.train!.length, 180);
  assert.equal(a.splits.test!.length, 20);
  for (let c = 0; c < 10; c++) assert.equal(a.splits.test!.filter((s) => s.label === c).length, 2);
  const train = new Set(a.splits.train!.map((s) => s.id));
  assert.ok(
    a.splits.test!.every((s) => !train.has(s.id)),
    "train and test are disjoint",
  );
  const file = join(root, "splits", "cifar10-dvs-9to1-seed7.json");
  const saved = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(saved.seed, 7);
  assert.deepEqual(
    saved.test,
    a.splits.test!.map((s) => s.id),
  );
  // Same seed: the same split (read back); another seed: another split.
  assert.deepEqual(
    openCifar10Dvs(root, 7).splits.test!.map((s) => s.id),
    saved.test,
  );
  assert.notDeepEqual(
    openCifar10Dvs(root, 8).splits.test!.map((s) => s.id),
    saved.test,
  );
  // The file on disk wins: an edited split is used as written.
  saved.test = saved.test.slice(0, 3);
  writeFileSync(file, JSON.stringify(saved));
  assert.equal(openCifar10Dvs(root, 7).splits.test!.length, 3);
});

test("N-Caltech101: classes from the folders without BACKGROUND_Google, seeded 9:1 per class on disk", () => {
  const root = join(tmp, "caltech");
  const src = join(smallDir, "1.bs2");
  for (const [cls, n] of [
    ["BACKGROUND_Google", 5],
    ["accordion", 10],
    ["airplanes", 21],
    ["Faces_easy", 3],
  ] as const) {
    mkdirSync(join(root, "Caltech101", cls), { recursive: true });
    for (let i = 1; i <= n; i++)
      copyFileSync(src, join(root, "Caltech101", cls, `image_${String(i).padStart(4, "0")}.bin`));
  }
  const ds = openNcaltech101(root, 3);
  // code-unit order, as Python's sorted() (tonic, spikingjelly): upper case first
  assert.deepEqual(ds.classes, ["Faces_easy", "accordion", "airplanes"]);
  const count = (split: string, label: number) => ds.splits[split]!.filter((s) => s.label === label).length;
  assert.deepEqual([count("train", 1), count("test", 1)], [9, 1]);
  assert.deepEqual([count("train", 2), count("test", 2)], [19, 2]);
  assert.deepEqual([count("train", 0), count("test", 0)], [3, 0]);
  assert.ok(ds.splits.train!.every((s) => !s.id.startsWith("BACKGROUND")));
  assert.equal(ds.splitFiles[0], join(root, "splits", "ncaltech101-9to1-seed3.json"));
});

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { command } from "../../src/cli/commands/emulate.js";
import { decodeEvents } from "../../src/events/decode.js";
import { emulateFrames } from "../../src/events/emulator/emulator.js";
import { listFrameFiles, readFrameImage } from "../../src/events/emulator/image-files.js";

const tmp = mkdtempSync(join(tmpdir(), "emulate-cli-"));
process.env.RAZOR_SNN_CACHE = join(tmp, "cache"); // keep the dataset cache of these tests out of the user's
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A bright bar moving 2 pixels per frame over a dark background, `n` frames of w×h. */
function barFrame(f: number, w: number, h: number): Uint8Array {
  const gray = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) gray[y * w + x] = x >= 3 + 2 * f && x < 8 + 2 * f ? 220 : 30;
  return gray;
}

function rgba(gray: Uint8Array): Buffer {
  const out = Buffer.alloc(gray.length * 4);
  gray.forEach((v, i) => {
    out[4 * i] = v;
    out[4 * i + 1] = v;
    out[4 * i + 2] = v;
    out[4 * i + 3] = 255;
  });
  return out;
}

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await command.run(args), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("frames folder -> .bin file holds exactly the emulator's events; frames come in natural order", async () => {
  const dir = join(tmp, "png");
  mkdirSync(dir);
  const w = 21;
  const h = 9;
  const grays: Uint8Array[] = [];
  for (let f = 0; f < 12; f++) {
    const g = barFrame(f, w, h);
    grays.push(g);
    const png = new PNG({ width: w, height: h });
    rgba(g).copy(png.data);
    writeFileSync(join(dir, `frame_${f}.png`), PNG.sync.write(png)); // frame_10 sorts after frame_9
  }
  assert.deepEqual(
    listFrameFiles(dir).map((p) => p.slice(dir.length + 1)),
    grays.map((_, f) => `frame_${f}.png`),
  );
  const out = join(tmp, "bar.bin");
  const { code, out: printed } = await run([dir, "--out", out, "--fps", "200", "--seed", "3", "--json"]);
  assert.equal(code, 0);
  const summary = JSON.parse(printed);
  const expected = emulateFrames(
    { width: w, height: h, frames: grays, timestamps: grays.map((_, f) => f * 5000) },
    { seed: 3 },
  );
  const decoded = decodeEvents(new Uint8Array(readFileSync(out)), {
    format: "atis40",
    sensor: { width: w, height: h, polarities: 2 },
  }).stream;
  assert.equal(summary.events, expected.t.length);
  assert.deepEqual(Array.from(decoded.t), Array.from(expected.t));
  assert.deepEqual(Array.from(decoded.x), Array.from(expected.x));
  assert.deepEqual(Array.from(decoded.p), Array.from(expected.p));
  assert.ok(summary.on > 100 && summary.off > 100);
});

test("JPEG frames through a pattern, AEDAT 3.1 output, a timestamps file and emulator flags", async () => {
  const dir = join(tmp, "jpg");
  mkdirSync(dir);
  for (let f = 0; f < 5; f++) {
    const data = rgba(barFrame(f, 16, 8));
    writeFileSync(join(dir, `img${f}.jpg`), jpeg.encode({ width: 16, height: 8, data }, 95).data);
  }
  writeFileSync(join(dir, "notes.txt"), "not a frame");
  const ts = join(tmp, "ts.txt");
  writeFileSync(ts, "# µs\n0\n1000\n2500\n4000\n9000\n");
  const out = join(tmp, "bar.aedat");
  const { code } = await run([join(dir, "img*.jpg"), "-o", out, "--timestamps", ts, "--threshold-on", "0.4"]);
  assert.equal(code, 0);
  const ev = decodeEvents(new Uint8Array(readFileSync(out)), { format: "aedat3" }).stream;
  assert.ok(ev.t.length > 50);
  assert.ok(ev.t[ev.t.length - 1]! <= 9000 && ev.t[0]! >= 0);
  assert.equal(readFrameImage(join(dir, "img0.jpg")).width, 16);
});

test("bad input: clear errors naming the file or flag", async () => {
  const dir = join(tmp, "bad");
  mkdirSync(dir);
  const a = new PNG({ width: 4, height: 4 });
  const b = new PNG({ width: 5, height: 4 });
  writeFileSync(join(dir, "a.png"), PNG.sync.write(a));
  writeFileSync(join(dir, "b.png"), PNG.sync.write(b));
  await assert.rejects(run([dir, "--out", join(tmp, "x.bin")]), /b\.png: 5x4, but the first frame is 4x4/);
  await assert.rejects(run([dir, "--out", join(tmp, "x.mp4")]), /cannot tell the output format/);
  await assert.rejects(run([dir, "--out", join(tmp, "x.bin"), "--refractory-us=-1"]), /'refractoryUs' must be >= 0/);
  writeFileSync(join(dir, "c.png"), "not really a png");
  await assert.rejects(run([join(dir, "c.*"), "--out", join(tmp, "x.bin")]), /found, need at least 2/);
  await assert.rejects(run([join(tmp, "missing"), "--out", join(tmp, "x.bin")]), /missing: no such folder/);
  assert.throws(() => readFrameImage(join(dir, "c.png")), /c\.png: not a PNG or JPEG file/);
});

test("nmnist-emu writes 40-bit recordings and a labels file the data layer reads", async () => {
  const out = join(tmp, "emu");
  const { code } = await run([
    "nmnist-emu",
    "--out",
    out,
    "--split",
    "test",
    "--count",
    "3",
    "--idle-ms",
    "0",
    "--json",
  ]);
  assert.equal(code, 0);
  const labels = readFileSync(join(out, "labels.txt"), "utf8").trim().split("\n").slice(1);
  assert.equal(labels.length, 3);
  const [id, cls] = labels[2]!.split("\t") as [string, string];
  assert.equal(cls, "2");
  const ev = decodeEvents(new Uint8Array(readFileSync(join(out, `${id}.bin`))), { format: "atis40" }).stream;
  assert.ok(ev.t.length > 1000 && ev.t[ev.t.length - 1]! < 400_000);
});

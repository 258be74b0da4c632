/**
 * End-to-end: the built viewer page in Debian's Chromium (headless, via playwright-core), served by the same server
 * `razor-snn view` runs. Opens real sample recordings through the file picker and checks what the page shows.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { sharedDataDir } from "../../src/util/paths.js";
import { startViewerServer, type ViewerServer } from "../../src/web/server.js";
import { browserSkipReason, collectPageErrors, launchBrowser, testOutputDir } from "./browser.js";
import { nmnistDir, trainNmnistCheckpoint } from "./trained-checkpoint.js";

const skip = browserSkipReason();
if (skip) console.log(`# skipping browser tests: ${skip}`);

let server: ViewerServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  server = await startViewerServer({ port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 950 } });
  const errors = collectPageErrors(page);
  await page.goto(server.url);
  return { page, errors };
}

/** The number shown in #event-count once a recording is open. */
async function shownEventCount(page: Page): Promise<number> {
  await page.waitForFunction(() => /\d/.test(document.getElementById("event-count")?.textContent ?? ""), null, {
    timeout: 15_000,
  });
  return Number((await page.textContent("#event-count"))!.replace(/,/g, ""));
}

test("viewer: a DVS128 Gesture clip opened with the file picker shows its event count and plays", {
  skip,
}, async () => {
  const { page, errors } = await openPage();
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, "page is cross-origin isolated");
  const file = join(sharedDataDir(), "dvs_gesture", "slayerPytorch_binarySpikeTestFiles", "1.bs2");
  await page.setInputFiles("#open-recordings", file);
  // reference numbers from shared/data/README.md
  assert.equal(await shownEventCount(page), 63_471);
  assert.equal(await page.textContent("#rec-onoff"), "32,164 / 31,307");
  assert.equal(await page.textContent("#rec-sensor"), "128×128 (guessed)");
  assert.equal(await page.locator("#frames-strip canvas").count(), 10);

  // moving the time slider changes the window shown; the event view gets non-background pixels
  await page.locator("#time-slider").fill("500");
  const label = await page.textContent("#time-label");
  assert.match(label!, /^t = 72\d\.\d ms \/ 1\.450 s · [\d,]+ events in 29\.0 ms$/);
  const litPixels = await page.evaluate(() => {
    const c = document.getElementById("events-canvas") as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 200) lit++;
    return lit;
  });
  assert.ok(litPixels > 50, `event view shows events (${litPixels} lit pixels)`);
  // Play advances the time window; Pause stops it
  await page.click("#play");
  await page.waitForFunction((before) => document.getElementById("time-label")?.textContent !== before, label);
  assert.equal(await page.textContent("#play"), "❚❚ Pause");
  await page.click("#play");
  assert.equal(await page.textContent("#play"), "▶ Play");
  const paused = await page.textContent("#time-label");
  await page.waitForTimeout(200);
  assert.equal(await page.textContent("#time-label"), paused, "paused playback stays put");
  await page.screenshot({ path: join(testOutputDir(), "viewer-gesture.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("viewer: N-MNIST samples with their label list, a dropped file, and an unreadable one", { skip }, async () => {
  const { page, errors } = await openPage();
  const dir = join(sharedDataDir(), "nmnist", "small");
  await page.setInputFiles("#open-recordings", [join(dir, "train1K.txt"), join(dir, "1.bs2"), join(dir, "2.bs2")]);
  await page.waitForFunction(() => document.querySelectorAll("#recording-list li").length === 2);
  assert.equal(await shownEventCount(page), 4_681);
  assert.equal(await page.textContent("#rec-name"), "1.bs2 (label 5)");
  await page.click("#recording-list li:nth-child(2)");
  assert.equal(await shownEventCount(page), 5_028);
  assert.equal(await page.textContent("#rec-name"), "2.bs2 (label 0)");

  // drag-and-drop: a third sample dropped on the page joins the list
  const dropped = readFileSync(join(dir, "3.bs2")).toString("base64");
  const transfer = await page.evaluateHandle((data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], "3.bs2"));
    return dt;
  }, dropped);
  await page.dispatchEvent("body", "drop", { dataTransfer: transfer });
  await page.waitForFunction(() => document.querySelectorAll("#recording-list li").length === 3);
  assert.ok((await shownEventCount(page)) > 0);
  assert.match((await page.textContent("#rec-name"))!, /^3\.bs2 \(label 4\)$/);

  // a file no decoder reads: one clear line in the status, the open recordings stay
  const junk = join(testOutputDir(), "not-events.bin");
  writeFileSync(junk, "not an event file");
  await page.setInputFiles("#open-recordings", junk);
  await page.waitForSelector("#status.error");
  assert.match((await page.textContent("#status"))!, /^not-events\.bin at byte 0: no known header/);
  assert.equal(await page.locator("#recording-list li").count(), 3);
  assert.deepEqual(errors, []);
  await page.close();
});

test("viewer: an SHD-layout HDF5 file opens as labelled samples with a spike raster", { skip }, async () => {
  const { page, errors } = await openPage();
  const dir = join(sharedDataDir(), "shd", "SYNTHETIC_layout_fixture");
  const expected = JSON.parse(readFileSync(join(dir, "synthetic_shd_layout_f16_gzip.expected.json"), "utf8")) as {
    n: number;
    len: number[];
    labels: number[];
  };
  await page.setInputFiles("#open-recordings", join(dir, "synthetic_shd_layout_f16_gzip.h5"));
  await page.waitForFunction((n) => document.querySelectorAll("#recording-list li").length === n, expected.n);
  assert.equal(await shownEventCount(page), expected.len[0]);
  assert.equal(await page.isVisible("#raster-canvas"), true);
  assert.equal(await page.isVisible("#events-canvas"), false);
  assert.match((await page.textContent("#rec-format"))!, new RegExp(`^shd, sample 1 of ${expected.n}`));
  await page.click("#recording-list li:nth-child(3)");
  assert.equal(await shownEventCount(page), expected.len[2]);
  assert.match((await page.textContent("#rec-name"))!, new RegExp(`#2 \\(label ${expected.labels[2]}\\)$`));
  const lit = await page.evaluate(() => {
    const c = document.getElementById("raster-canvas") as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2]! > 200 && d[i]! < 150) n++;
    return n;
  });
  // every spike is a 2×2 dot in the ON colour; dots may overlap or be clipped, so at least one pixel each
  assert.ok(lit >= expected.len[2]! && lit <= 4 * expected.len[2]!, `raster shows the spikes (${lit} pixels)`);
  assert.deepEqual(errors, []);
  await page.close();
});

/** "kept / total" from #kept-count. */
async function keptFrames(page: Page): Promise<[number, number]> {
  const m = /^(\d+) \/ (\d+)$/.exec((await page.textContent("#kept-count")) ?? "");
  assert.ok(m, "kept-count shows 'kept / total'");
  return [Number(m[1]), Number(m[2])];
}

/** Waits until the page shows results for θ and no inference is running (the model panel records both). */
async function resultsFor(page: Page, theta: string): Promise<void> {
  await page.waitForFunction(
    (th) => {
      const d = document.getElementById("model-panel")?.dataset;
      return d?.theta === th && d.busy === "0";
    },
    theta,
    { timeout: 30_000 },
  );
}

test("viewer: a checkpoint trained in the test runs in the page; moving θ changes the kept frames", {
  skip,
}, async () => {
  const ckptPath = join(testOutputDir(), "viewer-nmnist-razor.safetensors");
  writeFileSync(ckptPath, await trainNmnistCheckpoint(["1", "2", "3", "4", "5", "6", "7", "8"]));
  const { page, errors } = await openPage();
  const dir = nmnistDir();
  const ids = ["1", "2", "3", "4"];
  await page.setInputFiles("#open-recordings", [join(dir, "train1K.txt"), ...ids.map((id) => join(dir, `${id}.bs2`))]);
  await page.waitForFunction(() => document.querySelectorAll("#recording-list li").length === 4);
  await page.setInputFiles("#open-checkpoint", ckptPath);
  await resultsFor(page, "0.00");
  assert.equal(await page.isVisible("#model-panel"), true);
  assert.match((await page.textContent("#model-summary"))!, /^razor · nmnist · 10 classes · T = 15 · 2 masked layers/);
  // the page's Worker runs the model on the project's own .wasm (threaded where the machine has several cores)
  assert.match((await page.textContent("#model-summary"))!, /engine: wasm SIMD, \d+ threads?$/);
  // the checkpoint stores no θ: every frame is kept in both masked layers
  assert.deepEqual(await keptFrames(page), [30, 30]);
  assert.match((await page.textContent("#accuracy"))!, /^\d\/4 = [\d.]+ % with mask, [\d.]+ % without$/);
  assert.equal(await page.locator("#frames-strip canvas").count(), 15, "the model's T input frames are shown");

  await page.locator("#threshold").fill("0.9");
  await resultsFor(page, "0.90");
  const [kept, total] = await keptFrames(page);
  assert.equal(total, 30);
  assert.ok(kept < 30, `θ = 0.9 drops frames (kept ${kept} of 30)`);
  assert.match((await page.textContent("#sops-saving"))!, /^\d+\.\d %$/);
  await page.screenshot({ path: join(testOutputDir(), "viewer-nmnist-model.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

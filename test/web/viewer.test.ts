/**
 * End-to-end: the built viewer page in Debian's Chromium (headless, via playwright-core), served by the same server
 * `razor-snn view` runs. Opens real sample recordings through the file picker and checks what the page shows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { sharedDataDir } from "../../src/util/paths.js";
import { startViewerServer, type ViewerServer } from "../../src/web/server.js";
import { browserSkipReason, collectPageErrors, launchBrowser, testOutputDir } from "./browser.js";

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
  assert.match(label!, /^t = 72\d\.\d ms \/ 1\.450 s · \d+ events in 29\.0 ms$/);
  const litPixels = await page.evaluate(() => {
    const c = document.getElementById("events-canvas") as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 200) lit++;
    return lit;
  });
  assert.ok(litPixels > 50, `event view shows events (${litPixels} lit pixels)`);
  await page.screenshot({ path: join(testOutputDir(), "viewer-gesture.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("viewer: several N-MNIST samples with their label list", { skip }, async () => {
  const { page, errors } = await openPage();
  const dir = join(sharedDataDir(), "nmnist", "small");
  await page.setInputFiles("#open-recordings", [join(dir, "train1K.txt"), join(dir, "1.bs2"), join(dir, "2.bs2")]);
  await page.waitForFunction(() => document.querySelectorAll("#recording-list li").length === 2);
  assert.equal(await shownEventCount(page), 4_681);
  assert.equal(await page.textContent("#rec-name"), "1.bs2 (label 5)");
  await page.click("#recording-list li:nth-child(2)");
  assert.equal(await shownEventCount(page), 5_028);
  assert.equal(await page.textContent("#rec-name"), "2.bs2 (label 0)");
  assert.deepEqual(errors, []);
  await page.close();
});

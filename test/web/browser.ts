/**
 * Test helper: Debian's Chromium driven through playwright-core, with the viewer server in the same process.
 * In CI (CI=true) a missing browser is an error; locally the browser tests skip with a message saying how to
 * install it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { projectRoot } from "../../src/util/paths.js";

export const chromiumPath = process.env.RAZOR_SNN_CHROMIUM ?? "/usr/bin/chromium";

/** false when the browser tests can run; otherwise the reason to skip (never in CI: there it throws). */
export function browserSkipReason(): string | false {
  if (existsSync(chromiumPath)) return false;
  const msg = `Chromium not found at ${chromiumPath}: run \`bash scripts/install-system-deps.sh\` (Debian's chromium)`;
  if (process.env.CI) throw new Error(`${msg}; browser tests never skip in CI`);
  return msg;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // root in containers has no user namespace for the sandbox; the page is our own, served on loopback
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/** Collects the page's console errors and uncaught exceptions, so a test can assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return errors;
}

/** The folder where browser tests leave screenshots: out/test/web under the project. */
export function testOutputDir(): string {
  const dir = join(projectRoot(), "out", "test", "web");
  mkdirSync(dir, { recursive: true });
  return dir;
}

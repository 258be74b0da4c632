/**
 * Downloads one file over HTTP(S) into `<dest>.part`, resuming with a Range request after a cut connection (in
 * the same call, and in a later call that finds the .part file), checks its MD5, then renames it to `dest`, so a
 * file at `dest` is always complete.
 */
import { closeSync, createWriteStream, existsSync, openSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { basename, dirname } from "node:path";
import { ProgressBar } from "../../util/progress.js";
import { ChecksumError, hashFile } from "./checksum.js";

export interface DownloadOptions {
  md5?: string;
  /** attempts after a cut connection or a server error (each resumes where the last stopped); default 5 */
  retries?: number;
  /** wait before a retry, ms, doubled each time; default 1000 */
  backoffMs?: number;
  /** abort a connection that sends nothing for this long, ms; default 60 000 */
  idleTimeoutMs?: number;
  /** show a progress bar on stderr; default true */
  progress?: boolean;
  /** a page a person can download the file from by hand (named in the error message) */
  page?: string;
  log?: (line: string) => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** bytes that were already in `.part` when the first request of this call went out */
  resumedFrom: number;
  /** HTTP requests made (redirects not counted) */
  attempts: number;
  alreadyPresent: boolean;
}

/** The download could not be done; the message says what to do by hand. */
export class DownloadError extends Error {
  override readonly name = "DownloadError";
  constructor(
    readonly url: string,
    readonly dest: string,
    reason: string,
    page?: string,
  ) {
    super(
      `could not download ${url}: ${reason}.\n` +
        `  If this machine has no internet access, download it by hand${page ? ` (from ${page} or the URL above)` : ""} ` +
        `and save it as ${dest}, then run the same command again: it checks the checksum and extracts it.`,
    );
  }
}

// Errors that mean "no route to the server": retrying will not help, say so at once.
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ECONNREFUSED", "EAI_FAIL"]);

// Errors of the local disk: retrying will not help either.
const LOCAL_FAILURE = new Set(["EACCES", "EPERM", "ENOSPC", "EROFS", "EISDIR", "ENOTDIR", "EMFILE"]);

class RetryableError extends Error {}

export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (existsSync(dest)) {
    if (opts.md5 === undefined) return done(dest, 0, 0, true);
    const actual = await hashFile(dest);
    if (actual === opts.md5) return done(dest, 0, 0, true);
    log(`${dest} is present but its md5 is ${actual}, not ${opts.md5}: downloading it again`);
    rmSync(dest);
  }
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const resumedFrom = existsSync(part) ? statSync(part).size : 0;
  if (resumedFrom > 0) log(`resuming ${basename(dest)} from byte ${resumedFrom}`);
  const retries = opts.retries ?? 5;
  let backoff = opts.backoffMs ?? 1000;
  let attempts = 0;
  let failures = 0; // in a row without progress: a connection that keeps breaking but advances is not given up
  for (;;) {
    attempts++;
    const before = existsSync(part) ? statSync(part).size : 0;
    try {
      await fetchInto(url, part, opts);
      break;
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== undefined && UNREACHABLE.has(code)) {
        throw new DownloadError(url, dest, `${code} (${(err as Error).message})`, opts.page);
      }
      if (!(err instanceof RetryableError) && (code === undefined || LOCAL_FAILURE.has(code))) throw err;
      const have = existsSync(part) ? statSync(part).size : 0;
      if (have > before) {
        failures = 0;
        backoff = opts.backoffMs ?? 1000;
      }
      if (++failures > retries) {
        throw new DownloadError(
          url,
          dest,
          `${(err as Error).message} (gave up after ${failures} attempts in a row without progress)`,
          opts.page,
        );
      }
      log(`${basename(dest)}: ${(err as Error).message}; retrying from byte ${have} (attempt ${attempts + 1})`);
      await new Promise((r) => setTimeout(r, backoff));
      backoff *= 2;
    }
  }
  if (opts.md5 !== undefined) {
    const actual = await hashFile(part);
    if (actual !== opts.md5) {
      const page = looksLikeWebPage(part);
      rmSync(part, { force: true });
      throw new ChecksumError(dest, url, opts.md5, actual, page ? (opts.page ?? url) : undefined);
    }
  }
  renameSync(part, dest);
  return done(dest, resumedFrom, attempts, false);
}

/** Servers that want a browser (consent pages, quotas) answer with HTML instead of the file. */
function looksLikeWebPage(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, 512, 0);
    return /^\s*<(!doctype html|html|head|body)/i.test(head.toString("latin1", 0, n));
  } finally {
    closeSync(fd);
  }
}

function done(path: string, resumedFrom: number, attempts: number, alreadyPresent: boolean): DownloadResult {
  return { path, bytes: statSync(path).size, resumedFrom, attempts, alreadyPresent };
}

/** One request (following redirects) that appends to `part` from its current size. */
async function fetchInto(url: string, part: string, opts: DownloadOptions): Promise<void> {
  const offset = existsSync(part) ? statSync(part).size : 0;
  const res = await get(url, part.slice(0, -5), offset, opts.idleTimeoutMs ?? 60_000, opts.page);
  const status = res.statusCode ?? 0;
  if (status === 416 && offset > 0) {
    // Nothing left to send: the .part is already whole (the checksum decides).
    res.resume();
    return;
  }
  let append = false;
  if (status === 206) {
    const start = /bytes (\d+)-/.exec(res.headers["content-range"] ?? "")?.[1];
    if (start === undefined || Number(start) !== offset) {
      res.resume();
      throw new RetryableError(
        `server answered the range request from byte ${offset} with '${res.headers["content-range"]}'`,
      );
    }
    append = true;
  } else if (status !== 200) {
    res.resume();
    const reason = `HTTP ${status} ${res.statusMessage ?? ""}`.trim();
    if (status >= 500 || status === 408 || status === 429) throw new RetryableError(reason);
    throw new DownloadError(url, part.slice(0, -5), reason, opts.page);
  }
  const length = Number(res.headers["content-length"] ?? Number.NaN);
  const total = Number.isFinite(length) ? length + (append ? offset : 0) : 0;
  const bar =
    opts.progress === false || total === 0
      ? null
      : new ProgressBar({ label: basename(part.slice(0, -5)), total: Math.ceil(total / 1024), unit: "KiB" });
  bar?.tick(append ? Math.floor(offset / 1024) : 0);
  const out = createWriteStream(part, { flags: append ? "a" : "w" });
  let received = 0;
  let ticked = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      res.on("data", (chunk: Buffer) => {
        received += chunk.length;
        const kib = Math.floor(received / 1024);
        if (kib > ticked) {
          bar?.tick(kib - ticked);
          ticked = kib;
        }
        if (!out.write(chunk)) {
          res.pause();
          out.once("drain", () => res.resume());
        }
      });
      res.on("aborted", () => reject(new RetryableError(`connection closed after ${received} bytes`)));
      res.on("error", (e) => reject(new RetryableError(`connection failed after ${received} bytes: ${e.message}`)));
      res.on("end", () => resolve());
      res.on("close", () => {
        if (!res.complete) reject(new RetryableError(`connection closed after ${received} bytes`));
      });
    });
  } finally {
    await new Promise<void>((r) => out.end(r));
  }
  if (Number.isFinite(length) && received < length) {
    throw new RetryableError(`connection closed after ${received} of ${length} bytes`);
  }
  bar?.finish();
}

/** GET with an optional Range header, following up to 10 redirects; `dest` names the file for a by-hand download. */
function get(
  url: string,
  dest: string,
  offset: number,
  idleTimeoutMs: number,
  page: string | undefined,
  redirects = 0,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const requester = u.protocol === "https:" ? httpsRequest : u.protocol === "http:" ? httpRequest : null;
    if (requester === null) {
      reject(new DownloadError(url, dest, `unsupported protocol ${u.protocol}`, page));
      return;
    }
    const headers: Record<string, string> = { "user-agent": "razor-snn" };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const req = requester(u, { method: "GET", headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        if (redirects >= 10) {
          reject(new DownloadError(url, dest, "too many redirects", page));
          return;
        }
        get(new URL(res.headers.location, u).toString(), dest, offset, idleTimeoutMs, page, redirects + 1).then(
          resolve,
          reject,
        );
        return;
      }
      resolve(res);
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new RetryableError(`no data for ${idleTimeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end();
  });
}

/** Node entry for SHD/SSC files: a time-limited probe in a worker, then reading in this thread. */
import { open } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import h5wasm from "h5wasm/node";
import { isHdf5 } from "./detect.js";
import { EventFormatError } from "./errors.js";
import { openShdWith, type ShdFile } from "./shd.js";

export interface OpenShdOptions {
  /** time limit for the probe that opens the file in a worker (default 30 s) */
  timeoutMs?: number;
  /** skip the worker probe (trusted files; saves ~100 ms) */
  trusted?: boolean;
}

/**
 * Opens the file in a worker with a time limit and reads every row; resolves with the rows read when h5wasm read
 * them all, else throws EventFormatError.
 */
export function probeShd(path: string, timeoutMs = 30000): Promise<number> {
  return probeHdf5(new URL("./shd-probe-worker.js", import.meta.url), path, timeoutMs);
}

/**
 * Runs an HDF5 probe worker (workerData {path}; it posts {ok, error?, rowsRead?}) under a time limit, so a file that
 * makes the HDF5 library abort or hang takes down only the worker; resolves with rowsRead, else EventFormatError.
 */
export function probeHdf5(worker: URL, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(worker, {
      workerData: { path },
      stderr: true,
      stdout: true,
    });
    let diag = "";
    w.stderr.on("data", (d: Buffer) => {
      diag = (diag + d.toString()).slice(-4000);
    });
    w.stdout.resume();
    let done = false;
    let rows = 0;
    const finish = (err: EventFormatError | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void w.terminate();
      if (err) reject(err);
      else resolve(rows);
    };
    const timer = setTimeout(
      () =>
        finish(
          new EventFormatError(path, -1, `the HDF5 library did not finish reading the file within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    w.on("message", (m: { ok: boolean; error?: string; rowsRead?: number }) => {
      rows = m.rowsRead ?? 0;
      if (m.ok) finish(null);
      else {
        const hint = /minor: ([^\n]+)/.exec(diag)?.[1];
        finish(
          new EventFormatError(
            path,
            -1,
            `${m.error?.replace(`${path}: `, "") ?? "unreadable"}${hint ? ` (HDF5: ${hint.trim()})` : ""}`,
          ),
        );
      }
    });
    w.on("error", (e) => finish(new EventFormatError(path, -1, `the HDF5 library failed: ${e.message}`)));
    w.on("exit", (code) => finish(new EventFormatError(path, -1, `the HDF5 reader stopped (exit code ${code})`)));
  });
}

/** Refuses a file that does not start with the HDF5 signature (before h5wasm sees it); `what` names the format. */
export async function checkHdf5Signature(path: string, what = "SHD/SSC files are HDF5"): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EventFormatError(path, -1, code === "ENOENT" ? "no such file" : `cannot open (${code ?? String(e)})`);
  }
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (bytesRead < 8 || !isHdf5(head)) {
      throw new EventFormatError(path, 0, `expected the HDF5 signature \\x89HDF\\r\\n\\x1a\\n (${what})`);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Opens an SHD/SSC HDF5 file: { length, labels, keys, speakers, sample(i) }. The file is first opened in a worker
 * with a time limit so that a corrupt file gives an EventFormatError instead of aborting or hanging this process.
 */
export async function openShd(path: string, opts: OpenShdOptions = {}): Promise<ShdFile> {
  await checkHdf5Signature(path);
  if (!opts.trusted) await probeShd(path, opts.timeoutMs);
  const Module = await h5wasm.ready;
  return openShdWith(h5wasm, Module, path, path);
}

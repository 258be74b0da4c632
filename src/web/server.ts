/**
 * The viewer's local HTTP server (Node only): serves the built page (dist/web), the engine's .wasm and the files
 * named on the command line, on the loopback interface. Every response carries the cross-origin isolation headers,
 * so the page may use SharedArrayBuffer (the wasm engine's shared memory and threads).
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, extname, join, resolve, sep } from "node:path";
import { projectRoot } from "../util/paths.js";

/** What the page learns from GET /session.json: files to open at start-up. */
export interface ViewerSession {
  recordings: { name: string; url: string }[];
  checkpoint: { name: string; url: string } | null;
  labels: { name: string; url: string } | null;
  /** URL of the engine's .wasm, or null when it has not been built */
  wasm: string | null;
}

export interface ViewerServerOptions {
  /** recordings to open at start-up */
  recordings?: string[];
  checkpoint?: string;
  /** a label list (`id<TAB>class` lines) for the recordings */
  labels?: string;
  /** 0 picks a free port */
  port?: number;
  /** defaults to 127.0.0.1; the viewer is a local tool */
  host?: string;
  /** folder holding the built page (default dist/web of the project) */
  pageDir?: string;
  /** the engine's wasm (default build/razor.wasm of the project) */
  wasmFile?: string;
}

export interface ViewerServer {
  url: string;
  port: number;
  session: ViewerSession;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

const isolationHeaders: Record<string, string> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
};

/** The default folder of the built page. */
export function defaultPageDir(): string {
  return join(projectRoot(), "dist", "web");
}

/** Starts the server; rejects with a clear message when a file is missing or the port is taken. */
export async function startViewerServer(opts: ViewerServerOptions = {}): Promise<ViewerServer> {
  const pageDir = resolve(opts.pageDir ?? defaultPageDir());
  if (!existsSync(join(pageDir, "index.html"))) {
    throw new Error(`the viewer page is not built: ${join(pageDir, "index.html")} is missing (run \`npm run build\`)`);
  }
  const wasmFile = resolve(opts.wasmFile ?? join(projectRoot(), "build", "razor.wasm"));
  const files = new Map<string, string>();
  const serveFile = (kind: string, index: number, path: string): { name: string; url: string } => {
    const abs = resolve(path);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new Error(`${kind} file not found: ${path}`);
    const name = basename(abs);
    const url = `/files/${kind}/${index}/${encodeURIComponent(name)}`;
    files.set(url, abs);
    return { name, url };
  };
  const session: ViewerSession = {
    recordings: (opts.recordings ?? []).map((p, i) => serveFile("recording", i, p)),
    checkpoint: opts.checkpoint ? serveFile("checkpoint", 0, opts.checkpoint) : null,
    labels: opts.labels ? serveFile("labels", 0, opts.labels) : null,
    wasm: existsSync(wasmFile) ? "/razor.wasm" : null,
  };
  if (session.wasm) files.set("/razor.wasm", wasmFile);

  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => handle(req, res, pageDir, files, session, host));
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    session,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((ok, fail) => {
    const onError = (err: NodeJS.ErrnoException) => {
      fail(
        err.code === "EADDRINUSE"
          ? new Error(`port ${port} on ${host} is already in use (choose another with --port, or --port 0)`)
          : err,
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      ok();
    });
  });
}

function handle(
  req: IncomingMessage,
  res: ServerResponse,
  pageDir: string,
  files: Map<string, string>,
  session: ViewerSession,
  boundHost: string,
): void {
  for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
  if (!isLocalHost(req.headers.host, boundHost)) {
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not read the user's files
    send(res, 421, "text/plain; charset=utf-8", "the viewer answers only to localhost and 127.0.0.1\n");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return;
  }
  const path = safeDecode(new URL(req.url ?? "/", "http://localhost").pathname);
  if (path === null) {
    send(res, 400, "text/plain; charset=utf-8", "bad URL encoding\n");
    return;
  }
  if (path === "/session.json") {
    send(res, 200, contentTypes[".json"]!, JSON.stringify(session));
    return;
  }
  const named = files.get(encodePath(path));
  if (named !== undefined) {
    // recordings and checkpoints are opaque bytes to the browser; the wasm needs its type for streaming compile
    stream(req, res, named, extname(named) === ".wasm" ? contentTypes[".wasm"]! : "application/octet-stream");
    return;
  }
  const rel = path === "/" ? "index.html" : path.slice(1);
  const abs = resolve(pageDir, rel);
  if (abs !== pageDir && !abs.startsWith(pageDir + sep)) {
    send(res, 403, "text/plain; charset=utf-8", "forbidden\n");
    return;
  }
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    send(res, 404, "text/plain; charset=utf-8", `not found: ${path}\n`);
    return;
  }
  stream(req, res, abs, contentTypes[extname(abs)] ?? "application/octet-stream");
}

function stream(req: IncomingMessage, res: ServerResponse, file: string, type: string): void {
  res.statusCode = 200;
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", statSync(file).size);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.end(body);
}

function safeDecode(p: string): string | null {
  try {
    return decodeURIComponent(p);
  } catch {
    return null;
  }
}

/** The served URLs of named files encode the file name; match the request in the same form. */
function encodePath(decoded: string): string {
  const parts = decoded.split("/");
  const last = parts.pop() ?? "";
  return [...parts, encodeURIComponent(last)].join("/");
}

/**
 * A Host header naming this server: localhost, 127.0.0.1, [::1] or the address it was bound to (--host), with any
 * port. Anything else is a name that merely resolves here (DNS rebinding).
 */
export function isLocalHost(host: string | undefined, boundHost = "127.0.0.1"): boolean {
  if (host === undefined) return false;
  const name = host.replace(/:\d{1,5}$/, "").toLowerCase();
  return name === "localhost" || name === "127.0.0.1" || name === "[::1]" || name === boundHost.toLowerCase();
}

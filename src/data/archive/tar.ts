/**
 * A streaming reader for (gzipped) tar archives: ustar, GNU long names ('L') and pax path/size records.
 * Regular files and folders are written; links and devices are skipped (a link could point outside the target).
 */
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { createGunzip } from "node:zlib";
import {
  ArchiveError,
  checkTotal,
  DEFAULT_MAX_EXTRACT_BYTES,
  EntryNames,
  type ExtractLimits,
  entryPath,
  fileEntryPath,
  MAX_NAME_HEADER_BYTES,
} from "./safe-path.js";

export interface ExtractResult {
  files: number;
  bytes: number;
  /** entries not written (links, devices) */
  skipped: string[];
}

const BLOCK = 512;

interface Header {
  name: string;
  size: number;
  type: string;
  linkName: string;
}

/** Called as extraction advances: `done` of `total` units (compressed bytes for tar.gz, entries for zip). */
export type ExtractProgress = (done: number, total: number) => void;

export async function extractTarGz(
  archive: string,
  target: string,
  onProgress?: ExtractProgress,
  limits: ExtractLimits = {},
): Promise<ExtractResult> {
  const source = createReadStream(archive);
  if (onProgress) {
    const total = (await stat(archive)).size;
    source.on("data", () => onProgress(source.bytesRead, total));
  }
  return extractTarStream(archive, source.pipe(createGunzip()), target, limits);
}

/** Extracts a tar byte stream (already decompressed) into `target`. */
export async function extractTarStream(
  archive: string,
  stream: AsyncIterable<Buffer>,
  target: string,
  limits: ExtractLimits = {},
): Promise<ExtractResult> {
  const result: ExtractResult = { files: 0, bytes: 0, skipped: [] };
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_EXTRACT_BYTES;
  const names = new EntryNames();
  let declared = 0;
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0; // offset in the tar stream of buf[0]
  let entry: {
    header: Header;
    remaining: number;
    padding: number;
    out: FileHandle | null;
    tmp: string;
    path: string;
  } | null = null;
  let longName: string | null = null;
  let paxPath: string | null = null;
  let paxSize: number | null = null;
  let special: { kind: "L" | "x"; data: Buffer[]; remaining: number; padding: number } | null = null;
  let ended = false;

  const finishEntry = async (): Promise<void> => {
    if (entry?.out) {
      await entry.out.close();
      await rename(entry.tmp, entry.path);
      result.files++;
    }
    entry = null;
  };

  try {
    for await (const chunk of stream) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (ended) break;
        if (entry !== null) {
          const take = Math.min(entry.remaining, buf.length);
          if (take > 0 && entry.out) await entry.out.write(buf.subarray(0, take));
          entry.remaining -= take;
          result.bytes += entry.out ? take : 0;
          buf = buf.subarray(take);
          pos += take;
          if (entry.remaining > 0) break;
          if (buf.length < entry.padding) break;
          buf = buf.subarray(entry.padding);
          pos += entry.padding;
          await finishEntry();
          continue;
        }
        if (special !== null) {
          const take = Math.min(special.remaining, buf.length);
          special.data.push(Buffer.from(buf.subarray(0, take)));
          special.remaining -= take;
          buf = buf.subarray(take);
          pos += take;
          if (special.remaining > 0 || buf.length < special.padding) break;
          buf = buf.subarray(special.padding);
          pos += special.padding;
          const data = Buffer.concat(special.data);
          if (special.kind === "L") longName = cString(data, 0, data.length);
          else ({ path: paxPath, size: paxSize } = parsePax(archive, data, pos));
          special = null;
          continue;
        }
        if (buf.length < BLOCK) break;
        const block = buf.subarray(0, BLOCK);
        const headerAt = pos;
        buf = buf.subarray(BLOCK);
        pos += BLOCK;
        if (block.every((b) => b === 0)) {
          ended = true; // end-of-archive marker (the second zero block and padding are ignored)
          break;
        }
        const h = parseHeader(archive, block, headerAt);
        const size = paxSize ?? h.size;
        const padding = (BLOCK - (size % BLOCK)) % BLOCK;
        if (h.type === "L" || h.type === "x") {
          if (h.size > MAX_NAME_HEADER_BYTES) {
            throw new ArchiveError(
              archive,
              headerAt,
              `a ${h.type === "L" ? "GNU long-name" : "pax"} header of ${h.size} bytes (at most ${MAX_NAME_HEADER_BYTES} are read)`,
            );
          }
          special = { kind: h.type, data: [], remaining: h.size, padding: (BLOCK - (h.size % BLOCK)) % BLOCK };
          continue;
        }
        const name = paxPath ?? longName ?? h.name;
        paxPath = null;
        paxSize = null;
        longName = null;
        if (h.type === "g") {
          entry = { header: h, remaining: size, padding, out: null, tmp: "", path: "" };
          continue;
        }
        const isFile = h.type === "0" || h.type === "\0" || h.type === "7";
        const path = isFile
          ? fileEntryPath(archive, target, name, headerAt)
          : entryPath(archive, target, name, headerAt);
        if (isFile) {
          names.add(archive, path, name, headerAt);
          declared += size;
          checkTotal(archive, declared, maxBytes, headerAt);
        }
        if (h.type === "5") {
          await mkdir(path, { recursive: true });
          entry = { header: h, remaining: size, padding, out: null, tmp: "", path };
        } else if (h.type === "0" || h.type === "\0" || h.type === "7") {
          await mkdir(dirname(path), { recursive: true });
          const tmp = `${path}.part`;
          entry = { header: h, remaining: size, padding, out: await open(tmp, "w"), tmp, path };
        } else {
          result.skipped.push(`${name} (tar type '${h.type}'${h.linkName ? ` -> ${h.linkName}` : ""})`);
          entry = { header: h, remaining: size, padding, out: null, tmp: "", path };
        }
        if (entry.remaining === 0 && entry.padding === 0) await finishEntry();
      }
      if (ended) break;
    }
  } catch (err) {
    const open = entry as { out: FileHandle | null } | null;
    if (open?.out) await open.out.close();
    if (
      (err as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ||
      (err as NodeJS.ErrnoException).code === "Z_DATA_ERROR"
    ) {
      throw new ArchiveError(archive, -1, `the gzip stream is damaged or cut short (${(err as Error).message})`);
    }
    throw err;
  }
  if (!ended && (entry !== null || special !== null || buf.length > 0)) {
    throw new ArchiveError(archive, pos, "the tar stream ends in the middle of an entry (truncated archive?)");
  }
  await finishEntry();
  return result;
}

function parseHeader(archive: string, b: Buffer, at: number): Header {
  const stored = octal(b, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  if (stored !== sum) {
    throw new ArchiveError(
      archive,
      at,
      `tar header checksum is ${stored}, expected ${sum} (not a tar file, or damaged)`,
    );
  }
  let name = cString(b, 0, 100);
  const magic = b.toString("latin1", 257, 262);
  if (magic === "ustar") {
    const prefix = cString(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return { name, size: size(b, archive, at), type: String.fromCharCode(b[156]!), linkName: cString(b, 157, 100) };
}

function cString(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString("utf8", start, end < 0 || end > start + len ? start + len : end);
}

function octal(b: Buffer, start: number, len: number): number {
  const s = b
    .toString("latin1", start, start + len)
    .replace(/[\0 ]+$/, "")
    .trim();
  return s === "" ? 0 : Number.parseInt(s, 8);
}

/** Entry size: octal, or GNU base-256 (high bit of the first byte set) for files over 8 GiB. */
function size(b: Buffer, archive: string, at: number): number {
  if ((b[124]! & 0x80) !== 0) {
    let v = 0;
    for (let i = 125; i < 136; i++) v = v * 256 + b[i]!;
    return v;
  }
  const v = octal(b, 124, 12);
  if (!Number.isFinite(v) || v < 0) throw new ArchiveError(archive, at + 124, "tar entry size is not an octal number");
  return v;
}

/** pax records: "<len> key=value\n" repeated. Only path and size matter here. */
function parsePax(archive: string, data: Buffer, at: number): { path: string | null; size: number | null } {
  let path: string | null = null;
  let sz: number | null = null;
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const len = Number.parseInt(data.toString("latin1", i, space), 10);
    if (space < 0 || !Number.isFinite(len) || len <= 0) {
      throw new ArchiveError(archive, at, "malformed pax extended header");
    }
    const record = data.toString("utf8", space + 1, i + len - 1);
    const eq = record.indexOf("=");
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === "path") path = value;
    else if (key === "size") sz = Number(value);
    i += len;
  }
  return { path, size: sz };
}

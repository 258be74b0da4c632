/**
 * A zip reader on node:zlib: reads the central directory (zip64 included), checks every entry name before
 * writing anything, then inflates the entries one by one from the file (stored and deflate; no encryption).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { type FileHandle, mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform, type TransformCallback } from "node:stream";
import * as zlib from "node:zlib";
import {
  ArchiveError,
  checkTotal,
  DEFAULT_MAX_EXTRACT_BYTES,
  EntryNames,
  type ExtractLimits,
  entryPath,
  fileEntryPath,
} from "./safe-path.js";
import type { ExtractProgress, ExtractResult } from "./tar.js";

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** unix mode from the external attributes (0 when the archive was not made on unix) */
  mode: number;
  /** offset of this entry's central-directory record, for error messages */
  recordOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export async function listZip(archive: string): Promise<ZipEntry[]> {
  const fh = await open(archive, "r");
  try {
    return await readCentralDirectory(archive, fh);
  } finally {
    await fh.close();
  }
}

export async function extractZip(
  archive: string,
  target: string,
  onProgress?: ExtractProgress,
  limits: ExtractLimits = {},
): Promise<ExtractResult> {
  const fh = await open(archive, "r");
  const result: ExtractResult = { files: 0, bytes: 0, skipped: [] };
  try {
    const entries = await readCentralDirectory(archive, fh);
    // Refuse the whole archive before writing a byte if any entry would escape.
    const isDir = (e: ZipEntry): boolean => e.name.endsWith("/") || (e.mode & 0xf000) === 0xa000;
    const paths = entries.map((e) =>
      isDir(e)
        ? entryPath(archive, target, e.name, e.recordOffset)
        : fileEntryPath(archive, target, e.name, e.recordOffset),
    );
    // declared sizes first: a bomb is refused before anything is inflated; each entry is then held to its own
    const names = new EntryNames();
    let declared = 0;
    entries.forEach((e, i) => {
      if (isDir(e)) return;
      names.add(archive, paths[i]!, e.name, e.recordOffset);
      declared += e.size;
      checkTotal(archive, declared, limits.maxBytes ?? DEFAULT_MAX_EXTRACT_BYTES, e.recordOffset);
    });
    const made = new Set<string>();
    for (let i = 0; i < entries.length; i++) {
      onProgress?.(i, entries.length);
      const e = entries[i]!;
      const path = paths[i]!;
      if ((e.mode & 0xf000) === 0xa000) {
        result.skipped.push(`${e.name} (symbolic link)`);
        continue;
      }
      if (e.name.endsWith("/")) {
        await mkdir(path, { recursive: true });
        continue;
      }
      if ((e.flags & 1) !== 0) throw new ArchiveError(archive, e.recordOffset, `entry '${e.name}' is encrypted`);
      if (e.method !== 0 && e.method !== 8) {
        throw new ArchiveError(
          archive,
          e.recordOffset,
          `entry '${e.name}' uses compression method ${e.method}; only stored (0) and deflate (8) are read`,
        );
      }
      const dataStart = await localDataOffset(archive, fh, e);
      const parent = dirname(path);
      if (!made.has(parent)) {
        await mkdir(parent, { recursive: true });
        made.add(parent);
      }
      const tmp = `${path}.part`;
      if (e.compressedSize <= SMALL_ENTRY && e.size <= SMALL_ENTRY) {
        // Most dataset entries are small recordings: one read and one inflate beat setting up streams. Written in
        // place: a crash leaves the dataset without its ".extracted" marker, so the next run extracts it again.
        await extractSmall(archive, fh, e, dataStart, path);
        result.files++;
        result.bytes += e.size;
        continue;
      }
      const check = new SizeAndCrc(archive, e.name, e.size, dataStart);
      const source =
        e.compressedSize === 0
          ? [Buffer.alloc(0)]
          : createReadStream(archive, { start: dataStart, end: dataStart + e.compressedSize - 1 });
      try {
        if (e.method === 8) await pipeline(source, zlib.createInflateRaw(), check, createWriteStream(tmp));
        else await pipeline(source, check, createWriteStream(tmp));
      } catch (err) {
        await rm(tmp, { force: true });
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (code.startsWith("Z_")) {
          throw new ArchiveError(
            archive,
            dataStart,
            `entry '${e.name}' has damaged deflate data (${(err as Error).message})`,
          );
        }
        throw err;
      }
      if (check.bytes !== e.size || (check.crc !== null && check.crc !== e.crc)) {
        await rm(tmp, { force: true });
        throw new ArchiveError(
          archive,
          dataStart,
          `entry '${e.name}' decompressed to ${check.bytes} bytes with CRC ${hex(check.crc)}, ` +
            `expected ${e.size} bytes with CRC ${hex(e.crc)} (damaged archive)`,
        );
      }
      await rename(tmp, path);
      result.files++;
      result.bytes += e.size;
    }
    onProgress?.(entries.length, entries.length);
  } finally {
    await fh.close();
  }
  return result;
}

const SMALL_ENTRY = 8 << 20;

async function extractSmall(
  archive: string,
  fh: FileHandle,
  e: ZipEntry,
  dataStart: number,
  out: string,
): Promise<void> {
  const packed = await readAt(fh, dataStart, e.compressedSize);
  if (packed.length !== e.compressedSize) {
    throw new ArchiveError(archive, dataStart, `entry '${e.name}' is cut short (truncated archive?)`);
  }
  let data: Buffer;
  try {
    // one byte more than declared is enough to tell a lying entry, without inflating all of it
    data = e.method === 8 ? zlib.inflateRawSync(packed, { maxOutputLength: e.size + 1 }) : packed;
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ArchiveError(archive, dataStart, `entry '${e.name}' inflates past its declared ${e.size} bytes`);
    }
    throw new ArchiveError(
      archive,
      dataStart,
      `entry '${e.name}' has damaged deflate data (${(err as Error).message})`,
    );
  }
  const crc = crc32 ? crc32(data, 0) : null;
  if (data.length !== e.size || (crc !== null && crc !== e.crc)) {
    throw new ArchiveError(
      archive,
      dataStart,
      `entry '${e.name}' decompressed to ${data.length} bytes with CRC ${hex(crc)}, ` +
        `expected ${e.size} bytes with CRC ${hex(e.crc)} (damaged archive)`,
    );
  }
  await writeFile(out, data);
}

function hex(v: number | null): string {
  return v === null ? "?" : v.toString(16).padStart(8, "0");
}

// zlib.crc32 exists from Node 20.15 / 22.2; without it only the size is checked.
const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Counts and checksums an entry's inflated bytes, and stops it as soon as it passes its declared size. */
class SizeAndCrc extends Transform {
  bytes = 0;
  crc: number | null = crc32 ? 0 : null;
  constructor(
    private readonly archive: string,
    private readonly name: string,
    private readonly declared: number,
    private readonly offset: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.declared) {
      cb(
        new ArchiveError(
          this.archive,
          this.offset,
          `entry '${this.name}' inflates past its declared ${this.declared} bytes`,
        ),
      );
      return;
    }
    if (crc32 && this.crc !== null) this.crc = crc32(chunk, this.crc);
    cb(null, chunk);
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fh.read(b, 0, length, position);
  return b.subarray(0, bytesRead);
}

async function readCentralDirectory(archive: string, fh: FileHandle): Promise<ZipEntry[]> {
  const fileSize = (await fh.stat()).size;
  const tailLen = Math.min(fileSize, 22 + 65535 + 20);
  const tail = await readAt(fh, fileSize - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    throw new ArchiveError(archive, -1, "no zip end-of-central-directory record (not a zip file, or truncated)");
  }
  const eocdOffset = fileSize - tailLen + at;
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = await readAt(fh, eocdOffset - 20, 20);
    if (loc.length < 20 || loc.readUInt32LE(0) !== ZIP64_LOCATOR) {
      throw new ArchiveError(archive, eocdOffset - 20, "zip64 end-of-central-directory locator missing");
    }
    const recAt = Number(loc.readBigUInt64LE(8));
    const rec = await readAt(fh, recAt, 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) {
      throw new ArchiveError(archive, recAt, "zip64 end-of-central-directory record missing");
    }
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > fileSize) {
    throw new ArchiveError(
      archive,
      eocdOffset,
      `central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file`,
    );
  }
  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) {
      throw new ArchiveError(archive, cdOffset + p, `central directory record ${n} is missing or damaged`);
    }
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const e: ZipEntry = {
      name: cd.toString("utf8", p + 46, p + 46 + nameLen),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      mode: cd.readUInt16LE(p + 4) >> 8 === 3 ? cd.readUInt32LE(p + 38) >>> 16 : 0,
      recordOffset: cdOffset + p,
    };
    applyZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The zip64 extra field (id 1) holds, in order, whichever of size, compressed size, offset overflowed. */
function applyZip64Extra(e: ZipEntry, extra: Buffer): void {
  let i = 0;
  while (i + 4 <= extra.length) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 1) {
      let q = i + 4;
      const next = (): number => {
        const v = Number(extra.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = next();
      return;
    }
    i += 4 + len;
  }
}

async function localDataOffset(archive: string, fh: FileHandle, e: ZipEntry): Promise<number> {
  const h = await readAt(fh, e.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== LOCAL) {
    throw new ArchiveError(archive, e.localHeaderOffset, `local header of '${e.name}' is missing or damaged`);
  }
  return e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}

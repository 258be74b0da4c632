/** Node-only file access for the decoders: detection from the first bytes, then chunked decoding. */
import { type FileHandle, open } from "node:fs/promises";
import { basename } from "node:path";
import { type DecodedRecording, finishOrder } from "./decode.js";
import { createDecoder } from "./decoders/registry.js";
import type { ChunkDecoder, DecoderOptions, EventFormat } from "./decoders/types.js";
import { DETECT_HEAD_BYTES, type DetectedFormat, detectFormat } from "./detect.js";
import { EventFormatError } from "./errors.js";
import { concatEventStreams, type EventStream, emptyEventStream } from "./stream.js";

export interface ReadFileOptions extends DecoderOptions {
  format?: EventFormat;
  /** bytes per read (default 4 MiB) */
  chunkBytes?: number;
}

/** Detects a file's format from its first bytes and size. */
export async function detectFileFormat(path: string): Promise<DetectedFormat> {
  const { fh, size } = await openOrExplain(path);
  try {
    return await detectOpenFile(fh, path, size);
  } finally {
    await fh.close();
  }
}

async function detectOpenFile(fh: FileHandle, path: string, size: number): Promise<DetectedFormat> {
  const head = new Uint8Array(Math.min(size, DETECT_HEAD_BYTES));
  await fh.read(head, 0, head.length, 0);
  return detectFormat(head, { totalSize: size, fileName: path });
}

/**
 * Opens a recording for reading. Only regular files: a directory, a device such as /dev/zero or a FIFO has no size
 * to check against and could be read forever.
 */
async function openOrExplain(path: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EventFormatError(path, -1, code === "ENOENT" ? "no such file" : `cannot open (${code ?? String(err)})`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    const what = st.isDirectory()
      ? "a directory"
      : st.isCharacterDevice() || st.isBlockDevice()
        ? "a device"
        : "not a regular file";
    throw new EventFormatError(path, -1, `is ${what}, expected a recording file`);
  }
  return { fh, size: st.size }; // the size from this stat: one asynchronous call less per file
}

/**
 * Streams a file through its decoder, yielding the events of each chunk (for files larger than memory).
 * The decoder is returned by `onDecoder` before the first chunk so callers can read its sensor/meta afterwards.
 */
export async function* streamEventFile(
  path: string,
  opts: ReadFileOptions = {},
  onDecoder?: (d: ChunkDecoder, format: EventFormat) => void,
): AsyncGenerator<EventStream> {
  const { fh, size } = await openOrExplain(path);
  try {
    const format = opts.format ?? (await detectOpenFile(fh, path, size)).format;
    const dec = createDecoder(format, { ...opts, fileName: opts.fileName ?? path });
    onDecoder?.(dec, format);
    // small files (most recordings of the small datasets) get a buffer of their own size, not the full chunk;
    // a size of 0 may be a pipe or device whose length is unknown
    const full = Math.max(4096, opts.chunkBytes ?? 4 << 20);
    const chunk = size > 0 ? Math.min(size, full) : full;
    let pos = 0;
    // one buffer for every read: a decoder keeps what it needs of a chunk only as its own copy (ChunkDecoderBase
    // copies an unfinished record into its carry), and a fresh buffer cost a page fault per 4 KiB read
    const buf = new Uint8Array(chunk);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunk, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const ev = dec.push(buf.subarray(0, bytesRead));
      if (ev.t.length > 0) yield ev;
    }
    const last = dec.end();
    if (last.t.length > 0) yield last;
  } finally {
    await fh.close();
  }
}

/** Reads and decodes a whole event file (streamed in chunks; format detected from content unless given). */
export async function readEventFile(path: string, opts: ReadFileOptions = {}): Promise<DecodedRecording> {
  let dec: ChunkDecoder | null = null;
  let format: EventFormat = "atis40";
  const parts: EventStream[] = [];
  for await (const ev of streamEventFile(path, opts, (d, f) => {
    dec = d;
    format = f;
  })) {
    parts.push(ev);
  }
  const d = dec as ChunkDecoder | null;
  if (d === null) throw new EventFormatError(path, -1, "no decoder was created");
  const { sensor, guessed } = d.sensorInfo();
  const stream = parts.length === 0 ? emptyEventStream(sensor) : concatEventStreams(parts, sensor);
  const meta = { ...d.meta(), file: basename(path) };
  return { format, stream: finishOrder(stream, opts, meta), sensorGuessed: guessed, meta };
}

/**
 * Frame files for the emulator: finding a sequence (a folder or a `*` pattern), decoding PNG (pngjs) and JPEG
 * (jpeg-js) to grayscale, and reading a timestamps file. Node only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { toGrayscale } from "./grayscale.js";

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

/** Orders names as people do: frame2 before frame10. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true, sensitivity: "base" }) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The frame files of `input`: every PNG/JPEG in a folder, or the files matching a pattern whose last part holds
 * `*` or `?` (e.g. `video/frame_*.png`), in natural order.
 */
export function listFrameFiles(input: string): string[] {
  let dir: string;
  let match: (name: string) => boolean;
  if (/[*?]/.test(basename(input))) {
    dir = dirname(input);
    if (/[*?]/.test(dir)) throw new Error(`${input}: wildcards are allowed only in the file-name part`);
    const rx = new RegExp(
      `^${basename(input)
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
    match = (name) => rx.test(name);
  } else {
    if (!existsSync(input)) throw new Error(`${input}: no such folder or file pattern`);
    if (!statSync(input).isDirectory()) {
      throw new Error(`${input}: expected a folder of frames or a pattern such as 'frames/*.png', not one file`);
    }
    dir = input;
    match = (name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such folder`);
  const names = readdirSync(dir)
    .filter((n) => match(n) && statSync(join(dir, n)).isFile())
    .sort(naturalCompare);
  if (names.length === 0) throw new Error(`${input}: no PNG or JPEG frames found`);
  return names.map((n) => join(dir, n));
}

export interface GrayFrame {
  width: number;
  height: number;
  /** intensities in [0, 1], row-major */
  gray: Float32Array;
}

/** Decodes a PNG or JPEG file (chosen by its first bytes) to grayscale. Errors name the file. */
export function readFrameImage(path: string): GrayFrame {
  const bytes = readFileSync(path);
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, gray: toGrayscale(png.data, png.width, png.height, 4) };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return { width: img.width, height: img.height, gray: toGrayscale(img.data, img.width, img.height, 4) };
    }
  } catch (err) {
    throw new Error(`${path}: cannot decode image (${err instanceof Error ? err.message : String(err)})`);
  }
  throw new Error(`${path}: not a PNG or JPEG file (first bytes ${bytes.subarray(0, 4).toString("hex")})`);
}

/** A timestamps file: one time in µs per line (blank lines and `#` comments ignored), strictly increasing. */
export function readTimestampsFile(path: string): number[] {
  const out: number[] = [];
  readFileSync(path, "utf8")
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const v = Number(line);
      if (!Number.isFinite(v)) throw new Error(`${path} line ${i + 1}: expected a time in µs, found '${line}'`);
      if (out.length > 0 && !(v > out[out.length - 1]!)) {
        throw new Error(`${path} line ${i + 1}: time ${v} is not after the previous one (${out[out.length - 1]})`);
      }
      out.push(v);
    });
  return out;
}

import type { EventFormat } from "./decoders/types.js";
import { EventFormatError } from "./errors.js";

/** Extensions of the formats that always start with a header: such a file without one is refused, not guessed. */
const HEADER_EXTENSIONS = [".aedat4", ".aedat", ".npy", ".h5", ".hdf5", ".raw", ".dat"];

/**
 * Printable ASCII and whitespace only: 40-bit records almost never are (their third byte carries the polarity bit
 * and the timestamp's top bits, and any real recording has non-printable bytes within its first records).
 */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length < 5) return false;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (!((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return false;
  }
  return true;
}

/** How many leading bytes detectFormat looks at (enough for any header line that names a format). */
export const DETECT_HEAD_BYTES = 65536;

export interface DetectedFormat {
  format: EventFormat;
  /** why this format was chosen, for `data inspect` */
  reason: string;
}

/** The HDF5 file signature (SHD/SSC, NIR graphs). */
export const HDF5_MAGIC: readonly number[] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** True when the bytes start with the HDF5 signature. */
export function isHdf5(head: Uint8Array): boolean {
  return startsWith(head, HDF5_MAGIC);
}

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  if (head.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[i] !== bytes[i]) return false;
  return true;
}

function ascii(head: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < Math.min(end, head.length); i++) s += String.fromCharCode(head[i]!);
  return s;
}

/** The `%` header lines at the start of a Prophesee file (as far as `head` reaches). */
export function propheseeHeaderLines(head: Uint8Array): string[] {
  const lines: string[] = [];
  let pos = 0;
  while (pos < head.length && head[pos] === 0x25) {
    const nl = head.indexOf(0x0a, pos);
    if (nl < 0) break;
    lines.push(ascii(head, pos, nl).replace(/\r$/, ""));
    pos = nl + 1;
  }
  return lines;
}

/**
 * Detects the container from the first bytes (see event-formats.md §6b); `totalSize` lets the headerless 40-bit
 * format be recognised (size % 5 == 0). Throws EventFormatError when nothing matches.
 */
export function detectFormat(head: Uint8Array, opts: { totalSize?: number; fileName?: string } = {}): DetectedFormat {
  const file = opts.fileName ?? "<buffer>";
  const lower = file.toLowerCase();
  if (head.length >= 5 && ascii(head, 0, 9) === "#!AER-DAT") {
    const version = ascii(head, 9, 12);
    if (version === "2.0") return { format: "aedat2", reason: "starts with #!AER-DAT2.0" };
    if (version === "3.1" || version === "3.0") return { format: "aedat3", reason: `starts with #!AER-DAT${version}` };
    if (version === "4.0") return { format: "aedat4", reason: "starts with #!AER-DAT4.0" };
    throw new EventFormatError(file, 9, `AEDAT version "${version}" is not supported; expected 2.0, 3.1 or 4.0`);
  }
  if (startsWith(head, HDF5_MAGIC)) return { format: "shd", reason: "HDF5 signature (SHD/SSC layout expected)" };
  if (startsWith(head, NPY_MAGIC)) return { format: "npy", reason: "NumPy .npy magic" };
  if (head.length > 0 && head[0] === 0x25) {
    const lines = propheseeHeaderLines(head).map((l) => l.toLowerCase());
    for (const l of lines) {
      if (/^%\s*evt\s*2(\.0)?\s*$/.test(l) || /^%\s*format\s+evt2/.test(l)) return { format: "evt2", reason: l };
      if (/^%\s*evt\s*3(\.0)?\s*$/.test(l) || /^%\s*format\s+evt3/.test(l)) return { format: "evt3", reason: l };
      if (/^%\s*evt\s*/.test(l) || /^%\s*format\s+/.test(l)) {
        throw new EventFormatError(file, 0, `Prophesee encoding "${l}" is not supported; expected EVT 2.0 or EVT 3.0`);
      }
    }
    if (lines.some((l) => /^%\s*version\s+\d/.test(l)) || lower.endsWith(".dat")) {
      return { format: "dat", reason: "% header with a Version line and no evt line (DAT)" };
    }
    if (lower.endsWith(".raw")) return { format: "evt3", reason: ".raw file without an evt line: assuming EVT 3.0" };
    throw new EventFormatError(
      file,
      0,
      "Prophesee % header names no encoding (expected '% evt 2.0', '% evt 3.0' or a DAT '% Version' line)",
    );
  }
  if (opts.totalSize === 0 || (opts.totalSize === undefined && head.length === 0)) {
    throw new EventFormatError(file, 0, "empty file: no header and no events");
  }
  const named = HEADER_EXTENSIONS.find((ext) => lower.endsWith(ext));
  if (named !== undefined) {
    throw new EventFormatError(
      file,
      0,
      `named ${named} but has no ${named} header (AEDAT, Prophesee %, NumPy or HDF5)`,
    );
  }
  if (looksLikeText(head)) {
    throw new EventFormatError(
      file,
      0,
      "no known header (AEDAT, Prophesee %, NumPy, HDF5), and the content is text, not 40-bit event records",
    );
  }
  if (opts.totalSize !== undefined && opts.totalSize % 5 === 0) {
    return { format: "atis40", reason: "no header and size is a multiple of 5 (N-MNIST/N-Caltech101 40-bit records)" };
  }
  throw new EventFormatError(
    file,
    0,
    opts.totalSize === undefined
      ? "no known header (AEDAT, Prophesee %, NumPy, HDF5); pass the format explicitly for headerless 40-bit files"
      : `no known header (AEDAT, Prophesee %, NumPy, HDF5) and the size ${opts.totalSize} is not a multiple of 5 (40-bit records)`,
  );
}

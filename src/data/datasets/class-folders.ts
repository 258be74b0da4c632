/** Recordings laid out as <dir>/<class>/<file>: the label is the folder. Node only. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { type FileSampleOptions, fileSample } from "../recording-sample.js";
import type { Sample } from "../sample.js";

/** Sorts names with numbers in them by value ("image_2" before "image_10"). */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** Sub-folder names in code-unit order (Python's sorted(), so class indices match tonic and spikingjelly). */
export function subfolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith(".") && statSync(join(dir, f)).isDirectory())
    .sort();
}

/**
 * One sample per file with one of `extensions` in <dir>/<class>/, for the given classes (label = position in
 * `classes`). Ids are "<prefix><class>/<file without extension>". Files are in natural order.
 */
export function classFolderSamples(
  dir: string,
  classes: string[],
  extensions: string[],
  idPrefix: string,
  opts: FileSampleOptions = {},
): Sample[][] {
  return classes.map((cls, label) => {
    const folder = join(dir, cls);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((f) => extensions.includes(extname(f).toLowerCase()))
      .sort(naturalCompare)
      .map((f) => fileSample(join(folder, f), `${idPrefix}${cls}/${f.slice(0, -extname(f).length)}`, label, opts));
  });
}

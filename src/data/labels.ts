/**
 * Labels files, "a folder of recordings + a labels file": `id<TAB>class` lines (any whitespace works), `#` lines
 * are comments, ids are file names without their extension. The one parser of the CLI (`--data DIR --labels FILE`,
 * via ./datasets/labels-file.ts) and of the web viewer (a dropped .txt). Browser-safe.
 */

export interface LabelLine {
  id: string;
  cls: string;
  /** 1-based line number in the labels file */
  line: number;
}

/**
 * Integer class ids are labels as they are, so the network gets max id + 1 outputs. No config may have more
 * (models/config.ts LIMITS.width): beyond it a class id is a typo, not a class — and 999999999 would allocate
 * a billion class names.
 */
export const MAX_CLASSES = 65536;

/** Parses a labels file; errors name the file and line. */
export function parseLabels(text: string, file = "<labels>"): LabelLine[] {
  const out: LabelLine[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) {
      throw new Error(`${file} line ${i + 1}: expected 'id<TAB>class', found '${line.slice(0, 80)}'`);
    }
    const [id, cls] = fields as [string, string];
    const prev = seen.get(id);
    if (prev !== undefined) throw new Error(`${file} line ${i + 1}: id '${id}' was already labelled on line ${prev}`);
    seen.set(id, i + 1);
    out.push({ id, cls, line: i + 1 });
  });
  if (out.length === 0) throw new Error(`${file}: no 'id<TAB>class' lines found`);
  return out;
}

export interface LabelIndexOptions {
  /** the labels file, for messages */
  file?: string;
  /** a config's number of classes, when known: integer classes must be below it */
  classes?: number;
}

/**
 * Class names and each line's label index. Integer classes keep their value as the label (class "5" is label 5,
 * names "0".."max"), bounded by `classes` (else MAX_CLASSES); a negative one is an error, not a name. Otherwise
 * the names are sorted and numbered from 0.
 */
export function labelIndex(lines: LabelLine[], opts: LabelIndexOptions = {}): { classes: string[]; labels: number[] } {
  const file = opts.file ?? "<labels>";
  if (lines.every((l) => /^[-+]?\d+$/.test(l.cls))) {
    const limit = opts.classes ?? MAX_CLASSES;
    const labels = lines.map((l) => {
      const value = Number(l.cls);
      if (!/^\d+$/.test(l.cls) || value >= limit) {
        const range = opts.classes === undefined ? `below ${MAX_CLASSES}` : `below the config's ${opts.classes}`;
        throw new Error(
          `${file} line ${l.line}: class ${l.cls.slice(0, 24)} is not a class id: integer classes are 0, 1, 2, ... ` +
            `(${range}), one per class, or use names`,
        );
      }
      return value;
    });
    const count = labels.reduce((a, b) => Math.max(a, b), 0) + 1;
    return { classes: Array.from({ length: count }, (_, i) => String(i)), labels };
  }
  const classes = [...new Set(lines.map((l) => l.cls))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { classes, labels: lines.map((l) => index.get(l.cls)!) };
}

/** A labels file as id -> label (what the web viewer needs). */
export function labelsById(text: string, file: string): Map<string, number> {
  const lines = parseLabels(text, file);
  const { labels } = labelIndex(lines, { file });
  return new Map(lines.map((l, i) => [l.id, labels[i]!]));
}

/** The id a labels file uses for a recording: its file name without the folder and the extension. */
export function labelId(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

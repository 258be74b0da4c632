// Label lists as the CLI reads them: "id<TAB>class" lines (id = file name without extension), '#' lines are comments.

export function parseLabelList(text: string, fileName: string): Map<string, number> {
  const labels = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const parts = line.split(/[\t ,]+/);
    const cls = Number(parts[1]);
    if (parts.length < 2 || !Number.isInteger(cls)) {
      throw new Error(`${fileName} line ${i + 1}: expected "id<TAB>class", got "${line.slice(0, 60)}"`);
    }
    labels.set(parts[0]!, cls);
  }
  return labels;
}

/** The id a label list uses for a recording: its file name without the extension. */
export function recordingId(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

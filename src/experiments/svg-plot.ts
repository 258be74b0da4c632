/**
 * A small line-plot writer (SVG text, no dependencies): accuracy against the share of frame-layer work dropped,
 * one series per method, the unpruned accuracy as a dashed line.
 */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** horizontal reference line (e.g. unpruned accuracy) */
  reference?: { y: number; label: string };
  /** x axis range (default [0, 1], labelled in percent; any other range is labelled with ×) */
  xRange?: [number, number];
  width?: number;
  height?: number;
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function linePlotSvg(series: Series[], opts: PlotOptions): string {
  const w = opts.width ?? 640;
  const h = opts.height ?? 420;
  const m = { left: 60, right: 150, top: 40, bottom: 50 };
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  if (opts.reference !== undefined) ys.push(opts.reference.y);
  let yMin = Math.min(...ys, 1);
  const yMax = 1;
  yMin = Math.max(0, Math.floor((yMin - 0.05) * 10) / 10);
  const [x0, x1] = opts.xRange ?? [0, 1];
  const percentX = opts.xRange === undefined;
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number): number => m.top + ((yMax - y) / (yMax - yMin || 1)) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<title>${esc(opts.title)}</title>`);
  out.push(`<rect width="${w}" height="${h}" fill="white"/>`);
  out.push(`<text x="${w / 2 - m.right / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);
  // axes and grid
  for (let i = 0; i <= 10; i += 2) {
    const xv = x0 + ((x1 - x0) * i) / 10;
    const x = sx(xv);
    const label = percentX ? `${i * 10}%` : `${xv.toFixed(2)}×`;
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle">${label}</text>`);
  }
  const ySteps = 5;
  for (let i = 0; i <= ySteps; i++) {
    const yv = yMin + ((yMax - yMin) * i) / ySteps;
    const y = sy(yv);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${y + 4}" text-anchor="end">${(yv * 100).toFixed(0)}%</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${h - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  if (opts.reference !== undefined) {
    const y = sy(opts.reference.y);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#555" stroke-dasharray="5 4"/>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 0) {
      const d = pts.map((p, j) => `${j === 0 ? "M" : "L"}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const p of pts)
        out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = m.top + 10 + i * 18;
    out.push(
      `<line x1="${m.left + pw + 12}" y1="${ly}" x2="${m.left + pw + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${m.left + pw + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  if (opts.reference !== undefined) {
    const ly = m.top + 10 + series.length * 18;
    out.push(
      `<line x1="${m.left + pw + 12}" y1="${ly}" x2="${m.left + pw + 32}" y2="${ly}" stroke="#555" stroke-dasharray="5 4"/>`,
    );
    out.push(`<text x="${m.left + pw + 38}" y="${ly + 4}">${esc(opts.reference.label)}</text>`);
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

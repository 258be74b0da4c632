/** The sweep's plot: accuracy against the overall share of frame-layer work dropped, pruned method vs controls. */
import type { SweepResult } from "./sweep.js";
import { linePlotSvg, type Series } from "./svg-plot.js";

export function sweepSvg(r: SweepResult, title: string): string {
  const series: Series[] = [
    { name: r.method, points: r.points.map((p) => ({ x: p.pruned.dropOverall, y: p.pruned.accuracy })) },
  ];
  const names = Object.keys(r.points[0]?.controls ?? {}) as (keyof SweepResult["points"][0]["controls"])[];
  for (const c of names) {
    series.push({
      name: c === "gate" ? "event-count gate" : c === "stride" ? "fixed stride" : "random frames",
      points: r.points.flatMap((p) =>
        p.controls[c] ? [{ x: p.controls[c].dropOverall, y: p.controls[c].accuracy }] : [],
      ),
    });
  }
  if (r.points.some((p) => p.topK !== undefined)) {
    series.push({
      name: "top-k (offline)",
      points: r.points.flatMap((p) => (p.topK ? [{ x: p.topK.dropOverall, y: p.topK.accuracy }] : [])),
    });
  }
  return linePlotSvg(series, {
    title,
    xLabel: "share of frame-layer work dropped (module layers and those inheriting their mask)",
    yLabel: "accuracy",
    reference: { y: r.baseline.accuracy, label: "unpruned" },
  });
}

/**
 * The sweep's plots: accuracy of the pruned method and the controls against one of three axes — the share of
 * frame-layer work dropped, the share of SOPs dropped, or the measured wall-clock speed-up (event-driven kernels).
 */
import type { PolicyRun, SweepResult } from "./sweep.js";
import { linePlotSvg, type Series } from "./svg-plot.js";

export type SweepAxis = "frames" | "sops" | "speedup";

export const SWEEP_AXES: { name: SweepAxis; label: string; file: string }[] = [
  { name: "frames", label: "frame-layers dropped", file: "sweep.svg" },
  { name: "sops", label: "SOPs dropped", file: "sweep-sops.svg" },
  { name: "speedup", label: "wall-clock speed-up", file: "sweep-speedup.svg" },
];

function x(run: PolicyRun, axis: SweepAxis): number | null {
  if (axis === "frames") return run.dropOverall;
  if (axis === "sops") return run.sopsDropped ?? null;
  return run.timing?.eventDriven.speedup ?? null;
}

function seriesOf(name: string, runs: (PolicyRun | undefined)[], axis: SweepAxis): Series {
  return {
    name,
    points: runs.flatMap((r) => {
      const v = r === undefined ? null : x(r, axis);
      return r === undefined || v === null ? [] : [{ x: v, y: r.accuracy }];
    }),
  };
}

export function sweepSvg(r: SweepResult, title: string, axis: SweepAxis = "frames"): string {
  const series: Series[] = [
    seriesOf(
      `${r.method} (${r.schedule})`,
      r.points.map((p) => p.pruned),
      axis,
    ),
  ];
  const names = Object.keys(r.points[0]?.controls ?? {}) as (keyof SweepResult["points"][0]["controls"])[];
  for (const c of names) {
    const label = c === "gate" ? "event-count gate" : c === "stride" ? "fixed stride" : "random frames";
    series.push(
      seriesOf(
        label,
        r.points.map((p) => p.controls[c]),
        axis,
      ),
    );
  }
  if (r.points.some((p) => p.topK !== undefined))
    series.push(
      seriesOf(
        "top-k (offline)",
        r.points.map((p) => p.topK),
        axis,
      ),
    );
  const speed = axis === "speedup";
  // speed-ups start near 1 and grow without bound: scale the axis to those measured
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xRange: [number, number] | undefined = speed ? [Math.min(1, ...xs), Math.max(1.5, ...xs)] : undefined;
  return linePlotSvg(series, {
    title,
    xLabel:
      axis === "frames"
        ? "share of frame-layer work dropped (module layers and those inheriting their mask)"
        : axis === "sops"
          ? "share of synaptic operations (SOPs) after the encoder dropped"
          : "wall-clock speed-up, event-driven kernels (unmasked / masked)",
    yLabel: "accuracy",
    reference: { y: r.baseline.accuracy, label: "unpruned" },
    xRange,
  });
}

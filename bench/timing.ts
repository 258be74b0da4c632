/**
 * Timing for the benchmark suites: candidates are warmed up, then timed in interleaved rounds (candidate 1, 2, …,
 * then again), so background load hits all of them alike and ratios taken in the same run stay fair.
 */

export interface TimingOptions {
  /** warm-up: candidates run in turn until this much time has passed (each at least once) */
  warmupMs: number;
  /** timed rounds (at least) */
  rounds: number;
  /** keep adding rounds until this much time has passed in all (default 0) */
  durationMs?: number;
  /** one timed slice repeats the call until this much time has passed (default 0: one call per round) */
  sliceMs?: number;
}

/** Per candidate, per round: wall-clock and process CPU time (all threads) per call, in ms. */
export interface Timings {
  wall: number[][];
  cpu: number[][];
}

export function timeInterleaved(candidates: readonly (() => unknown)[], o: TimingOptions): Timings {
  const start = performance.now();
  do for (const c of candidates) c();
  while (performance.now() - start < o.warmupMs);
  const wall = candidates.map(() => [] as number[]);
  const cpu = candidates.map(() => [] as number[]);
  const t0 = performance.now();
  for (let r = 0; r < o.rounds || performance.now() - t0 < (o.durationMs ?? 0); r++) {
    candidates.forEach((c, i) => {
      const c0 = process.cpuUsage();
      const s0 = performance.now();
      let calls = 0;
      let now = s0;
      do {
        c();
        calls++;
        now = performance.now();
      } while (now - s0 < (o.sliceMs ?? 0));
      const used = process.cpuUsage(c0);
      wall[i]!.push((now - s0) / calls);
      cpu[i]!.push((used.user + used.system) / 1000 / calls);
    });
  }
  return { wall, cpu };
}

/** The median (upper middle for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
}

export function minimum(xs: readonly number[]): number {
  return Math.min(...xs);
}

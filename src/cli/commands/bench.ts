import type { Command } from "../main.js";

export const command: Command = {
  summary: "run the benchmarks (same as npm run bench)",
  async run(argv: string[]): Promise<number> {
    const { runBenchmarks } = await import("../../../bench/run.js");
    return runBenchmarks(argv);
  },
};

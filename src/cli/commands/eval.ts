import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "evaluate a checkpoint (accuracy, per-class counts, efficiency)",
  async run(): Promise<number> {
    console.error("razor-snn eval: not implemented yet");
    return 2;
  },
};

import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "the method's ablations (threshold, model variant, K, window) as a table",
  async run(): Promise<number> {
    console.error("razor-snn ablate: not implemented yet");
    return 2;
  },
};

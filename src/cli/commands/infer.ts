import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "classify recordings with pruned inference",
  async run(): Promise<number> {
    console.error("razor-snn infer: not implemented yet");
    return 2;
  },
};

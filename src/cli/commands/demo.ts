import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "train Razor SNN on the embedded N-MNIST-emu data, prune, and report",
  async run(): Promise<number> {
    console.error("razor-snn demo: not implemented yet");
    return 2;
  },
};

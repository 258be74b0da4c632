import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "train a plain, TA or Razor SNN",
  async run(): Promise<number> {
    console.error("razor-snn train: not implemented yet");
    return 2;
  },
};

import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "download datasets, show dataset info, inspect a recording",
  async run(): Promise<number> {
    console.error("razor-snn data: not implemented yet");
    return 2;
  },
};

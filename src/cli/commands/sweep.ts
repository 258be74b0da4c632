import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "threshold sweep: accuracy vs frame-layer work dropped, beside the controls",
  async run(): Promise<number> {
    console.error("razor-snn sweep: not implemented yet");
    return 2;
  },
};

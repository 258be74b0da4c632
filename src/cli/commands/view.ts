import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "serve the browser viewer on localhost",
  async run(): Promise<number> {
    console.error("razor-snn view: not implemented yet");
    return 2;
  },
};

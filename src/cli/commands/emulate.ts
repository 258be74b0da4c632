import type { Command } from "../main.js";

// Not built yet: says so instead of pretending.
export const command: Command = {
  summary: "turn frame sequences into events with the event-camera emulator",
  async run(): Promise<number> {
    console.error("razor-snn emulate: not implemented yet");
    return 2;
  },
};

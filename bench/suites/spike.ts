import type { Suite } from "../run.js";

// Filled in by the work that builds this part.
export const suite: Suite = async () => ({ rows: [], notes: ["not implemented yet"] });

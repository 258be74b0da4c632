/**
 * The `razor-snn` command: dispatches to one module per sub-command (src/cli/commands/<name>.ts).
 * Errors reach the user as one clear line; RAZOR_SNN_DEBUG=1 shows the stack.
 */
import type { Command } from "./command.js";

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import("./commands/demo.js")).command,
  data: async () => (await import("./commands/data.js")).command,
  train: async () => (await import("./commands/train.js")).command,
  eval: async () => (await import("./commands/eval.js")).command,
  sweep: async () => (await import("./commands/sweep.js")).command,
  ablate: async () => (await import("./commands/ablate.js")).command,
  paper: async () => (await import("./commands/paper.js")).command,
  infer: async () => (await import("./commands/infer.js")).command,
  emulate: async () => (await import("./commands/emulate.js")).command,
  view: async () => (await import("./commands/view.js")).command,
  nir: async () => (await import("./commands/nir.js")).command,
};

async function usage(): Promise<string> {
  const lines = ["usage: razor-snn <command> [options]   (razor-snn <command> --help for details)", "", "commands:"];
  for (const [name, load] of Object.entries(commands)) {
    const c = await load();
    lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  }
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(await usage());
    process.exitCode = name === undefined ? 2 : 0;
    return;
  }
  const load = commands[name];
  if (load === undefined) {
    console.error(`razor-snn: unknown command '${name}'\n\n${await usage()}`);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await (await load()).run(rest);
    process.exitCode = code;
  } catch (err) {
    reportError(err);
    process.exitCode = 1;
  }
}

function reportError(err: unknown): void {
  if (process.env.RAZOR_SNN_DEBUG) {
    console.error(err);
    return;
  }
  const msg = err instanceof Error ? err.message : String(err);
  // one line, whatever produced the message (Node's option parser writes several)
  const line = msg
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .join(" ");
  console.error(`razor-snn: ${line}`);
}

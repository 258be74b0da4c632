/** One `razor-snn` sub-command: a one-line summary for the usage text and its entry point (exit code). */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

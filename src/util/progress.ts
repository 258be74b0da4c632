/**
 * A one-line progress bar on stderr (redrawn in place on a TTY, printed every few seconds otherwise),
 * with rate and ETA. Quiet when `enabled` is false.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  enabled?: boolean;
  stream?: NodeJS.WriteStream;
}

export class ProgressBar {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private extra = "";
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.enabled ?? true;
  }

  /** Advance by `n` units; `info` is shown after the bar (e.g. "loss 0.12 acc 0.91"). */
  tick(n = 1, info?: string): void {
    this.done += n;
    if (info !== undefined) this.extra = info;
    const now = Date.now();
    const interval = this.stream.isTTY ? 100 : 5000;
    if (now - this.lastDraw >= interval || this.done >= this.opts.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  /** Finish the line. */
  finish(info?: string): void {
    if (info !== undefined) this.extra = info;
    this.draw();
    if (this.enabled && this.stream.isTTY) this.stream.write("\n");
  }

  private draw(): void {
    if (!this.enabled) return;
    const { total, label } = this.opts;
    const unit = this.opts.unit ?? "it";
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : 0;
    const line =
      `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.done}/${total} ` +
      `${rate.toFixed(1)} ${unit}/s ETA ${formatSeconds(eta)} ${this.extra}`;
    if (this.stream.isTTY) this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

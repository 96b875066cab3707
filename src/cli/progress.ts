// Progress on stderr: a redrawn bar when stderr is a terminal, plain lines (at most one every
// few seconds) when it is a log file or a pipe (CLI.md).

export class Progress {
  private lastLine = 0;
  private lastLabel = '';
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly isTTY: boolean,
    private readonly quiet = false,
  ) {}

  update(label: string, done: number, total: number): void {
    if (this.quiet) return;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (this.isTTY) {
      const width = 28;
      const filled = total > 0 ? Math.round((width * done) / total) : width;
      this.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${pct}%`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (label !== this.lastLabel || done === total || now - this.lastLine > 5000) {
      this.write(`${label}: ${done}/${total} (${pct}%)\n`);
      this.lastLine = now;
      this.lastLabel = label;
    }
  }

  /**
   * A status line in words (a fit's phase, calls and ETA): redrawn on a terminal (cut to one line), printed at
   * most every few seconds otherwise, and at once when `force` (a new phase: the line a log must not lose).
   */
  status(label: string, text: string, force = false): void {
    if (this.quiet) return;
    const line = `${label}: ${text}`;
    if (this.isTTY) {
      this.write(`\r\x1b[2K${line.length > 119 ? line.slice(0, 118) + '…' : line}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (force || label !== this.lastLabel || now - this.lastLine > 5000) {
      this.write(line + '\n');
      this.lastLine = now;
      this.lastLabel = label;
    }
  }

  /** Ends the bar line so later messages start on their own line. */
  done(): void {
    if (this.drawn) this.write('\r\x1b[2K');
    this.drawn = false;
  }

  message(text: string): void {
    this.done();
    if (!this.quiet) this.write(text.endsWith('\n') ? text : text + '\n');
  }
}

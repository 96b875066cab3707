// Splits a byte stream into lines holding at most one line, and not even that when the line is
// over the limit: its bytes are counted and dropped as they stream past. (Joining each chunk to
// the carried rest, as before, copied a long line over and over: 300 MB took 17 s and 1.5 GB.)

export type Line =
  /** `bytes` is valid only during the callback (it may view the caller's buffer). */
  { bytes: Buffer; terminated: boolean } | { oversized: number; terminated: boolean };

export class LineSplitter {
  private parts: Buffer[] = [];
  /** Bytes of the current line so far, kept or not. */
  private size = 0;
  private skipping = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Line) => void,
  ) {}

  /** The chunk is not kept past the call, so the caller may reuse its buffer. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (this.size === 0 && nl - start <= this.maxLineBytes) {
        // The common case, a whole line inside the chunk: no copy.
        this.onLine({ bytes: chunk.subarray(start, nl), terminated: true });
      } else {
        this.take(chunk, start, nl);
        this.finish(true);
      }
      start = nl + 1;
    }
    this.take(chunk, start, chunk.length);
  }

  /** Delivers a last line that has no newline. */
  end(): void {
    if (this.size > 0) this.finish(false);
  }

  private take(chunk: Buffer, from: number, to: number): void {
    if (to === from) return;
    this.size += to - from;
    if (this.skipping) return;
    if (this.size > this.maxLineBytes) {
      this.skipping = true;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(chunk.subarray(from, to)));
  }

  private finish(terminated: boolean): void {
    const line: Line = this.skipping
      ? { oversized: this.size, terminated }
      : { bytes: this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size), terminated };
    this.parts = [];
    this.size = 0;
    this.skipping = false;
    this.onLine(line);
  }
}

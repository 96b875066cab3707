// Raw rows for the importers, each with the 1-based line and column where it starts.
// Accepts JSONL (one value per line; blank lines ignored; CRLF and a BOM tolerated) or a
// JSON array (each element parsed on its own, so one broken element does not lose the rest),
// or rows that the caller has already parsed (their position is their 1-based index).

import type { ImportProblem } from './native-record';

export interface Row {
  value: unknown;
  line: number;
  column: number;
}

export interface RowsResult {
  rows: Row[];
  problems: ImportProblem[];
}

/** What an importer reads: text, already-parsed values, or rows already read with their places (a streamed file). */
export type RowsInput = string | readonly unknown[] | RowsResult;

/** Rows from text or from already-parsed values; rows already read are taken as they are. */
export function readRows(input: RowsInput, file: string): RowsResult {
  if (Array.isArray(input)) {
    return { rows: input.map((value, i) => ({ value, line: i + 1, column: 1 })), problems: [] };
  }
  if (typeof input !== 'string') return input as RowsResult;
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const first = firstNonSpace(text, 0);
  if (first < text.length && text[first] === '[') return readJsonArray(text, first, file);
  return readJsonl(text, file);
}

function firstNonSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim();
}

function readJsonl(text: string, file: string): RowsResult {
  const rows: Row[] = [];
  const problems: ImportProblem[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    const last = end === -1;
    if (last) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const col = firstNonSpace(line, 0);
    if (col < line.length) {
      try {
        rows.push({ value: JSON.parse(line), line: lineNo, column: col + 1 });
      } catch (err) {
        const truncated = last && !text.endsWith('\n');
        problems.push({
          file,
          line: lineNo,
          column: col + 1,
          message: `${truncated ? 'truncated last line? ' : ''}not valid JSON: ${errorText(err)}`,
          severity: 'error',
        });
      }
    }
    if (last) break;
    start = end + 1;
  }
  // A pretty-printed single JSON object is not JSONL, but it is an unambiguous single row.
  if (rows.length === 0 && problems.length > 1) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null) {
        const col = firstNonSpace(text, 0);
        return { rows: [{ value, line: lineOf(text, col), column: 1 }], problems: [] };
      }
    } catch {
      // keep the per-line problems
    }
  }
  return { rows, problems };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Split a top-level JSON array into its elements by scanning strings and nesting, then parse each
 * element separately. Positions are tracked incrementally, so this is linear in the text.
 */
function readJsonArray(text: string, open: number, file: string): RowsResult {
  return new ArraySplitter(text, file).run(open);
}

/** The scan of one top-level JSON array (see readJsonArray). */
class ArraySplitter {
  readonly rows: Row[] = [];
  readonly problems: ImportProblem[] = [];
  private line = 1;
  private lineStart = 0;
  private depth = 0;
  private readonly stack: number[] = [];
  private inString = false;
  private escaped = false;
  private elemStart = -1;
  private elemLine = 0;
  private elemCol = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  run(open: number): RowsResult {
    for (let i = 0; i < open; i++) if (this.text.charCodeAt(i) === 10) this.newLine(i);
    let closed = -1;
    for (let i = open; i < this.text.length; i++) {
      if (this.step(i)) {
        closed = i;
        break;
      }
    }
    this.finish(closed);
    return { rows: this.rows, problems: this.problems };
  }

  private newLine(i: number): void {
    this.line++;
    this.lineStart = i + 1;
  }

  private problem(line: number, column: number, message: string, severity: 'error' | 'warning' = 'error'): void {
    this.problems.push({ file: this.file, line, column, message, severity });
  }

  /** Reads character i; true when it closes the outer array. */
  private step(i: number): boolean {
    const c = this.text.charCodeAt(i);
    if (c === 10) this.newLine(i);
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === 0x5c /* \ */) this.escaped = true;
      else if (c === 0x22 /* " */) this.inString = false;
      return false;
    }
    if (this.depth === 1 && this.elemStart < 0 && !isSpace(c) && c !== 0x2c /* , */ && c !== 0x5d /* ] */) {
      this.elemStart = i;
      this.elemLine = this.line;
      this.elemCol = i - this.lineStart + 1;
    }
    if (c === 0x22) this.inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      this.stack.push(c);
      this.depth++;
    } else if (c === 0x5d || c === 0x7d /* } */) return this.closer(i, c);
    else if (c === 0x2c && this.depth === 1) {
      if (this.elemStart < 0) this.problem(this.line, i - this.lineStart + 1, 'empty array element');
      this.flush(i);
    }
    return false;
  }

  /** A `]` or `}`; true when it closes the outer array. */
  private closer(i: number, c: number): boolean {
    // Resynchronise on a mismatched closer (`{"a": [1}`): pop to its opener when there is one
    // inside the current element; the element then fails to parse and is reported on its own.
    const opener = c === 0x5d ? 0x5b : 0x7b;
    let k = this.stack.length - 1;
    while (k > 0 && this.stack[k] !== opener) k--;
    // A stray `}`, or a stray `]` inside an element, cannot close the outer array.
    if (k === 0 && (c === 0x7d || this.depth > 1)) return false;
    this.stack.length = k;
    this.depth = k;
    if (this.depth !== 0) return false;
    this.flush(i);
    return true;
  }

  /** Parses the element that ends at `end`, if one started. */
  private flush(end: number): void {
    if (this.elemStart < 0) return;
    const slice = this.text.slice(this.elemStart, end);
    try {
      this.rows.push({ value: JSON.parse(slice), line: this.elemLine, column: this.elemCol });
    } catch (err) {
      this.problem(this.elemLine, this.elemCol, `not valid JSON: ${errorText(err)}`);
    }
    this.elemStart = -1;
  }

  /** An array never closed (a truncated file), or text after it. */
  private finish(closed: number): void {
    const { text } = this;
    if (closed < 0) {
      if (this.elemStart >= 0)
        this.problem(
          this.elemLine,
          this.elemCol,
          'the JSON array is not closed (truncated file?); this element was cut off',
        );
      else this.problem(this.line, text.length - this.lineStart + 1, 'the JSON array is not closed (truncated file?)');
      return;
    }
    const after = firstNonSpace(text, closed + 1);
    if (after < text.length) {
      const col = after - text.lastIndexOf('\n', after - 1);
      this.problem(lineOf(text, after), col, 'unexpected text after the JSON array (ignored)', 'warning');
    }
  }
}

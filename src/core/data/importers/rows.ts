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
  const rows: Row[] = [];
  const problems: ImportProblem[] = [];
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < open; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let depth = 0;
  const stack: number[] = [];
  let inString = false;
  let escaped = false;
  let elemStart = -1;
  let elemLine = 0;
  let elemCol = 0;
  let closed = -1;

  const flush = (end: number): void => {
    if (elemStart < 0) return;
    const slice = text.slice(elemStart, end);
    try {
      rows.push({ value: JSON.parse(slice), line: elemLine, column: elemCol });
    } catch (err) {
      problems.push({
        file,
        line: elemLine,
        column: elemCol,
        message: `not valid JSON: ${errorText(err)}`,
        severity: 'error',
      });
    }
    elemStart = -1;
  };

  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (depth === 1 && elemStart < 0 && !isSpace(c) && c !== 0x2c /* , */ && c !== 0x5d /* ] */) {
      elemStart = i;
      elemLine = line;
      elemCol = i - lineStart + 1;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      stack.push(c);
      depth++;
    } else if (c === 0x5d || c === 0x7d /* } */) {
      // Resynchronise on a mismatched closer (`{"a": [1}`): pop to its opener when there is one
      // inside the current element; the element then fails to parse and is reported on its own.
      const opener = c === 0x5d ? 0x5b : 0x7b;
      let k = stack.length - 1;
      while (k > 0 && stack[k] !== opener) k--;
      // A stray `}`, or a stray `]` inside an element, cannot close the outer array.
      if (k === 0 && (c === 0x7d || depth > 1)) continue;
      stack.length = k;
      depth = k;
      if (depth === 0) {
        flush(i);
        closed = i;
        break;
      }
    } else if (c === 0x2c && depth === 1) {
      if (elemStart < 0) {
        problems.push({ file, line, column: i - lineStart + 1, message: 'empty array element', severity: 'error' });
      }
      flush(i);
    }
  }
  if (closed < 0) {
    if (elemStart >= 0) {
      problems.push({
        file,
        line: elemLine,
        column: elemCol,
        message: 'the JSON array is not closed (truncated file?); this element was cut off',
        severity: 'error',
      });
    } else {
      problems.push({
        file,
        line,
        column: text.length - lineStart + 1,
        message: 'the JSON array is not closed (truncated file?)',
        severity: 'error',
      });
    }
  } else {
    const after = firstNonSpace(text, closed + 1);
    if (after < text.length) {
      const pos = lineOf(text, after);
      const col = after - text.lastIndexOf('\n', after - 1);
      problems.push({
        file,
        line: pos,
        column: col,
        message: 'unexpected text after the JSON array (ignored)',
        severity: 'warning',
      });
    }
  }
  return { rows, problems };
}

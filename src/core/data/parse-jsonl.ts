// JSONL: one pair per line. Lines are independent, so a bad line costs only itself, and
// big files stream in chunks instead of being held as one string.

import { open } from 'node:fs/promises';
import { FileCollector, jsonErrorMessage, jsonErrorOffset, type FileParse } from './parse-result';
import { hasUtf8Bom, looksBinary } from './file-text';

/** Position of a field's value inside one JSONL line (searched only when a problem needs it). */
function locateInLine(text: string, line: number, field: string): { line: number; column: number } | undefined {
  const m = new RegExp(`"${field}"\\s*:\\s*`).exec(text);
  return m ? { line, column: m.index + m[0].length + 1 } : undefined;
}

export class JsonlLineParser {
  private readonly out: FileCollector;

  constructor(file: string) {
    this.out = new FileCollector(file);
  }

  /** @param terminated whether the line ended with a newline (a last line without one may be truncated). */
  line(raw: string, lineNo: number, terminated: boolean): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!text.trim()) return;
    const indent = text.length - text.trimStart().length;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.out.records++;
      const offset = jsonErrorOffset(text);
      const column = offset + 1;
      const message = terminated ? jsonErrorMessage(err, text, offset) : 'truncated last line: the file ends in the middle of a record';
      this.out.problem(lineNo, column, message);
      return;
    }
    const range = { file: this.out.file, line: lineNo, column: indent + 1, endLine: lineNo, endColumn: text.length + 1 };
    this.out.add(value, { range, locate: (field) => locateInLine(text, lineNo, field) });
  }

  problem(line: number, column: number, message: string): void {
    this.out.problem(line, column, message);
  }

  result(): FileParse {
    return this.out.result();
  }
}

export function parseJsonlText(text: string, file: string): FileParse {
  const parser = new JsonlLineParser(file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let start = 0;
  let lineNo = 1;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) parser.line(text.slice(start), lineNo, false);
      break;
    }
    parser.line(text.slice(start, nl), lineNo, true);
    start = nl + 1;
    lineNo++;
  }
  return parser.result();
}

const CHUNK = 4 * 1024 * 1024;

/** Streams a JSONL file of any size: memory is bounded by the pairs kept, not the file. */
export async function parseJsonlFile(path: string, file: string, signal?: AbortSignal): Promise<FileParse> {
  const parser = new JsonlLineParser(file);
  const fh = await open(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    let lineNo = 1;
    let first = true;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      let chunk: Buffer = Buffer.from(buf.subarray(0, bytesRead));
      if (first) {
        first = false;
        if (looksBinary(chunk)) {
          parser.problem(1, 1, 'binary file: not a text preference file; not read');
          return parser.result();
        }
        if (hasUtf8Bom(chunk)) chunk = chunk.subarray(3);
      }
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        parser.line(data.toString('utf8', start, nl), lineNo++, true);
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length) parser.line(carry.toString("utf8"), lineNo, false);
  } finally {
    await fh.close();
  }
  return parser.result();
}

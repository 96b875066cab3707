// JSONL: one pair per line. Lines are independent, so a bad line costs only itself, and
// big files stream in chunks instead of being held as one string.

import { FileCollector, jsonErrorMessage, jsonErrorOffset, type FileParse } from './parse-result';
import { DEFAULT_MAX_RECORD_BYTES } from './file-text';
import { openRegularFile } from '../file-kind';
import { LineSplitter } from './line-splitter';
import { detectEncoding, type TextEncoding } from './text-encoding';
import { Utf16Transcoder } from './utf16';
import { checkUtf8 } from './utf8-validity';

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
      const message = terminated
        ? jsonErrorMessage(err, text, offset)
        : 'truncated last line: the file ends in the middle of a record';
      this.out.problem(lineNo, column, message);
      return;
    }
    const range = {
      file: this.out.file,
      line: lineNo,
      column: indent + 1,
      endLine: lineNo,
      endColumn: text.length + 1,
    };
    this.out.add(value, { range, locate: (field) => locateInLine(text, lineNo, field) });
  }

  problem(line: number, column: number, message: string): void {
    this.out.problem(line, column, message);
  }

  /** A record that is seen but cannot be read (too long, not valid text): counted, and reported. */
  refuse(line: number, column: number, message: string): void {
    this.out.records++;
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

export interface JsonlFileOptions {
  /** Longest record (line) read, in bytes; a longer one is a problem at its line and is skipped unread. */
  maxRecordBytes?: number;
}

/** "3 MB", "0.5 MB", "64 MB". */
function megabytes(bytes: number): string {
  const mb = bytes / 1048576;
  return `${mb >= 10 ? mb.toFixed(0) : String(Number(mb.toFixed(1)))} MB`;
}

/**
 * Streams a JSONL file of any size: memory is bounded by the pairs kept and one record of at
 * most `maxRecordBytes`, not by the file or its longest line.
 */
export async function parseJsonlFile(
  path: string,
  file: string,
  signal?: AbortSignal,
  options: JsonlFileOptions = {},
): Promise<FileParse> {
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const parser = new JsonlLineParser(file);
  let encoding: TextEncoding = 'utf8';
  let lineNo = 1;
  const splitter = new LineSplitter(max, (line) => {
    const n = lineNo++;
    if ('oversized' in line) {
      parser.refuse(
        n,
        1,
        `record of ${megabytes(line.oversized)} exceeds the ${megabytes(max)} limit for one record: not read (the rest of the file is)`,
      );
      return;
    }
    const invalid = checkUtf8(line.bytes, encoding);
    if (invalid) parser.refuse(n, invalid.column, `${invalid.message}; this record is not read`);
    else parser.line(line.bytes.toString('utf8'), n, line.terminated);
  });
  const fh = await openRegularFile(path);
  try {
    let transcoder: Utf16Transcoder | undefined;
    let first = true;
    // Reused for every read: the splitter and the transcoder copy what they keep.
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      let chunk = buf.subarray(0, bytesRead);
      if (first) {
        first = false;
        const detected = detectEncoding(chunk);
        if ('refused' in detected) {
          parser.problem(1, 1, detected.refused);
          return parser.result();
        }
        encoding = detected.encoding;
        if (encoding !== 'utf8') transcoder = new Utf16Transcoder(encoding === 'utf16be');
        chunk = chunk.subarray(detected.bomBytes);
      }
      splitter.push(transcoder ? transcoder.push(chunk) : chunk);
    }
    if (transcoder) splitter.push(transcoder.end());
    splitter.end();
  } finally {
    await fh.close();
  }
  return parser.result();
}

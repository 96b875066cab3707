// A gzipped import input, streamed: the file is decompressed chunk by chunk (zlib.createGunzip) into the
// line splitter the workspace's JSONL reader uses, and each line is parsed as it passes, so memory holds
// the rows, not the decompressed text. Gunzipping the whole file first made a 1 MB gzip take 2.1 GB.
// A decompression bomb is stopped two ways: a line longer than the record limit is counted and dropped
// as it streams (a problem at its line), and the whole stream is refused once it passes a cap on the
// decompressed bytes (at least 256 MB, and 200 times the compressed size, far above real text's 5-20x).
// A JSON array (or a single pretty-printed object) is not line-shaped: it is decompressed whole, under
// the same cap, and read as text.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { DEFAULT_MAX_RECORD_BYTES, MAX_WHOLE_FILE_BYTES } from '../file-text';
import { LineSplitter, type Line } from '../line-splitter';
import type { Row, RowsResult } from './rows';
import type { ImportProblem } from './native-record';

export interface GzipLimits {
  /** Longest line read, in bytes (default: the workspace's record limit, 64 MB). */
  maxLineBytes?: number;
  /** Decompressed bytes at most (default: 256 MB or 200 times the compressed size, whichever is more). */
  maxDecompressedBytes?: number;
}

export type GzipInput = { rows: RowsResult; head: string } | { text: string } | { binary: true };

/** Thrown when the decompressed stream passes its cap; the importer turns it into a one-line refusal. */
export class DecompressionLimitError extends Error {}

const HEAD = 64 * 1024;
const mb = (n: number) => `${Number((n / 1048576).toFixed(1))} MB`;

async function capOf(path: string, limits: GzipLimits): Promise<number> {
  return limits.maxDecompressedBytes ?? Math.max(MAX_WHOLE_FILE_BYTES, 200 * (await stat(path)).size);
}

/** Streams the decompressed bytes of `path` to `onChunk` until it returns false; stops (DecompressionLimitError) past `cap`. */
async function gunzipStream(
  path: string,
  file: string,
  cap: number,
  onChunk: (chunk: Buffer) => boolean | void,
): Promise<void> {
  const source = createReadStream(path);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  let total = 0;
  try {
    // Leaving the loop (a break or a throw) destroys the gunzip stream: nothing more is decompressed.
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > cap)
        throw new DecompressionLimitError(
          `${file}: decompresses to more than ${mb(cap)}: refused (a decompression bomb?); ` +
            'if the data is real, decompress it and import the plain file',
        );
      if (onChunk(chunk) === false) break;
    }
  } finally {
    source.destroy();
  }
}

/** The whole decompressed text, under the cap (for a JSON array). */
export async function gunzipWhole(path: string, file: string, limits: GzipLimits = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await gunzipStream(path, file, Math.min(await capOf(path, limits), MAX_WHOLE_FILE_BYTES), (c) => void chunks.push(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line of the stream as a row or a problem, with the same messages as the text reader (rows.ts). */
function lineReader(file: string, maxLine: number, rows: Row[], problems: ImportProblem[]) {
  let lineNo = 0;
  return (line: Line) => {
    lineNo++;
    if ('oversized' in line) {
      problems.push({
        file,
        line: lineNo,
        column: 1,
        message: `line of ${mb(line.oversized)} exceeds the ${mb(maxLine)} limit for one record: not read`,
        severity: 'error',
      });
      return;
    }
    let text = line.bytes.toString('utf8');
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const col = text.length - text.trimStart().length;
    if (col === text.length) return;
    try {
      rows.push({ value: JSON.parse(text), line: lineNo, column: col + 1 });
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
      problems.push({
        file,
        line: lineNo,
        column: col + 1,
        message: `${line.terminated ? '' : 'truncated last line? '}not valid JSON: ${why}`,
        severity: 'error',
      });
    }
  };
}

/** Reads a gzipped input as JSONL rows, streamed; a JSON array or a binary file is told apart by its start. */
export async function readGzipRows(path: string, file: string, limits: GzipLimits = {}): Promise<GzipInput> {
  const maxLine = limits.maxLineBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const rows: Row[] = [];
  const problems: ImportProblem[] = [];
  const splitter = new LineSplitter(maxLine, lineReader(file, maxLine, rows, problems));
  let head = '';
  let shape: 'lines' | 'array' | 'binary' | undefined;
  await gunzipStream(path, file, await capOf(path, limits), (chunk) => {
    if (head.length < HEAD) head += chunk.subarray(0, HEAD).toString('utf8');
    if (!shape) {
      if (chunk.subarray(0, 8192).includes(0)) shape = 'binary';
      const first = head.replace(/^\uFEFF/, '').trimStart()[0];
      if (first !== undefined) shape ??= first === '[' ? 'array' : 'lines';
      if (shape === 'binary' || shape === 'array') return false;
    }
    splitter.push(chunk);
  });
  if (shape === 'binary') return { binary: true };
  if (shape === 'array') return { text: await gunzipWhole(path, file, limits) };
  splitter.end();
  // No row and several broken lines: perhaps one pretty-printed object, which the text reader accepts.
  if (rows.length === 0 && problems.length > 1) return { text: await gunzipWhole(path, file, limits) };
  return { rows: { rows, problems }, head };
}

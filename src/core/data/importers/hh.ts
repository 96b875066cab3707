// Anthropic HH transcripts -> native records.
// Row: `{"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": "..."}` (JSONL, possibly gzipped).
// Both transcripts share every turn but the last assistant turn; that shared part is the context,
// the two last assistant turns are the responses. The data has no user ids: every record gets
// `userId` (default "hh"), or, with `users: N`, rows are dealt round-robin to N synthetic users
// `<userId>-1` ... `<userId>-N` in row order (row k, counting every readable row, goes to user (k mod N) + 1).

import { gunzipSync } from 'node:zlib';
import {
  ImportCollector,
  type ImportResult,
  type NativeTurn,
  SKIP_INVALID,
  describe,
  isRecord,
  responsePairError,
} from './native-record';
import { readRows, type RowsInput, type RowsResult } from './rows';
import { MAX_WHOLE_FILE_BYTES } from '../file-text';

export interface HhImportOptions {
  /** Name used in problems; default `<hh>`. */
  file?: string;
  /** The user id of every record, or the prefix of the synthetic ids with `users`; default "hh". */
  userId?: string;
  /** Spread rows round-robin over this many synthetic users (`<userId>-1` ...); default 1 (no spreading). */
  users?: number;
}

const MARKER = /\n\n(Human|Assistant):/g;

/** True when the bytes are gzip (magic 0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Split an HH transcript into turns on its `\n\nHuman:` / `\n\nAssistant:` markers. */
export function parseHhTranscript(text: string): { turns: NativeTurn[]; preamble: string } {
  // Some copies drop the two leading newlines.
  const s = /^(Human|Assistant):/.test(text) ? `\n\n${text}` : text;
  const turns: NativeTurn[] = [];
  const marks: { at: number; role: 'user' | 'assistant'; body: number }[] = [];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(s); m; m = MARKER.exec(s)) {
    marks.push({ at: m.index, role: m[1] === 'Human' ? 'user' : 'assistant', body: MARKER.lastIndex });
  }
  const preamble = s.slice(0, marks[0]?.at ?? s.length).trim();
  marks.forEach((mark, i) => {
    const end = i + 1 < marks.length ? marks[i + 1]!.at : s.length;
    turns.push({ role: mark.role, content: s.slice(mark.body, end).trim() });
  });
  return { turns, preamble };
}

export function importHh(input: Buffer | Uint8Array | RowsInput, options: HhImportOptions = {}): ImportResult {
  const file = options.file ?? '<hh>';
  const out = new ImportCollector();
  const baseUser = options.userId ?? 'hh';
  const users = Math.max(1, Math.floor(options.users ?? 1));
  const source = hhSource(input, file, out);
  if (source === undefined) return out.result();
  const { rows, problems } = readRows(source, file);
  out.problems.push(...problems);
  out.skip(SKIP_INVALID, problems.filter((p) => p.severity === 'error').length);
  let rowIndex = -1;
  for (const { value: row, line, column } of rows) {
    rowIndex++;
    const pair = hhPair(row);
    if (typeof pair === 'string') {
      out.problem(file, line, column, pair);
      out.skip(SKIP_INVALID);
      continue;
    }
    const user = users === 1 ? baseUser : `${baseUser}-${(rowIndex % users) + 1}`;
    const unique = out.uniquePairId(`hh-${line}`);
    const meta: Record<string, unknown> = { source: 'hh', line };
    if (pair.preamble) meta.preamble = pair.preamble;
    out.records.push({
      user_id: user,
      pair_id: unique.id,
      context: pair.context,
      chosen: pair.chosen,
      rejected: pair.rejected,
      meta,
    });
  }
  return out.result();
}

/** The rows to read: given as rows or text, or bytes (gunzipped under a cap); undefined (with a problem) when not. */
function hhSource(input: Buffer | Uint8Array | RowsInput, file: string, out: ImportCollector): RowsInput | undefined {
  if (!(input instanceof Uint8Array)) return input as string | readonly unknown[] | RowsResult;
  let bytes = input;
  if (isGzip(bytes)) {
    // Bytes already in memory (importFile streams files instead): the output is capped, so a small
    // bomb cannot expand into gigabytes.
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_WHOLE_FILE_BYTES });
    } catch (err) {
      const over = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      out.problem(
        file,
        1,
        1,
        over
          ? `decompresses to more than ${MAX_WHOLE_FILE_BYTES / 1048576} MB: not read (import the file by its path, which streams)`
          : `cannot decompress gzip: ${err instanceof Error ? err.message : String(err)}`,
      );
      return undefined;
    }
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

interface HhPair {
  context: NativeTurn[];
  chosen: string;
  rejected: string;
  preamble: string;
}

/** A row's pair: the shared turns and the two last assistant turns; a string says why the row gives none. */
function hhPair(row: unknown): HhPair | string {
  if (!isRecord(row)) return `expected an object with "chosen" and "rejected" transcripts, got ${describe(row)}`;
  const missing = (['chosen', 'rejected'] as const).filter((k) => typeof row[k] !== 'string');
  if (missing.length > 0)
    return missing
      .map((k) =>
        row[k] === undefined ? `missing field "${k}"` : `"${k}" must be a transcript string, got ${describe(row[k])}`,
      )
      .join('; ');
  const c = parseHhTranscript(row.chosen as string);
  const r = parseHhTranscript(row.rejected as string);
  const lastC = c.turns[c.turns.length - 1];
  const lastR = r.turns[r.turns.length - 1];
  const badC = !lastC || lastC.role !== 'assistant';
  const badR = !lastR || lastR.role !== 'assistant';
  if (badC || badR) {
    const which = [badC ? 'chosen' : '', badR ? 'rejected' : ''].filter(Boolean).join(' and ');
    return `the ${which} transcript does not end with an "Assistant:" turn`;
  }
  const context = c.turns.slice(0, -1);
  const otherContext = r.turns.slice(0, -1);
  if (c.preamble !== r.preamble || !sameTurns(context, otherContext))
    return (
      'the chosen and rejected transcripts do not share the same turns before the last assistant turn ' +
      `(${context.length} vs ${otherContext.length} turns)`
    );
  if (context.length === 0 || context[context.length - 1]!.role !== 'user')
    return 'no "Human:" turn before the last assistant turn';
  const why = responsePairError(lastC!.content, lastR!.content);
  if (why) return why;
  return { context, chosen: lastC!.content, rejected: lastR!.content, preamble: c.preamble };
}

function sameTurns(a: NativeTurn[], b: NativeTurn[]): boolean {
  return a.length === b.length && a.every((t, i) => t.role === b[i]!.role && t.content === b[i]!.content);
}

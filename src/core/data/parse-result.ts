// What reading one preference file yields, and the bookkeeping every reader shares.

import type { Pair, Problem, SourceRange } from './pair';
import { normalizeRecord, type RecordLocation } from './normalize';
import { findJsonErrorOffset } from './json-error-position';

export interface FileParse {
  file: string;
  pairs: Pair[];
  problems: Problem[];
  /** Records seen (valid or not); with `pairs.length` tells how much of the file was usable. */
  records: number;
}

/** Collects pairs for one file, deriving stable ids and refusing duplicate pair ids within the file. */
export class FileCollector {
  readonly pairs: Pair[] = [];
  readonly problems: Problem[] = [];
  records = 0;
  private readonly seen = new Map<string, number>();
  private readonly base: string;

  constructor(readonly file: string) {
    this.base = file.split(/[\\/]/).pop() ?? file;
  }

  problem(line: number, column: number, message: string, severity: Problem['severity'] = 'error'): void {
    this.problems.push({ file: this.file, line, column, message, severity });
  }

  add(raw: unknown, where: Omit<RecordLocation, 'fallbackPairId'>): void {
    this.records++;
    // Derived ids use the record's ordinal, which survives edits that only change line counts.
    const result = normalizeRecord(raw, { ...where, fallbackPairId: `${this.base}#${this.records}` });
    this.problems.push(...result.problems);
    const pair = result.pair;
    if (!pair) return;
    const key = `${pair.userId}\u0000${pair.pairId}`;
    const firstLine = this.seen.get(key);
    if (firstLine !== undefined) {
      this.problem(
        where.range.line,
        where.range.column,
        `duplicate pair_id "${pair.pairId}" for user "${pair.userId}" (first at line ${firstLine}); this record is ignored`,
      );
      return;
    }
    this.seen.set(key, where.range.line);
    this.pairs.push(pair);
  }

  result(): FileParse {
    return { file: this.file, pairs: this.pairs, problems: this.problems, records: this.records };
  }
}

export function rangeOf(
  file: string,
  start: { line: number; column: number },
  end: { line: number; column: number },
): SourceRange {
  return { file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/** Offset of the first syntax error in JSON text that failed to parse. */
export function jsonErrorOffset(text: string): number {
  return findJsonErrorOffset(text);
}

/** A short message from V8's, which differs between Node versions and may quote the whole input. */
export function jsonErrorMessage(err: unknown, text: string, offset: number): string {
  if (offset >= text.trimEnd().length) return 'malformed JSON: the record ends too early';
  const msg = String((err as Error)?.message ?? err);
  const m = new RegExp(
    '^((?:Unexpected (?:token|non-whitespace character|number|string)|Expected|' +
      'Bad (?:control character|escaped character|Unicode escape))[^,]*?)(?:,| in JSON| after JSON|$)',
  ).exec(msg);
  const what = m ? m[1]! : `unexpected ${JSON.stringify(text[offset])}`;
  return `malformed JSON: ${what}`;
}

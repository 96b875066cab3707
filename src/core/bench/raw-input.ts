// Reading the raw inputs of `bench prepare`: Chatbot Arena files, a PRISM conversations file
// with its survey, or native preference files. A file that is missing or unreadable, a row that
// is malformed or misses columns: each becomes a precise problem, and the pipeline goes on with
// whatever is valid.

import { access } from 'node:fs/promises';
import {
  importFile,
  ImportError,
  type ImportProblem,
  type NativeRecord,
  type SkipCount,
} from '../data/importers/index';
import { readPreferenceFile } from '../data/read-file';
import { pairToRecord } from './records';

export type RawInput =
  | { kind: 'arena'; files: string[] }
  | { kind: 'prism'; conversations: string; survey?: string }
  | { kind: 'prefs'; files: string[] };

export interface RawRead {
  records: NativeRecord[];
  problems: ImportProblem[];
  skipped: SkipCount[];
  /** Files that could not be read at all. */
  unreadable: string[];
}

export interface RawReadOptions {
  /** How a path is named in problems. */
  displayPath?: (path: string) => string;
  signal?: AbortSignal;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

export async function readRawInput(input: RawInput, options: RawReadOptions = {}): Promise<RawRead> {
  const name = options.displayPath ?? ((p: string) => p);
  const problems: ImportProblem[] = [];
  const unreadable: string[] = [];
  const missing = (p: string, what = 'file not found') => {
    problems.push({ file: name(p), line: 1, column: 1, message: `${what}: not read`, severity: 'error' });
    unreadable.push(name(p));
  };

  if (input.kind === 'prefs') {
    const records: NativeRecord[] = [];
    const seen = new Set<string>();
    for (const f of input.files) {
      const parse = await readPreferenceFile(f, name(f), options.signal);
      problems.push(...parse.problems);
      if (
        parse.pairs.length === 0 &&
        parse.problems.some(
          (p) => p.severity === 'error' && p.line === 1 && /not found|cannot read|not a/.test(p.message),
        )
      )
        unreadable.push(name(f));
      for (const p of parse.pairs) {
        const key = `${p.userId}\u0000${p.pairId}`;
        if (seen.has(key)) {
          problems.push({
            file: p.source.file,
            line: p.source.line,
            column: p.source.column,
            message: `duplicate pair_id "${p.pairId}" for user "${p.userId}": ignored`,
            severity: 'error',
          });
          continue;
        }
        seen.add(key);
        records.push(pairToRecord(p));
      }
    }
    return { records, problems, skipped: [], unreadable };
  }

  let from: 'arena' | 'prism';
  let files: string[];
  if (input.kind === 'arena') {
    from = 'arena';
    files = [];
    for (const f of input.files) {
      if (await exists(f)) files.push(f);
      else missing(f);
    }
  } else {
    from = 'prism';
    if (!(await exists(input.conversations))) {
      missing(input.conversations);
      return { records: [], problems, skipped: [], unreadable };
    }
    files = [input.conversations];
    if (input.survey !== undefined) {
      if (await exists(input.survey)) files.push(input.survey);
      else missing(input.survey, 'survey file not found (the records get no demographics)');
    }
  }
  if (!files.length) return { records: [], problems, skipped: [], unreadable };
  try {
    const r = await importFile(from, files, { displayPath: name });
    return { records: r.records, problems: [...problems, ...r.problems], skipped: r.skipped, unreadable };
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    problems.push({ file: name(files[0]!), line: 1, column: 1, message: err.message, severity: 'error' });
    return { records: [], problems, skipped: [], unreadable: [...unreadable, ...files.map(name)] };
  }
}

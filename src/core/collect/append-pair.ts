// Appending a collected pair to a user's preference file: one write at the end, never a rewrite of
// the lines already there. The file is parsed again afterwards with the workspace's own parser; if
// the append left a problem (it should not), the file is cut back to its old length and the error
// says why, so the file's problems stay at zero. JSONL files and YAML lists of pairs can be
// appended to; a JSON array or a YAML mapping cannot be without rewriting it, and is refused.

import { open, readFile, stat, truncate } from 'node:fs/promises';
import { stringify } from 'yaml';
import { parseJsonlText } from '../data/parse-jsonl';
import { parseYamlText } from '../data/parse-yaml';
import { checkWrite } from '../write-guard';
import { UserError } from '../user-error';
import type { Turn } from '../data/pair';

/** A native pair as it is written: the fields of METHOD.md section 1, plus how it was collected. */
export interface CollectedRecord {
  user_id: string;
  pair_id: string;
  context: Turn[];
  chosen: string;
  rejected: string;
  meta: {
    collected: {
      at: string;
      /** The source of each response: a model and system prompt label. */
      sources: { chosen: string; rejected: string };
      /** What was shown as 1 and as 2 (chosen or rejected): the order is random and recorded. */
      shown: ['chosen' | 'rejected', 'chosen' | 'rejected'];
      reason?: string;
    };
  };
}

export type AppendableKind = 'jsonl' | 'yaml';

export function appendableKind(path: string): AppendableKind {
  if (/\.jsonl$/i.test(path)) return 'jsonl';
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  throw new UserError(`${path}: collected pairs are appended to a .jsonl file or a YAML list of pairs; a JSON array cannot be appended to without rewriting it (collect into a .jsonl file beside it)`, 2);
}

function problemsOf(kind: AppendableKind, text: string, file: string) {
  return (kind === 'jsonl' ? parseJsonlText(text, file) : parseYamlText(text, file)).problems.filter((p) => p.severity === 'error');
}

/**
 * Whether a file can take appended pairs, before anything is generated: its kind, no problems already,
 * and for YAML a top-level list. Returns its text ('' for a file not yet there).
 */
export async function checkAppendable(path: string, display = path): Promise<string> {
  const kind = appendableKind(path);
  await checkWrite(path);
  let before = '';
  try {
    before = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`${display}: cannot be read (${(err as Error).message})`, 2);
  }
  if (before.trim() && problemsOf(kind, before, display).length) throw new UserError(`${display} has problems already (see the Problems panel or synthesizeme inspect): fix them before appending`, 2);
  if (kind === 'yaml' && before.trim()) {
    // Only a top-level list can take another item at its end.
    const firstItem = before.split('\n').find((l) => l.trim() && !l.trimStart().startsWith('#'));
    if (!firstItem?.startsWith('- ')) throw new UserError(`${display} is not a YAML list of pairs at its top level (a mapping by user cannot be appended to without rewriting it): collect into a .jsonl file`, 2);
  }
  return before;
}

/** Appends the record; returns the 1-based line where it starts. */
export async function appendPair(path: string, record: CollectedRecord, display = path): Promise<{ line: number }> {
  const kind = appendableKind(path);
  const before = await checkAppendable(path, display);
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  const body = kind === 'jsonl' ? `${JSON.stringify(record)}\n` : `${before.trim() ? '\n' : ''}${stringify([record], { lineWidth: 0 })}`;
  const line = (before.match(/\n/g)?.length ?? 0) + (sep ? 1 : 0) + 1 + (kind === 'yaml' && before.trim() ? 1 : 0);
  const size = before ? (await stat(path)).size : 0;
  // One write in append mode: a reader sees the old file or the old file plus the whole record.
  const fh = await open(path, 'a');
  try {
    await fh.write(sep + body);
  } finally {
    await fh.close();
  }
  const after = await readFile(path, 'utf8');
  const problems = problemsOf(kind, after, display);
  if (problems.length) {
    await truncate(path, size);
    throw new UserError(`${display}: the appended pair did not read back (${problems[0]!.message}); the file was cut back to what it was`, 1);
  }
  return { line };
}

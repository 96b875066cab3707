// The native on-disk preference record that every importer produces (one JSON object per
// JSONL line), the shape of an import's result, and small helpers the importers share.
// No `vscode` import: this is engine code, used by the CLI and the extension alike.

import type { Problem, Severity, Split } from '../pair';
import { isRecord } from '../../is-record';

export type NativeRole = 'user' | 'assistant' | 'system';

export interface NativeTurn {
  role: NativeRole;
  content: string;
}

/**
 * One line of a native `.prefs.jsonl` file. Keys are written in this order.
 * Source-specific fields (model names, timestamps, turn numbers, conversation types...) live in `meta`.
 */
export interface NativeRecord {
  user_id: string;
  pair_id: string;
  /** The conversation up to and including the user turn being answered. */
  context: NativeTurn[];
  chosen: string;
  rejected: string;
  split?: Split;
  flip?: boolean;
  demographics?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

export type ImportProblem = Problem;

/** Rows deliberately left out (ties, turns without an alternative...) or rejected, by reason. */
export interface SkipCount {
  reason: string;
  count: number;
}

export interface ImportResult {
  records: NativeRecord[];
  problems: ImportProblem[];
  skipped: SkipCount[];
}

/** Reason used for rows that produced an error problem and therefore no record. */
export const SKIP_INVALID = 'invalid row (see problems)';

/** Collects problems and skip counts while an importer runs; `result()` assembles the answer. */
export class ImportCollector {
  readonly records: NativeRecord[] = [];
  readonly problems: ImportProblem[] = [];
  private readonly skips = new Map<string, number>();
  private readonly pairIds = new Map<string, number>();

  problem(file: string, line: number, column: number, message: string, severity: Severity = 'error'): void {
    this.problems.push({ file, line, column, message, severity });
  }

  skip(reason: string, count = 1): void {
    if (count <= 0) return;
    this.skips.set(reason, (this.skips.get(reason) ?? 0) + count);
  }

  /**
   * A pair id unique within this import: the first use of `id` keeps it, later ones get `#2`, `#3`...
   * Returns the id to write and whether it had to be changed.
   */
  uniquePairId(id: string): { id: string; renamed: boolean } {
    let n = this.pairIds.get(id);
    if (n === undefined) {
      this.pairIds.set(id, 1);
      return { id, renamed: false };
    }
    for (;;) {
      n++;
      const candidate = `${id}#${n}`;
      if (!this.pairIds.has(candidate)) {
        this.pairIds.set(id, n);
        this.pairIds.set(candidate, 1);
        return { id: candidate, renamed: true };
      }
    }
  }

  result(): ImportResult {
    return {
      records: this.records,
      problems: this.problems,
      skipped: [...this.skips].map(([reason, count]) => ({ reason, count })),
    };
  }
}

/** Map the many spellings of a speaker to the native roles; undefined when unknown. */
export function normalizeRole(role: unknown): NativeRole | undefined {
  if (typeof role !== 'string') return undefined;
  switch (role.trim().toLowerCase()) {
    case 'user':
    case 'human':
    case 'prompter':
      return 'user';
    case 'assistant':
    case 'model':
    case 'bot':
    case 'gpt':
    case 'ai':
      return 'assistant';
    case 'system':
      return 'system';
    default:
      return undefined;
  }
}

/** `train`/`val`/`test` (the benchmark's names) and the native names; undefined when unknown. */
export function normalizeSplit(split: unknown): Split | undefined {
  if (typeof split !== 'string') return undefined;
  switch (split.trim().toLowerCase()) {
    case 'train':
    case 'context':
      return 'context';
    case 'val':
    case 'valid':
    case 'validation':
    case 'dev':
      return 'validation';
    case 'test':
      return 'test';
    default:
      return undefined;
  }
}

/** The one isRecord, offered to the importers with the rest of what they share. */
export { isRecord };

/** A user id may be written as a number in some dumps; anything else is not an id. */
export function idString(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A response given as a plain string or as `{role, content}`; undefined when neither. */
export function responseText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/**
 * Why a pair cannot be written (empty response, both responses equal), or undefined when it can.
 * Compared after trimming, since whitespace-only differences are not a preference.
 */
export function responsePairError(chosen: string, rejected: string): string | undefined {
  const c = chosen.trim();
  const r = rejected.trim();
  if (c === '' && r === '') return 'both responses are empty';
  if (c === '') return 'the chosen response is empty';
  if (r === '') return 'the rejected response is empty';
  if (c === r) return 'the chosen and rejected responses are identical';
  return undefined;
}

/** A short description of a value for problem messages: `null`, `a list`, `"text"`, `number 3`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * A list of `{role, content}` turns, or undefined after reporting what is wrong with it through
 * `error`. With `stringIsUserTurn`, a plain string is read as one user turn.
 */
export function readTurns(
  value: unknown,
  field: string,
  error: (message: string) => void,
  stringIsUserTurn = false,
): NativeTurn[] | undefined {
  if (value === undefined || value === null) {
    error(`missing field "${field}"`);
    return undefined;
  }
  if (stringIsUserTurn && typeof value === 'string') return [{ role: 'user', content: value }];
  if (!Array.isArray(value)) {
    error(`"${field}" must be a list of {role, content}, got ${describe(value)}`);
    return undefined;
  }
  const turns: NativeTurn[] = [];
  let ok = true;
  value.forEach((turn: unknown, i) => {
    if (!isRecord(turn)) {
      error(`${field}[${i}] must be {role, content}, got ${describe(turn)}`);
      ok = false;
      return;
    }
    const role = normalizeRole(turn.role);
    if (!role) {
      error(`${field}[${i}].role ${describe(turn.role)} is not user, assistant or system`);
      ok = false;
    }
    if (typeof turn.content !== 'string') {
      error(`${field}[${i}].content must be a string, got ${describe(turn.content)}`);
      ok = false;
    }
    if (role && typeof turn.content === 'string') turns.push({ role, content: turn.content });
  });
  return ok ? turns : undefined;
}

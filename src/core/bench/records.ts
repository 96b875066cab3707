// Records as the benchmark pipeline carries them: native records (what importers produce and
// what the output file holds) and their Pair view (what prompts are built from), plus the
// counts the report needs after each step.

import type { Pair } from '../data/pair';
import type { NativeRecord, NativeRole } from '../data/importers/native-record';

/** A record with the Pair the LLM calls see; built once, so prompts are identical across steps. */
export interface BenchItem {
  record: NativeRecord;
  pair: Pair;
}

export function recordToPair(record: NativeRecord, file: string, line: number): Pair {
  return {
    userId: record.user_id,
    pairId: record.pair_id,
    context: record.context.map((t) => ({ role: t.role, content: t.content })),
    chosen: { role: 'assistant', content: record.chosen },
    rejected: { role: 'assistant', content: record.rejected },
    ...(record.split ? { split: record.split } : {}),
    ...(record.flip !== undefined ? { flip: record.flip } : {}),
    ...(record.demographics ? { demographics: record.demographics } : {}),
    ...(record.meta ? { meta: record.meta } : {}),
    source: { file, line, column: 1, endLine: line, endColumn: 1 },
  };
}

const ROLES = new Set(['user', 'assistant', 'system']);

export function pairToRecord(pair: Pair): NativeRecord {
  const r: NativeRecord = {
    user_id: pair.userId,
    pair_id: pair.pairId,
    context: pair.context.map((t) => ({
      role: (ROLES.has(t.role) ? t.role : 'user') as NativeRole,
      content: t.content,
    })),
    chosen: pair.chosen.content,
    rejected: pair.rejected.content,
  };
  if (pair.split) r.split = pair.split;
  if (pair.flip !== undefined) r.flip = pair.flip;
  if (pair.demographics) r.demographics = pair.demographics;
  if (pair.meta && typeof pair.meta === 'object' && !Array.isArray(pair.meta))
    r.meta = { ...(pair.meta as Record<string, unknown>) };
  return r;
}

export function toItems(records: readonly NativeRecord[], file = '<input>'): BenchItem[] {
  return records.map((record, i) => ({
    record,
    pair: recordToPair(record, file, typeof record.meta?.line === 'number' ? record.meta.line : i + 1),
  }));
}

export interface StepCounts {
  pairs: number;
  users: number;
  medianPairsPerUser: number;
  /** Share of pairs whose context holds more than one user turn. */
  multiTurnShare: number;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function isMultiTurn(record: NativeRecord): boolean {
  let users = 0;
  for (const t of record.context) if (t.role === 'user' && ++users > 1) return true;
  return false;
}

export function countItems(items: readonly { record: NativeRecord }[]): StepCounts {
  const perUser = new Map<string, number>();
  let multi = 0;
  for (const { record } of items) {
    perUser.set(record.user_id, (perUser.get(record.user_id) ?? 0) + 1);
    if (isMultiTurn(record)) multi++;
  }
  return {
    pairs: items.length,
    users: perUser.size,
    medianPairsPerUser: median([...perUser.values()]),
    multiTurnShare: items.length ? multi / items.length : 0,
  };
}

/** Keeps the items of users with at least `min` of them, in input order. */
export function filterUsers<T extends { record: NativeRecord }>(items: readonly T[], min: number): T[] {
  const perUser = new Map<string, number>();
  for (const { record } of items) perUser.set(record.user_id, (perUser.get(record.user_id) ?? 0) + 1);
  return items.filter((i) => perUser.get(i.record.user_id)! >= min);
}

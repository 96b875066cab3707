// One raw record (native, PersonalRewardBench row, or a YAML item) -> a Pair, or precise problems.
// A record that cannot be judged (no user, no responses, identical responses) is dropped with an
// error; a field that is merely odd (unknown split, flip not boolean) is ignored with a warning.

import type { Pair, Problem, SourceRange, Split, Turn } from './pair';
import { isRecord } from '../is-record';

const SPLIT_SYNONYMS: Record<string, Split> = {
  context: 'context',
  train: 'context',
  training: 'context',
  validation: 'validation',
  val: 'validation',
  valid: 'validation',
  dev: 'validation',
  test: 'test',
};

export function normalizeSplit(value: string): Split | undefined {
  return SPLIT_SYNONYMS[value.trim().toLowerCase()];
}

export interface RecordLocation {
  range: SourceRange;
  /** Position of a field's value in the source, when the reader can find it. */
  locate?: (field: string) => { line: number; column: number } | undefined;
  /** User id given outside the record (a YAML mapping key). */
  userId?: string;
  /** Used to derive a stable pair id when the record has none. */
  fallbackPairId: string;
}

export interface NormalizeResult {
  pair?: Pair;
  problems: Problem[];
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function normalizeRecord(raw: unknown, where: RecordLocation): NormalizeResult {
  const problems: Problem[] = [];
  const at = (field: string | undefined, message: string, severity: Problem['severity'] = 'error') => {
    const pos = (field && where.locate?.(field)) || { line: where.range.line, column: where.range.column };
    problems.push({ file: where.range.file, line: pos.line, column: pos.column, message, severity });
  };

  if (!isRecord(raw)) {
    at(undefined, `expected a preference pair (an object), found ${typeName(raw)}`);
    return { problems };
  }

  // user id: native `user_id`, camelCase `userId`, or the enclosing YAML key.
  let userId: string | undefined;
  const rawUser = raw.user_id ?? raw.userId ?? where.userId;
  if (rawUser === undefined || rawUser === null || rawUser === '') at(undefined, 'missing field "user_id"');
  else if (typeof rawUser === 'string' || typeof rawUser === 'number') userId = String(rawUser);
  else at('user_id', `"user_id" must be a string, found ${typeName(rawUser)}`);

  // pair id: native `pair_id`, the benchmark's `conversation_id`, else derived from file and position.
  let pairId = where.fallbackPairId;
  const rawPairId = raw.pair_id ?? raw.pairId ?? raw.conversation_id;
  if (rawPairId !== undefined && rawPairId !== null) {
    if (typeof rawPairId === 'string' || typeof rawPairId === 'number') pairId = String(rawPairId);
    else
      at(
        raw.pair_id !== undefined ? 'pair_id' : 'conversation_id',
        `pair id must be a string, found ${typeName(rawPairId)}; using "${pairId}"`,
        'warning',
      );
  }

  const context = readContext(raw.context, (m) => at('context', m));
  const chosen = readResponse('chosen', raw.chosen, (m) => at('chosen', m));
  const rejected = readResponse('rejected', raw.rejected, (m) => at('rejected', m));
  if (chosen && rejected && chosen.content.trim() === rejected.content.trim()) {
    at('rejected', '"chosen" and "rejected" are the same text: the pair says nothing about the user');
  }

  let split: Split | undefined;
  if (raw.split !== undefined && raw.split !== null && raw.split !== '') {
    if (typeof raw.split === 'string' && normalizeSplit(raw.split)) split = normalizeSplit(raw.split);
    else
      at(
        'split',
        `unknown split ${JSON.stringify(raw.split)} (expected context|validation|test or train|val|test); ` +
          'the pair will be split automatically',
        'warning',
      );
  }

  let flip: boolean | undefined;
  if (raw.flip !== undefined && raw.flip !== null) {
    if (typeof raw.flip === 'boolean') flip = raw.flip;
    else if (raw.flip === 0 || raw.flip === 1) flip = raw.flip === 1;
    else at('flip', `"flip" must be true or false, found ${typeName(raw.flip)}; ignored`, 'warning');
  }

  let demographics: Record<string, unknown> | undefined;
  if (raw.demographics !== undefined && raw.demographics !== null) {
    if (isRecord(raw.demographics)) demographics = raw.demographics;
    else
      at('demographics', `"demographics" must be an object, found ${typeName(raw.demographics)}; ignored`, 'warning');
  }

  // Keep the benchmark's extra columns instead of losing them.
  let meta: unknown = raw.meta;
  const extras: Record<string, unknown> = {};
  for (const key of ['turns', 'type', 'source']) if (raw[key] !== undefined) extras[key] = raw[key];
  if (Object.keys(extras).length)
    meta = isRecord(meta) ? { ...extras, ...meta } : meta === undefined ? extras : { ...extras, meta };

  const hasError = problems.some((p) => p.severity === 'error');
  if (hasError || userId === undefined || !context || !chosen || !rejected) return { problems };
  const pair: Pair = { userId, pairId, context, chosen, rejected, source: where.range };
  if (split) pair.split = split;
  if (flip !== undefined) pair.flip = flip;
  if (demographics) pair.demographics = demographics;
  if (meta !== undefined) pair.meta = meta;
  return { pair, problems };
}

function readTurn(v: unknown, defaultRole: string): Turn | string {
  if (typeof v === 'string') return { role: defaultRole, content: v };
  if (!isRecord(v)) return `expected a string or {role, content}, found ${typeName(v)}`;
  if (typeof v.content !== 'string') return `"content" must be a string, found ${typeName(v.content)}`;
  const role = v.role === undefined ? defaultRole : v.role;
  if (typeof role !== 'string') return `"role" must be a string, found ${typeName(role)}`;
  return {
    role: role === 'model' || role === 'gpt' || role === 'bot' ? 'assistant' : role === 'human' ? 'user' : role,
    content: v.content,
  };
}

function readContext(v: unknown, report: (m: string) => void): Turn[] | undefined {
  if (v === undefined || v === null) {
    report('missing field "context" (the conversation the responses answer)');
    return undefined;
  }
  if (typeof v === 'string') {
    if (!v.trim()) {
      report('"context" is empty');
      return undefined;
    }
    return [{ role: 'user', content: v }];
  }
  if (!Array.isArray(v)) {
    report(`"context" must be a list of {role, content} or a string, found ${typeName(v)}`);
    return undefined;
  }
  if (v.length === 0) {
    report('"context" is an empty list');
    return undefined;
  }
  const turns: Turn[] = [];
  for (let i = 0; i < v.length; i++) {
    const t = readTurn(v[i], 'user');
    if (typeof t === 'string') {
      report(`context turn ${i + 1}: ${t}`);
      return undefined;
    }
    turns.push(t);
  }
  return turns;
}

function readResponse(field: string, v: unknown, report: (m: string) => void): Turn | undefined {
  if (v === undefined || v === null) {
    report(`missing field "${field}"`);
    return undefined;
  }
  const t = readTurn(v, 'assistant');
  if (typeof t === 'string') {
    report(`"${field}": ${t}`);
    return undefined;
  }
  if (!t.content.trim()) {
    report(`"${field}" is an empty response`);
    return undefined;
  }
  return t;
}

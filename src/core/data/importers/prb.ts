// PersonalRewardBench rows -> native records.
// Row: `conversation_id`, `user_id`, `context` (list of {role, content}), `chosen` and `rejected`
// ({role, content} or a string), `split` (train | val | test), `flip`, `turns`, `type`.

import {
  ImportCollector,
  type ImportResult,
  type NativeRecord,
  SKIP_INVALID,
  describe,
  idString,
  isRecord,
  normalizeSplit,
  readTurns,
  responsePairError,
  responseText,
} from './native-record';
import { readRows, type RowsInput } from './rows';

export interface PrbImportOptions {
  /** Name used in problems; default `<prb>`. */
  file?: string;
}

/** Fields that become native fields; everything else on a row is kept in `meta`. */
const NATIVE_FIELDS = new Set([
  'conversation_id',
  'pair_id',
  'user_id',
  'context',
  'chosen',
  'rejected',
  'split',
  'flip',
  'demographics',
]);

export function importPrb(input: RowsInput, options: PrbImportOptions = {}): ImportResult {
  const file = options.file ?? '<prb>';
  const out = new ImportCollector();
  const { rows, problems } = readRows(input, file);
  out.problems.push(...problems);
  out.skip(SKIP_INVALID, problems.filter((p) => p.severity === 'error').length);

  for (const { value: row, line, column } of rows) {
    const errors: string[] = [];
    const error = (message: string): void => {
      errors.push(message);
    };
    if (!isRecord(row)) {
      out.problem(file, line, column, `expected an object, got ${describe(row)}`);
      out.skip(SKIP_INVALID);
      continue;
    }
    const userId = idString(row.user_id);
    if (userId === undefined)
      error(
        row.user_id === undefined
          ? 'missing field "user_id"'
          : `"user_id" must be a non-empty string, got ${describe(row.user_id)}`,
      );
    const rawId = idString(row.conversation_id) ?? idString(row.pair_id);
    if (rawId === undefined) error('missing field "conversation_id"');
    const context = readTurns(row.context, 'context', error, true);
    const chosen = readResponse(row, 'chosen', error);
    const rejected = readResponse(row, 'rejected', error);
    if (chosen !== undefined && rejected !== undefined) {
      const why = responsePairError(chosen, rejected);
      if (why) error(why);
    }
    if (
      errors.length > 0 ||
      userId === undefined ||
      rawId === undefined ||
      context === undefined ||
      chosen === undefined ||
      rejected === undefined
    ) {
      out.problem(file, line, column, `${rowLabel(rawId)}${errors.join('; ')}`);
      out.skip(SKIP_INVALID);
      continue;
    }

    const record: NativeRecord = { user_id: userId, pair_id: '', context, chosen, rejected };
    const { id, renamed } = out.uniquePairId(rawId);
    record.pair_id = id;
    if (renamed)
      out.problem(file, line, column, `duplicate conversation_id "${rawId}": written as pair_id "${id}"`, 'warning');
    if (context.length === 0)
      out.problem(file, line, column, `${rowLabel(rawId)}empty context: the pair has no prompt`, 'warning');

    if (row.split !== undefined && row.split !== null) {
      const split = normalizeSplit(row.split);
      if (split) record.split = split;
      else
        out.problem(
          file,
          line,
          column,
          `${rowLabel(rawId)}unknown split ${describe(row.split)} (expected train, val or test): left unassigned`,
          'warning',
        );
    }
    if (row.flip !== undefined && row.flip !== null) {
      if (typeof row.flip === 'boolean') record.flip = row.flip;
      else if (row.flip === 0 || row.flip === 1) record.flip = row.flip === 1;
      else
        out.problem(
          file,
          line,
          column,
          `${rowLabel(rawId)}"flip" must be a boolean, got ${describe(row.flip)}: ignored`,
          'warning',
        );
    }
    if (isRecord(row.demographics)) record.demographics = row.demographics;
    const meta: Record<string, unknown> = { source: 'prb' };
    for (const [k, v] of Object.entries(row)) if (!NATIVE_FIELDS.has(k)) meta[k] = v;
    if (renamed) meta.conversation_id = rawId;
    record.meta = meta;
    out.records.push(record);
  }
  return out.result();
}

function rowLabel(id: string | undefined): string {
  return id === undefined ? '' : `conversation "${id}": `;
}

function readResponse(
  row: Record<string, unknown>,
  field: 'chosen' | 'rejected',
  error: (m: string) => void,
): string | undefined {
  const value = row[field];
  if (value === undefined || value === null) {
    error(`missing field "${field}"`);
    return undefined;
  }
  const text = responseText(value);
  if (text === undefined) error(`"${field}" must be a string or {role, content}, got ${describe(value)}`);
  return text;
}

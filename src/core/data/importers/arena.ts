// Chatbot Arena conversations -> native records.
// Row (JSONL, or one JSON array): `question_id`, `model_a`, `model_b`, `winner`
// (model_a | model_b | tie | tie (bothbad)), `judge` (the user id), `conversation_a`,
// `conversation_b` (lists of {role, content}), `turn`, `language`, `tstamp`.
//
// Multi-turn context. In the Arena the user's prompts go to both models, so the two
// conversations share their user turns and diverge from the first assistant turn on; the vote
// is cast once, on the two conversations as wholes. No single context is exact for both final
// answers: each was written after its own model's earlier replies. We take the WINNER's
// conversation up to and including the last user turn as the context (what the PersonalRewardBench
// reference does), so the chosen response is shown exactly as the user read it, and the loser's
// earlier replies are kept in `meta.rejected_history` so nothing the user saw is lost. When the
// two conversations' user turns differ (they should not), a warning says so.

import {
  ImportCollector,
  type ImportResult,
  type NativeRecord,
  type NativeTurn,
  SKIP_INVALID,
  describe,
  idString,
  isRecord,
  readTurns,
  responsePairError,
} from './native-record';
import { readRows, type RowsInput } from './rows';

export interface ArenaImportOptions {
  /** Name used in problems; default `<arena>`. */
  file?: string;
}

/** Row fields copied into `meta` as they are. */
const META_FIELDS = ['question_id', 'model_a', 'model_b', 'winner', 'turn', 'language', 'tstamp', 'anony'];

export function importArena(input: RowsInput, options: ArenaImportOptions = {}): ImportResult {
  const file = options.file ?? '<arena>';
  const out = new ImportCollector();
  const { rows, problems } = readRows(input, file);
  out.problems.push(...problems);
  out.skip(SKIP_INVALID, problems.filter((p) => p.severity === 'error').length);

  for (const { value: row, line, column } of rows) {
    if (!isRecord(row)) {
      out.problem(file, line, column, `expected an object, got ${describe(row)}`);
      out.skip(SKIP_INVALID);
      continue;
    }
    const errors: string[] = [];
    const error = (message: string): void => {
      errors.push(message);
    };
    const rawId = idString(row.question_id);
    const label = rawId === undefined ? '' : `question "${rawId}": `;

    const winner = typeof row.winner === 'string' ? row.winner.trim() : undefined;
    if (winner !== undefined && winner.startsWith('tie')) {
      // "tie" and "tie (bothbad)": the user stated no preference.
      out.skip(winner === 'tie' ? 'tie' : winner);
      continue;
    }
    if (winner !== 'model_a' && winner !== 'model_b') {
      error(
        row.winner === undefined
          ? 'missing field "winner"'
          : `"winner" must be model_a, model_b, tie or tie (bothbad), got ${describe(row.winner)}`,
      );
    }
    const userId = idString(row.judge);
    if (userId === undefined)
      error(
        row.judge === undefined
          ? 'missing field "judge" (the user id)'
          : `"judge" must be a non-empty string, got ${describe(row.judge)}`,
      );
    const convA = readTurns(row.conversation_a, 'conversation_a', error);
    const convB = readTurns(row.conversation_b, 'conversation_b', error);
    const a = convA && splitFinal(convA, 'conversation_a', error);
    const b = convB && splitFinal(convB, 'conversation_b', error);

    if (errors.length > 0 || !a || !b || userId === undefined || (winner !== 'model_a' && winner !== 'model_b')) {
      out.problem(file, line, column, `${label}${errors.join('; ')}`);
      out.skip(SKIP_INVALID);
      continue;
    }
    const [win, lose] = winner === 'model_a' ? [a, b] : [b, a];
    const why = responsePairError(win.final, lose.final);
    if (why) {
      out.problem(file, line, column, `${label}${why}`);
      out.skip(SKIP_INVALID);
      continue;
    }
    if (!sameUserTurns(a.context, b.context)) {
      out.problem(
        file,
        line,
        column,
        `${label}the user turns of conversation_a and conversation_b differ; the winner's conversation is used as context`,
        'warning',
      );
    }

    let id = rawId;
    if (id === undefined) {
      id = `arena-line-${line}`;
      out.problem(file, line, column, `missing field "question_id": pair_id "${id}" derived from the line`, 'warning');
    }
    const unique = out.uniquePairId(id);
    if (unique.renamed)
      out.problem(file, line, column, `duplicate question_id "${id}": written as pair_id "${unique.id}"`, 'warning');

    const meta: Record<string, unknown> = { source: 'arena' };
    for (const k of META_FIELDS) if (row[k] !== undefined) meta[k] = row[k];
    const modelA = row.model_a;
    const modelB = row.model_b;
    meta.chosen_model = winner === 'model_a' ? modelA : modelB;
    meta.rejected_model = winner === 'model_a' ? modelB : modelA;
    const loserReplies = lose.context.filter((t) => t.role === 'assistant');
    if (loserReplies.length > 0) meta.rejected_history = lose.context;

    const record: NativeRecord = {
      user_id: userId,
      pair_id: unique.id,
      context: win.context,
      chosen: win.final,
      rejected: lose.final,
      meta,
    };
    out.records.push(record);
  }
  return out.result();
}

interface Split {
  context: NativeTurn[];
  final: string;
}

/** The conversation before its final assistant message (ending on a user turn), and that message. */
function splitFinal(conv: NativeTurn[], field: string, error: (m: string) => void): Split | undefined {
  const last = conv[conv.length - 1];
  if (!last) {
    error(`${field} is empty`);
    return undefined;
  }
  if (last.role !== 'assistant') {
    error(`${field} does not end with an assistant message`);
    return undefined;
  }
  const context = conv.slice(0, -1);
  if (context[context.length - 1]?.role !== 'user') {
    error(`${field} has no user turn before its final assistant message`);
    return undefined;
  }
  return { context, final: last.content };
}

function sameUserTurns(a: NativeTurn[], b: NativeTurn[]): boolean {
  const ua = a.filter((t) => t.role === 'user').map((t) => t.content.trim());
  const ub = b.filter((t) => t.role === 'user').map((t) => t.content.trim());
  return ua.length === ub.length && ua.every((c, i) => c === ub[i]);
}

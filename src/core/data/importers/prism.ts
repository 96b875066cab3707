// PRISM `conversations` (+ `survey`) -> native records.
// Conversation row: `conversation_id`, `user_id`, `conversation_type`, `conversation_history`: a list
// of turns `{role: 'user' | 'model', content, model_name, score, if_chosen, within_turn_id, turn}`.
// In each turn the user saw several model responses, rated them and continued with the one marked
// `if_chosen`. For every turn: the chosen response vs each other response of that turn gives one
// pair; the context is the conversation so far (the user turns and the chosen response of each
// earlier turn, i.e. what the user actually continued from) plus this turn's user message.
// Survey row: `user_id` + demographic fields (age, gender, education, employment_status,
// marital_status, religion, ethnicity, location, self_description, stated_prefs...), joined on
// `user_id` into `demographics`.

import {
  ImportCollector,
  type ImportResult,
  type NativeTurn,
  SKIP_INVALID,
  describe,
  idString,
  isRecord,
  normalizeRole,
  responsePairError,
} from './native-record';
import { readRows, type RowsInput } from './rows';

export interface PrismImportOptions {
  /** Name of the conversations input in problems; default `<prism conversations>`. */
  file?: string;
  /** Name of the survey input in problems; default `<prism survey>`. */
  surveyFile?: string;
  /** Survey fields to keep as demographics; default all but bookkeeping ({@link SURVEY_BOOKKEEPING}). */
  demographicFields?: readonly string[];
}

/** Survey fields about the study rather than the person; left out of demographics by default. */
export const SURVEY_BOOKKEEPING: readonly string[] = [
  'user_id',
  'survey_only',
  'num_completed_conversations',
  'consent',
  'consent_age',
  'study_id',
  'generated_datetime',
  'timing_duration_s',
  'timing_duration_mins',
  'included_in_US_REP',
  'included_in_UK_REP',
  'included_in_balanced_subset',
  'order_lm_usecases',
  'order_stated_prefs',
];

interface HistoryItem {
  role: 'user' | 'assistant' | 'system';
  content: string;
  turn: number;
  chosen: boolean;
  modelName?: unknown;
  score?: unknown;
  withinTurnId?: unknown;
  index: number;
}

export function importPrism(
  conversations: RowsInput,
  survey?: RowsInput,
  options: PrismImportOptions = {},
): ImportResult {
  const file = options.file ?? '<prism conversations>';
  const surveyFile = options.surveyFile ?? '<prism survey>';
  const out = new ImportCollector();
  const demographics =
    survey === undefined ? undefined : readSurvey(survey, surveyFile, options.demographicFields, out);
  const { rows, problems } = readRows(conversations, file);
  out.problems.push(...problems);
  out.skip(SKIP_INVALID, problems.filter((p) => p.severity === 'error').length);
  // user -> [first line, first column, pairs] for users the survey does not know.
  const unsurveyed = new Map<string, { line: number; column: number; pairs: number }>();
  for (const { value: row, line, column } of rows) {
    const conv = readConversation(row, { out, file, line, column });
    if (!conv) continue;
    const userDemo = demographics?.get(conv.userId);
    const made = conversationPairs(conv, userDemo, { out, file, line, column });
    if (demographics && !userDemo && made > 0) {
      const u = unsurveyed.get(conv.userId);
      if (u) u.pairs += made;
      else unsurveyed.set(conv.userId, { line, column, pairs: made });
    }
  }
  if (survey === undefined) {
    if (out.records.length > 0) out.problem(file, 1, 1, 'no survey given: the records have no demographics', 'warning');
  } else warnUnsurveyed(unsurveyed, file, out);
  return out.result();
}

/** Where a conversation row is, for its problems. */
interface RowPlace {
  out: ImportCollector;
  file: string;
  line: number;
  column: number;
}

interface Conversation {
  row: Record<string, unknown>;
  convId: string;
  userId: string;
  /** `conversation "ID": `, the prefix of its problems. */
  label: string;
  history: HistoryItem[];
}

/** A conversation row's ids and history; undefined (with a problem) when the row is malformed. */
function readConversation(row: unknown, at: RowPlace): Conversation | undefined {
  const { out, file, line, column } = at;
  if (!isRecord(row)) {
    out.problem(file, line, column, `expected an object, got ${describe(row)}`);
    out.skip(SKIP_INVALID);
    return undefined;
  }
  const errors: string[] = [];
  const convId = idString(row.conversation_id);
  const label = convId === undefined ? '' : `conversation "${convId}": `;
  const userId = idString(row.user_id);
  if (convId === undefined) errors.push('missing field "conversation_id"');
  if (userId === undefined)
    errors.push(
      row.user_id === undefined
        ? 'missing field "user_id"'
        : `"user_id" must be a non-empty string, got ${describe(row.user_id)}`,
    );
  const history = readHistory(row.conversation_history, errors);
  if (errors.length > 0 || convId === undefined || userId === undefined || history === undefined) {
    out.problem(file, line, column, `${label}${errors.join('; ')}`);
    out.skip(SKIP_INVALID);
    return undefined;
  }
  return { row, convId, userId, label, history };
}

/**
 * The pairs of a conversation, turn by turn, following the chosen response of each turn; a turn that cannot
 * be followed ends the conversation. Returns the number of records made.
 */
function conversationPairs(conv: Conversation, userDemo: Record<string, unknown> | undefined, at: RowPlace): number {
  const { out } = at;
  const before = out.records.length;
  const context: NativeTurn[] = [];
  const turns = groupTurns(conv.history);
  for (let t = 0; t < turns.length; t++) {
    const { turn, items } = turns[t]!;
    const here = `${conv.label}turn ${turn}: `;
    const later = t < turns.length - 1 ? '; this and later turns skipped' : '';
    const stop = (message: string) => {
      out.problem(at.file, at.line, at.column, `${here}${message}${later}`);
      out.skip(SKIP_INVALID);
    };
    const userItems = items.filter((i) => i.role !== 'assistant');
    const responses = items.filter((i) => i.role === 'assistant');
    const users = userItems.filter((i) => i.role === 'user').length;
    if (users !== 1) {
      stop(users === 0 ? 'no user message' : 'more than one user message');
      break;
    }
    context.push(...userItems.map((i) => ({ role: i.role, content: i.content })));
    const chosen = responses.filter((r) => r.chosen);
    if (chosen.length > 1) {
      stop(`${chosen.length} responses are marked if_chosen`);
      break;
    }
    const best = chosen[0];
    if (!best) {
      unchosenTurn(responses.length, t < turns.length - 1, here, at);
      break;
    }
    turnPairs(conv, { turn, here, best, responses, context, userDemo }, at);
    context.push({ role: 'assistant', content: best.content });
  }
  return out.records.length - before;
}

/** A turn without a chosen response: counted; when later turns exist, they cannot be followed (a warning). */
function unchosenTurn(responses: number, laterTurns: boolean, here: string, at: RowPlace): void {
  if (responses === 0) at.out.skip('turn without a model response');
  else at.out.skip('turn without a chosen response');
  if (laterTurns)
    at.out.problem(
      at.file,
      at.line,
      at.column,
      `${here}no response is marked if_chosen, so the conversation cannot be followed; later turns skipped`,
      'warning',
    );
}

/** The chosen response of a turn against each other response of it: one record each. */
function turnPairs(
  conv: Conversation,
  t: {
    turn: number;
    here: string;
    best: HistoryItem;
    responses: HistoryItem[];
    context: NativeTurn[];
    userDemo: Record<string, unknown> | undefined;
  },
  at: RowPlace,
): void {
  const { out, file, line, column } = at;
  const { best, here } = t;
  const others = t.responses.filter((r) => r !== best);
  if (others.length === 0) out.skip('turn with a single response');
  for (const other of others) {
    const why = responsePairError(best.content, other.content);
    if (why) {
      out.problem(
        file,
        line,
        column,
        `${here}${why} (${String(best.modelName)} vs ${String(other.modelName)}); pair skipped`,
      );
      out.skip(SKIP_INVALID);
      continue;
    }
    const rejectedKey = other.withinTurnId ?? other.index;
    const unique = out.uniquePairId(`${conv.convId}-t${t.turn}-${String(rejectedKey)}`);
    if (unique.renamed)
      out.problem(file, line, column, `${here}duplicate pair id: written as "${unique.id}"`, 'warning');
    out.records.push({
      user_id: conv.userId,
      pair_id: unique.id,
      context: t.context.slice(),
      chosen: best.content,
      rejected: other.content,
      ...(t.userDemo ? { demographics: t.userDemo } : {}),
      meta: pairMeta(conv, t.turn, best, other),
    });
  }
}

function pairMeta(conv: Conversation, turn: number, best: HistoryItem, other: HistoryItem): Record<string, unknown> {
  const meta: Record<string, unknown> = { source: 'prism', conversation_id: conv.convId, turn };
  if (conv.row.conversation_type !== undefined) meta.conversation_type = conv.row.conversation_type;
  meta.chosen_model = best.modelName ?? null;
  meta.rejected_model = other.modelName ?? null;
  if (best.score !== undefined) meta.chosen_score = best.score;
  if (other.score !== undefined) meta.rejected_score = other.score;
  if (best.withinTurnId !== undefined) meta.chosen_within_turn_id = best.withinTurnId;
  if (other.withinTurnId !== undefined) meta.rejected_within_turn_id = other.withinTurnId;
  return meta;
}

/** One warning for the users the survey does not know, at the first one's row. */
function warnUnsurveyed(
  unsurveyed: Map<string, { line: number; column: number; pairs: number }>,
  file: string,
  out: ImportCollector,
): void {
  if (unsurveyed.size === 0) return;
  const first = unsurveyed.values().next().value!;
  const pairs = [...unsurveyed.values()].reduce((n, u) => n + u.pairs, 0);
  const names = [...unsurveyed.keys()]
    .slice(0, 5)
    .map((u) => `"${u}"`)
    .join(', ');
  out.problem(
    file,
    first.line,
    first.column,
    `${unsurveyed.size} user${unsurveyed.size === 1 ? '' : 's'} (${pairs} pair${pairs === 1 ? '' : 's'}) ` +
      `not in the survey, so without demographics: ${names}${unsurveyed.size > 5 ? ', ...' : ''}`,
    'warning',
  );
}

function readSurvey(
  survey: RowsInput,
  surveyFile: string,
  fields: readonly string[] | undefined,
  out: ImportCollector,
): Map<string, Record<string, unknown>> {
  const byUser = new Map<string, Record<string, unknown>>();
  const { rows, problems } = readRows(survey, surveyFile);
  out.problems.push(...problems);
  const keep = fields ? new Set(fields) : undefined;
  const drop = new Set(SURVEY_BOOKKEEPING);
  for (const { value: row, line, column } of rows) {
    if (!isRecord(row)) {
      out.problem(surveyFile, line, column, `expected an object, got ${describe(row)}`);
      continue;
    }
    const userId = idString(row.user_id);
    if (userId === undefined) {
      out.problem(
        surveyFile,
        line,
        column,
        row.user_id === undefined
          ? 'missing field "user_id"'
          : `"user_id" must be a non-empty string, got ${describe(row.user_id)}`,
      );
      continue;
    }
    if (byUser.has(userId)) {
      out.problem(
        surveyFile,
        line,
        column,
        `duplicate survey row for user "${userId}": the first one is used`,
        'warning',
      );
      continue;
    }
    const demo: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (v === null || v === undefined) continue;
      if (keep ? keep.has(k) && k !== 'user_id' : !drop.has(k)) demo[k] = v;
    }
    byUser.set(userId, demo);
  }
  return byUser;
}

function readHistory(value: unknown, errors: string[]): HistoryItem[] | undefined {
  if (value === undefined || value === null) {
    errors.push('missing field "conversation_history"');
    return undefined;
  }
  if (!Array.isArray(value)) {
    errors.push(`"conversation_history" must be a list of turns, got ${describe(value)}`);
    return undefined;
  }
  const items: HistoryItem[] = [];
  // Turn numbers when an item has none: a user message after model responses starts a new turn.
  let inferred = 0;
  let sawResponse = false;
  value.forEach((item: unknown, index) => {
    const where = `conversation_history[${index}]`;
    if (!isRecord(item)) {
      errors.push(`${where} must be an object, got ${describe(item)}`);
      return;
    }
    const role = normalizeRole(item.role);
    if (!role) errors.push(`${where}.role ${describe(item.role)} is not user or model`);
    if (typeof item.content !== 'string')
      errors.push(`${where}.content must be a string, got ${describe(item.content)}`);
    if (role === 'user' && sawResponse) {
      inferred++;
      sawResponse = false;
    }
    if (role === 'assistant') sawResponse = true;
    let turn = inferred;
    if (typeof item.turn === 'number' && Number.isInteger(item.turn)) turn = item.turn;
    else if (item.turn !== undefined && item.turn !== null)
      errors.push(`${where}.turn must be an integer, got ${describe(item.turn)}`);
    if (!role || typeof item.content !== 'string') return;
    items.push({
      role,
      content: item.content,
      turn,
      chosen:
        role === 'assistant' &&
        (item.if_chosen === true || item.if_chosen === 'true' || item.if_chosen === 'True' || item.if_chosen === 1),
      modelName: item.model_name ?? undefined,
      score: item.score ?? undefined,
      withinTurnId: item.within_turn_id ?? undefined,
      index,
    });
  });
  if (value.length === 0) errors.push('"conversation_history" is empty');
  return errors.length > 0 ? undefined : items;
}

/** Items grouped by turn number, turns in increasing order, items in file order. */
function groupTurns(items: HistoryItem[]): { turn: number; items: HistoryItem[] }[] {
  const byTurn = new Map<number, HistoryItem[]>();
  for (const item of items) {
    const list = byTurn.get(item.turn);
    if (list) list.push(item);
    else byTurn.set(item.turn, [item]);
  }
  return [...byTurn.keys()].sort((a, b) => a - b).map((turn) => ({ turn, items: byTurn.get(turn)! }));
}

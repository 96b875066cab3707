// The `reward-model` methods (issue 24): a served reward model scores each response on its own, and the higher
// score wins. A pointwise scorer sees one response at a time, so the order of a pair means nothing to it: each
// pair costs two calls (chosen, rejected), not two orders of a judge, and both orders of the run file's verdict
// carry the same outcome, marked `pointwise`, so that the statistics (which take pairs as their unit) and every
// reader of run files keep working. Equal scores are a tie: counted wrong, and counted apart.
//
// The scored conversation is the one a trainer sees in `export --as preference-data` (workspace/preference-data.ts):
// the pair's context, then the response as the assistant's turn; `reward-model+persona` puts the persona first as a
// system message (prepended to a conversation's own system message, since many chat templates take one only).
// The persona alone, not the demonstrations: a Bradley-Terry reward model trained on persona-prefixed pairs reads
// no few-shot examples, and the demonstrations would make the input unlike anything it was trained on.
import type { ChatMessage } from '../llm/types';
import type { RewardModel } from '../llm/reward-client';
import type { Pair, Turn } from '../data/pair';
import { chosenLabel, type Order } from './render';
import { isFatal, type OrderVerdict, type PairVerdict } from './judge';
import type { RewardRecord } from './reward-record';

export type RewardMethod = 'reward-model' | 'reward-model+persona';

const roleOf = (t: Turn): ChatMessage['role'] => (t.role === 'system' || t.role === 'assistant' ? t.role : 'user');

/** The conversation the reward model scores: [persona] + the pair's context + one response as the assistant's turn. */
export function rewardMessages(pair: Pair, response: 'chosen' | 'rejected', persona?: string): ChatMessage[] {
  const messages: ChatMessage[] = pair.context.map((t) => ({ role: roleOf(t), content: t.content }));
  const text = persona?.trim();
  if (text) {
    if (messages[0]?.role === 'system') messages[0] = { role: 'system', content: `${text}\n\n${messages[0].content}` };
    else messages.unshift({ role: 'system', content: text });
  }
  messages.push({ role: 'assistant', content: pair[response].content });
  return messages;
}

/** The verdict of one order from the two scores: the same outcome in both orders (pointwise). */
function orderOf(order: Order, record: RewardRecord): OrderVerdict {
  const tie = record.margin === 0;
  const other = chosenLabel(order) === 'A' ? 'B' : 'A';
  const preference = tie ? null : record.margin > 0 ? chosenLabel(order) : other;
  const shownFirst = order === 'AB' ? record.calls?.chosen : record.calls?.rejected;
  return {
    order,
    preference,
    correct: !tie && record.margin > 0,
    reasoning: `reward: chosen ${record.chosen}, rejected ${record.rejected} (margin ${record.margin})`,
    ...(tie ? { noDecision: 'tie' as const } : {}),
    ...(shownFirst ? { call: shownFirst } : {}),
    reward: record,
    pointwise: true,
  };
}

/** A failed scoring call: no answer, so neither right nor wrong (the pair is scored again on a re-run). */
function failedOrder(order: Order, error: string): OrderVerdict {
  return { order, preference: null, correct: false, reasoning: '', error, failed: true, pointwise: true };
}

/**
 * Scores a pair's chosen and rejected responses (two calls) and returns its verdict. A failure that ends the
 * run (server down, no such endpoint, no classification head) is thrown; any other makes the pair a failed one.
 */
export async function rewardPair(
  rm: RewardModel,
  pair: Pair,
  opts: { persona?: string; signal?: AbortSignal },
): Promise<PairVerdict> {
  const at = { userId: pair.userId, pairId: pair.pairId, file: pair.source.file, line: pair.source.line };
  try {
    const [chosen, rejected] = await Promise.all([
      rm.score(rewardMessages(pair, 'chosen', opts.persona), opts.signal),
      rm.score(rewardMessages(pair, 'rejected', opts.persona), opts.signal),
    ]);
    const record: RewardRecord = {
      chosen: chosen.score,
      rejected: rejected.score,
      margin: chosen.score - rejected.score,
      calls: { chosen: chosen.key, rejected: rejected.key },
    };
    return { ...at, orders: [orderOf('AB', record), orderOf('BA', record)] };
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    const message = (err as Error).message;
    return { ...at, orders: [failedOrder('AB', message), failedOrder('BA', message)] };
  }
}

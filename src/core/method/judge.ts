// Judging a pair in both orders. Each order is one 0/1 sample; a tie or an unparseable answer (one
// the model gave that is neither A nor B) counts as wrong, as the paper counts it (METHOD.md section
// 4). A failed call (a server error, a timeout, a refusal) is no answer at all: it is marked
// `failed`, never scored, and the run that holds it is incomplete until it is judged again.
// Failures that make every later call pointless (server down, bad key, model missing) stop the run,
// and so does a prompt longer than the server's context: the model never saw it.

import type { ChatModel, ChatResult } from '../llm/types';
import type { Pair } from '../data/pair';
import { BOOTSTRAP_SCHEMA, JUDGMENT_SCHEMA } from './schemas';
import { answerObject } from './answer-object';
import { judgeMessages } from './messages';
import { chosenLabel, type Order } from './render';

export interface OrderVerdict {
  order: Order;
  /** What the model answered, null when it gave no usable answer. */
  preference: 'A' | 'B' | null;
  correct: boolean;
  reasoning: string;
  /** A reasoning model's thinking before its answer, kept apart from the reasoning it gave. */
  thinking?: string;
  error?: string;
  /** The call failed: no answer, so neither right nor wrong (the pair is judged again on a re-run). */
  failed?: true;
}

/** The error of an answer that holds no A/B preference: unparseable, which counts as wrong. */
export const NO_PREFERENCE = 'no A/B preference in the answer';

/**
 * Whether an order's call failed. Run files written before `failed` existed recorded a failed call as
 * an order without preference whose error is the call's: those count as failed too.
 */
export function orderFailed(o: OrderVerdict): boolean {
  return o.failed === true || (o.preference === null && o.error !== undefined && o.error !== NO_PREFERENCE);
}

/** Whether a pair has an order whose call failed: not a verdict to score or keep. */
export function pairFailed(v: PairVerdict): boolean {
  return v.orders.some(orderFailed);
}

/** An answer that was given but names neither A nor B (a tie, prose, broken JSON). */
export function orderUnparseable(o: OrderVerdict): boolean {
  return o.preference === null && !orderFailed(o);
}

export interface PairVerdict {
  userId: string;
  pairId: string;
  file: string;
  line: number;
  orders: [OrderVerdict, OrderVerdict];
}

export interface CallOptions {
  temperature: number;
  seed?: number;
  signal?: AbortSignal;
}

const FATAL_KINDS = new Set(['connection', 'auth', 'quota', 'not-found', 'aborted', 'context-length']);

/** Errors after which no later call can succeed: they propagate and end the run. */
export function isFatal(err: unknown): boolean {
  const e = err as { kind?: string; name?: string; stopsRun?: boolean };
  return e?.name === 'AbortError' || e?.stopsRun === true || (typeof e?.kind === 'string' && FATAL_KINDS.has(e.kind));
}

/** Reads {reasoning, preference} from structured output, or tolerantly from plain text. */
export function readJudgment(result: Pick<ChatResult, 'json' | 'text'>): { preference: 'A' | 'B' | null; reasoning: string } {
  const obj = answerObject(result);
  const text = result.text ?? '';
  let pref: unknown = obj?.preference;
  if (typeof pref !== 'string') {
    const m = /"?preference"?\s*[:=]\s*"?\s*([AB])\b/i.exec(text) ?? /\b(?:prefer(?:s|red)?|answer|choice|winner)\s*(?:is|:)?\s*(?:response\s*)?\**\s*([AB])\b/i.exec(text);
    pref = m?.[1];
  }
  const p = typeof pref === 'string' ? pref.trim().toUpperCase() : '';
  const reasoning = typeof obj?.reasoning === 'string' ? obj.reasoning : text;
  return { preference: p === 'A' || p === 'B' ? p : null, reasoning };
}

export async function judgeOrder(model: ChatModel, system: string, pair: Pair, order: Order, opts: CallOptions & { purpose?: string }): Promise<OrderVerdict> {
  try {
    const result = await model.chat(
      {
        messages: judgeMessages(system, pair, order),
        schema: opts.purpose?.startsWith('bootstrap') ? BOOTSTRAP_SCHEMA : JUDGMENT_SCHEMA,
        temperature: opts.temperature,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        purpose: opts.purpose ?? 'judge',
        // One user's calls share the persona and demonstrations: keep them on one server's prefix cache.
        affinity: pair.userId,
      },
      opts.signal,
    );
    const { preference, reasoning } = readJudgment(result);
    return {
      order,
      preference,
      correct: preference === chosenLabel(order),
      reasoning,
      ...(result.thinking ? { thinking: result.thinking } : {}),
      ...(preference ? {} : { error: NO_PREFERENCE }),
    };
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    return { order, preference: null, correct: false, reasoning: '', error: (err as Error).message, failed: true };
  }
}

export async function judgePair(model: ChatModel, system: string, pair: Pair, opts: CallOptions): Promise<PairVerdict> {
  const [ab, ba] = await Promise.all([judgeOrder(model, system, pair, 'AB', opts), judgeOrder(model, system, pair, 'BA', opts)]);
  return { userId: pair.userId, pairId: pair.pairId, file: pair.source.file, line: pair.source.line, orders: [ab, ba] };
}

/** Which response won in an order: 'chosen', 'rejected', or null when there was no answer. */
export function winnerOf(v: OrderVerdict): 'chosen' | 'rejected' | null {
  if (!v.preference) return null;
  return v.preference === chosenLabel(v.order) ? 'chosen' : 'rejected';
}

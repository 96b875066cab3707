// Judging a pair in both orders. Each order is one 0/1 sample; a tie or an unparseable answer (one
// the model gave that is neither A nor B) counts as wrong, as the paper counts it (METHOD.md section
// 4). A failed call (a server error, a timeout, a refusal) is no answer at all: it is marked
// `failed`, never scored, and the run that holds it is incomplete until it is judged again.
// Failures that make every later call pointless (server down, bad key, model missing) stop the run,
// and so does a prompt longer than the server's context: the model never saw it.

import type { ChatMessage, ChatModel, ChatResult } from '../llm/types';
import { objectsHolding } from '../llm/tolerant-json';
import { statedChoice } from '../llm/stated-choice';
import type { Pair } from '../data/pair';
import { BOOTSTRAP_SCHEMA, JUDGMENT_SCHEMA } from './schemas';
import { answerObject } from './answer-object';
import { chatWhole } from './whole-answer';
import { judgeMessages } from './messages';
import { chosenLabel, type Order } from './render';
import { majorityOf, NO_MAJORITY, sampleSeed, type OrderSample } from './samples';
import type { NoDecision, RubricRecord } from './rubric-record';
import type { RewardRecord } from './reward-record';

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
  /**
   * The response cache's key of the call (ChatResult.cacheKey): the transcript (messages sent, raw answer, tokens,
   * latency) is read from the cache under it rather than copied into the run file. Absent in older runs.
   */
  call?: string;
  /** A rubric method's criteria, scores and weighted sums (rubric.ts); absent for the letter-verdict methods. */
  rubric?: RubricRecord;
  /** A rubric answer that decided nothing: equal sums, or unreadable scores. Counted wrong, and reported apart. */
  noDecision?: NoDecision;
  /** With `--samples k`: each sample's answer and call; `preference` is their majority (samples.ts). */
  samples?: OrderSample[];
  /** A reward-model verdict's two scores and margin (reward.ts); absent for the judging methods. */
  reward?: RewardRecord;
  /** Scored response by response (reward.ts): both orders carry the same outcome; order does not apply. */
  pointwise?: true;
}

/** The error of an answer that holds no A/B preference: unparseable, which counts as wrong. */
export const NO_PREFERENCE = 'no A/B preference in the answer';

/**
 * Whether an order's call failed. Run files written before `failed` existed recorded a failed call as
 * an order without preference whose error is the call's: those count as failed too.
 */
export function orderFailed(o: OrderVerdict): boolean {
  const answered = o.error === NO_PREFERENCE || o.error === NO_MAJORITY || o.noDecision !== undefined;
  return o.failed === true || (o.preference === null && o.error !== undefined && !answered);
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
  /** Judge each order this many times and take the majority (samples.ts); 1 or absent: one call. */
  samples?: number;
  /**
   * The verdict is the letter alone, no reasoning asked for: the system must come from judgeSystem(..., 'letter').
   * The request then names its two answers (ChatRequest.choice) instead of a JSON schema, and a server that can
   * constrain its output to them (vLLM) is asked to. Not for a bootstrap, whose reasoning becomes a demonstration.
   */
  letterOnly?: boolean;
}

/** A verdict's two possible answers. */
export const VERDICT_LETTERS: readonly ('A' | 'B')[] = ['A', 'B'];

const FATAL_KINDS = new Set(['connection', 'auth', 'quota', 'not-found', 'aborted', 'context-length']);

/** Errors after which no later call can succeed: they propagate and end the run. */
export function isFatal(err: unknown): boolean {
  const e = err as { kind?: string; name?: string; stopsRun?: boolean };
  return e?.name === 'AbortError' || e?.stopsRun === true || (typeof e?.kind === 'string' && FATAL_KINDS.has(e.kind));
}

/**
 * Reads {reasoning, preference} from structured output, or from plain text that states it unambiguously
 * (statedChoice). With the prompt the call sent, a verdict that the prompt already holds (an answer that
 * copies its input, or a ready-made verdict planted in the pair's text) is no answer: unparseable.
 */
export function readJudgment(
  result: Pick<ChatResult, 'json' | 'text'>,
  prompt?: readonly ChatMessage[],
): { preference: 'A' | 'B' | null; reasoning: string } {
  const obj = answerObject(result);
  const text = result.text ?? '';
  let pref: unknown = obj?.preference;
  if (typeof pref !== 'string') pref = statedChoice(text, ['A', 'B']);
  const p = typeof pref === 'string' ? pref.trim().toUpperCase() : '';
  const reasoning = typeof obj?.reasoning === 'string' ? obj.reasoning : text;
  const preference = p === 'A' || p === 'B' ? p : null;
  if (preference && prompt && echoesPrompt(text, obj, prompt)) return { preference: null, reasoning };
  return { preference, reasoning };
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Whether an answer's verdict is one the prompt holds: the whole answer, or an object with its preference and reasoning. */
export function echoesPrompt(
  text: string,
  obj: Record<string, unknown> | undefined,
  prompt: readonly ChatMessage[],
): boolean {
  const source = prompt.map((m) => m.content).join('\n');
  const answer = squash(text);
  if (answer.length >= 16 && squash(source).includes(answer)) return true;
  if (typeof obj?.preference !== 'string') return false;
  const same = (o: Record<string, unknown>) =>
    String(o['preference']).trim().toUpperCase() === String(obj.preference).trim().toUpperCase() &&
    squash(typeof o['reasoning'] === 'string' ? o['reasoning'] : '') ===
      squash(typeof obj.reasoning === 'string' ? obj.reasoning : '');
  return objectsHolding(source, 'preference').some(same);
}

/** A request's seed and sample index: the i-th sample of an order has its own seed and its own cache key. */
export function samplingOf(seed: number | undefined, sample: number | undefined): { seed?: number; sample?: number } {
  const s = sampleSeed(seed, sample);
  return { ...(s !== undefined ? { seed: s } : {}), ...(sample !== undefined ? { sample } : {}) };
}

async function judgeOnce(
  model: ChatModel,
  system: string,
  pair: Pair,
  order: Order,
  opts: CallOptions & { purpose?: string },
  sample?: number,
): Promise<OrderVerdict> {
  try {
    const messages = judgeMessages(system, pair, order);
    const bootstrap = opts.purpose?.startsWith('bootstrap') ?? false;
    const request = {
      messages,
      ...(opts.letterOnly && !bootstrap
        ? { choice: VERDICT_LETTERS }
        : { schema: bootstrap ? BOOTSTRAP_SCHEMA : JUDGMENT_SCHEMA }),
      temperature: opts.temperature,
      ...samplingOf(opts.seed, sample),
      purpose: opts.purpose ?? 'judge',
      // One user's calls share the persona and demonstrations: keep them on one server's prefix cache.
      affinity: pair.userId,
      // A batch line's custom_id names the pair, its order and its sample (batch-lines.ts).
      label: `${pair.pairId}.${order}${sample !== undefined ? `.s${sample}` : ''}`,
    };
    // A bootstrap reasoning may be kept as a demonstration: it must be whole (a cut one is a failed call).
    const result = bootstrap ? await chatWhole(model, request, opts.signal) : await model.chat(request, opts.signal);
    const { preference, reasoning } = readJudgment(result, messages);
    return {
      order,
      preference,
      correct: preference === chosenLabel(order),
      reasoning,
      ...(result.thinking ? { thinking: result.thinking } : {}),
      ...(preference ? {} : { error: NO_PREFERENCE }),
      ...(result.cacheKey ? { call: result.cacheKey } : {}),
    };
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    return { order, preference: null, correct: false, reasoning: '', error: (err as Error).message, failed: true };
  }
}

export async function judgeOrder(
  model: ChatModel,
  system: string,
  pair: Pair,
  order: Order,
  opts: CallOptions & { purpose?: string },
): Promise<OrderVerdict> {
  const k = opts.samples ?? 1;
  if (k <= 1) return judgeOnce(model, system, pair, order, opts);
  const draws = await Promise.all(Array.from({ length: k }, (_, i) => judgeOnce(model, system, pair, order, opts, i)));
  return aggregateSamples(order, draws);
}

/** k verdicts of one order as one: a failed sample fails the order (resumable); else the majority decides. */
export function aggregateSamples(order: Order, draws: readonly OrderVerdict[]): OrderVerdict {
  const failed = draws.filter((d) => d.failed);
  if (failed.length)
    return {
      order,
      preference: null,
      correct: false,
      reasoning: '',
      error: `${failed.length} of ${draws.length} samples failed: ${failed[0]!.error ?? 'failed'}`,
      failed: true,
      // Which samples failed: the run's failed calls count them (evaluate.ts failuresOf), not the order once.
      samples: draws.map((d) => ({ preference: d.preference, ...(d.failed ? { failed: true as const } : {}) })),
    };
  const samples: OrderSample[] = draws.map((d) => ({ preference: d.preference, ...(d.call ? { call: d.call } : {}) }));
  const preference = majorityOf(samples);
  // The verdict's reasoning and transcript are those of the first sample that gave the majority's answer.
  const shown = draws.find((d) => d.preference === preference) ?? draws[0]!;
  return {
    order,
    preference,
    correct: preference === chosenLabel(order),
    reasoning: shown.reasoning,
    ...(shown.thinking ? { thinking: shown.thinking } : {}),
    ...(preference ? {} : { error: NO_MAJORITY }),
    ...(shown.call ? { call: shown.call } : {}),
    samples,
  };
}

export async function judgePair(model: ChatModel, system: string, pair: Pair, opts: CallOptions): Promise<PairVerdict> {
  const [ab, ba] = await Promise.all([
    judgeOrder(model, system, pair, 'AB', opts),
    judgeOrder(model, system, pair, 'BA', opts),
  ]);
  return { userId: pair.userId, pairId: pair.pairId, file: pair.source.file, line: pair.source.line, orders: [ab, ba] };
}

/** Which response won in an order: 'chosen', 'rejected', or null when there was no answer. */
export function winnerOf(v: OrderVerdict): 'chosen' | 'rejected' | null {
  if (!v.preference) return null;
  return v.preference === chosenLabel(v.order) ? 'chosen' : 'rejected';
}

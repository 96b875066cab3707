// Rubric scoring (issue 24, item 1): the `rubric` and `rubric+persona` methods, after P-GenRM's prompt-only
// "persona-guided scoring induction". From a few of the user's context pairs the judge writes a persona (or is given
// the persona file's, for `rubric+persona`), weighted criteria for the pair's scenario, and a 1-10 score per
// criterion for each reply; the weighted sums decide. One call per order (k with `--samples k`), as every method.
//
// How answers count, as the paper counts them: only a strict win of the chosen reply is right. Equal sums are a
// tie and an answer that is no rubric (not JSON, scores missing or outside 1-10, lengths that disagree, every weight
// 0) is unreadable: both are answers counted wrong, each reported apart (noDecision). A failed call stays a failed
// call: no answer, judged again on a re-run.

import type { ChatModel, ChatResult } from '../llm/types';
import type { Pair } from '../data/pair';
import { answerObject } from './answer-object';
import {
  aggregateSamples,
  echoesPrompt,
  isFatal,
  samplingOf,
  type CallOptions,
  type OrderVerdict,
  type PairVerdict,
} from './judge';
import type { OrderSample } from './samples';
import { rubricMessages } from './messages';
import { presentationOrder } from './fit';
import { chosenLabel, type Demo, type Order } from './render';
import { RUBRIC_GIVEN_PERSONA_SCHEMA, RUBRIC_SCHEMA } from './schemas';
import type { RubricCriterion, RubricRecord } from './rubric-record';
import { isRecord } from '../is-record';

/** How many of the user's context pairs the judge reads, unless a setting or `--rubric-context` says otherwise. */
export const DEFAULT_RUBRIC_CONTEXT = 6;

/** A rubric answer as read: the persona the model wrote (`rubric` only), its criteria and both replies' scores. */
export interface RubricAnswer {
  persona?: string;
  criteria: RubricCriterion[];
  scores: { A: number[]; B: number[] };
}

export type RubricRead = { ok: true; answer: RubricAnswer } | { ok: false; why: string };

export interface RubricSums {
  /** The weighted mean of A's scores (weights normalised by their sum). */
  sumA: number;
  sumB: number;
  /** The higher sum's letter; 'tie' when they are equal. */
  outcome: 'A' | 'B' | 'tie';
}

/**
 * The decision of a rubric answer: each reply's weighted sum, weights normalised by their total, and the higher
 * one wins. Pure, so that a caller aggregating several samples (mean scores) decides the same way. The answer must
 * be a readable one (readRubric): equal lengths, a positive total weight.
 */
export function rubricSums(answer: Pick<RubricAnswer, 'criteria' | 'scores'>): RubricSums {
  const total = answer.criteria.reduce((n, c) => n + c.weight, 0);
  const sum = (scores: readonly number[]) => answer.criteria.reduce((n, c, i) => n + c.weight * scores[i]!, 0) / total;
  const sumA = sum(answer.scores.A);
  const sumB = sum(answer.scores.B);
  return { sumA, sumB, outcome: outcomeOf(sumA, sumB) };
}

/** The higher sum's letter. Sums of the same weights in another order differ by rounding only: a tie, not a win. */
function outcomeOf(sumA: number, sumB: number): RubricSums['outcome'] {
  return Math.abs(sumA - sumB) <= 1e-9 * Math.max(1, sumA, sumB) ? 'tie' : sumA > sumB ? 'A' : 'B';
}

const isScore = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 10;

function readCriteria(raw: unknown): RubricCriterion[] | string {
  if (!Array.isArray(raw) || !raw.length) return 'no criteria';
  const out: RubricCriterion[] = [];
  for (const [i, c] of raw.entries()) {
    const name = isRecord(c) && typeof c.name === 'string' ? c.name.trim() : '';
    const weight = isRecord(c) ? c.weight : undefined;
    if (!name) return `criterion ${i + 1} has no name`;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)
      return `criterion ${i + 1} has no non-negative weight`;
    out.push({ name, weight });
  }
  if (!out.some((c) => c.weight > 0)) return 'every weight is 0';
  return out;
}

function readScores(raw: unknown, n: number, letter: 'A' | 'B'): number[] | string {
  const list = isRecord(raw) ? raw[letter] : undefined;
  if (!Array.isArray(list)) return `no scores for ${letter}`;
  if (list.length !== n) return `${n} criteria but ${list.length} score(s) for ${letter}`;
  const bad = list.find((x) => !isScore(x));
  if (bad !== undefined) return `${letter} has a score of ${JSON.stringify(bad)}, not a whole number from 1 to 10`;
  return list as number[];
}

/** Reads a rubric answer's object; an answer that is no rubric says why. The persona is read only when not given. */
export function readRubric(obj: Record<string, unknown> | undefined, personaGiven: boolean): RubricRead {
  if (!obj) return { ok: false, why: 'not a JSON object' };
  const criteria = readCriteria(obj.criteria);
  if (typeof criteria === 'string') return { ok: false, why: criteria };
  const a = readScores(obj.scores, criteria.length, 'A');
  if (typeof a === 'string') return { ok: false, why: a };
  const b = readScores(obj.scores, criteria.length, 'B');
  if (typeof b === 'string') return { ok: false, why: b };
  const persona = !personaGiven && typeof obj.persona === 'string' ? obj.persona.trim() : undefined;
  return { ok: true, answer: { ...(persona ? { persona } : {}), criteria, scores: { A: a, B: b } } };
}

/** The user's first `n` context pairs as labelled demonstrations, each in its presentation order. */
export function rubricContext(context: readonly Pair[], n: number, seed: number): { pair: Pair; demo: Demo }[] {
  return context.slice(0, n).map((pair) => {
    const order = presentationOrder(pair, seed);
    return { pair, demo: { pairId: pair.pairId, order, reasoning: '', preference: chosenLabel(order) } };
  });
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** An order's verdict from a rubric call's answer. */
export function rubricVerdict(
  result: Pick<ChatResult, 'json' | 'text' | 'thinking' | 'cacheKey'>,
  messages: Parameters<typeof echoesPrompt>[2],
  order: Order,
  personaGiven: boolean,
): OrderVerdict {
  const text = result.text ?? '';
  const extra = {
    ...(result.thinking ? { thinking: result.thinking } : {}),
    ...(result.cacheKey ? { call: result.cacheKey } : {}),
  };
  // An answer the prompt already holds (a rubric planted in a pair's text, copied back) is no answer of the model's.
  const read = echoesPrompt(text, undefined, messages)
    ? ({ ok: false, why: 'the answer copies the prompt' } as const)
    : readRubric(answerObject(result), personaGiven);
  if (!read.ok)
    return {
      order,
      preference: null,
      correct: false,
      reasoning: text,
      error: `unreadable rubric: ${read.why}`,
      noDecision: 'unreadable',
      ...extra,
    };
  const { answer } = read;
  const { sumA, sumB, outcome } = rubricSums(answer);
  const rubric: RubricRecord = { criteria: answer.criteria, scores: answer.scores, sums: [round(sumA), round(sumB)] };
  const preference = outcome === 'tie' ? null : outcome;
  return {
    order,
    preference,
    correct: preference === chosenLabel(order),
    reasoning: answer.persona ?? '',
    ...(preference ? {} : { error: 'a tie: equal weighted sums', noDecision: 'tie' as const }),
    rubric,
    ...extra,
  };
}

async function rubricOnce(
  model: ChatModel,
  system: string,
  pair: Pair,
  order: Order,
  opts: CallOptions & { personaGiven: boolean },
  sample?: number,
): Promise<OrderVerdict> {
  try {
    const messages = rubricMessages(system, pair, order, opts.personaGiven);
    const request = {
      messages,
      schema: opts.personaGiven ? RUBRIC_GIVEN_PERSONA_SCHEMA : RUBRIC_SCHEMA,
      temperature: opts.temperature,
      ...samplingOf(opts.seed, sample),
      purpose: 'rubric',
      // One user's calls share the context pairs (and the persona): keep them on one server's prefix cache.
      affinity: pair.userId,
    };
    return rubricVerdict(await model.chat(request, opts.signal), messages, order, opts.personaGiven);
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    return { order, preference: null, correct: false, reasoning: '', error: (err as Error).message, failed: true };
  }
}

/** An order judged by rubric: one call, or with `samples` k calls whose scores are averaged (rubricSamples). */
export async function rubricOrder(
  model: ChatModel,
  system: string,
  pair: Pair,
  order: Order,
  opts: CallOptions & { personaGiven: boolean },
): Promise<OrderVerdict> {
  const k = opts.samples ?? 1;
  if (k <= 1) return rubricOnce(model, system, pair, order, opts);
  const draws = await Promise.all(Array.from({ length: k }, (_, i) => rubricOnce(model, system, pair, order, opts, i)));
  return rubricSamples(order, draws);
}

/**
 * k rubric verdicts of one order as one: the mean weighted sum of each reply over the samples whose rubric was
 * readable, and the higher mean wins (each sample may weigh its own criteria: the sums, not the scores, are
 * comparable). A failed sample fails the order (resumable); no readable sample is unreadable; equal means a tie.
 */
export function rubricSamples(order: Order, draws: readonly OrderVerdict[]): OrderVerdict {
  const failed = draws.filter((d) => d.failed);
  if (failed.length) return aggregateSamples(order, draws);
  const samples: OrderSample[] = draws.map((d) => ({
    preference: d.preference,
    ...(d.call ? { call: d.call } : {}),
    ...(d.rubric ? { sums: d.rubric.sums } : {}),
  }));
  const read = draws.filter((d) => d.rubric);
  if (!read.length) return { ...draws[0]!, samples };
  const mean = (i: 0 | 1) => read.reduce((n, d) => n + d.rubric!.sums[i], 0) / read.length;
  const [sumA, sumB] = [mean(0), mean(1)];
  const outcome = outcomeOf(sumA, sumB);
  const preference = outcome === 'tie' ? null : outcome;
  // The criteria and scores shown are those of a sample that decided as the mean did; the sums are the means.
  const shown = read.find((d) => d.preference === preference) ?? read[0]!;
  const { error: _e, noDecision: _n, ...rest } = shown;
  return {
    ...rest,
    preference,
    correct: preference === chosenLabel(order),
    ...(preference ? {} : { error: 'a tie: equal mean weighted sums', noDecision: 'tie' as const }),
    rubric: { ...shown.rubric!, sums: [round(sumA), round(sumB)] },
    samples,
  };
}

/** A pair judged by rubric in both orders (A,B and B,A), one call each. */
export async function rubricPair(
  model: ChatModel,
  system: string,
  pair: Pair,
  opts: CallOptions & { personaGiven: boolean },
): Promise<PairVerdict> {
  const [ab, ba] = await Promise.all([
    rubricOrder(model, system, pair, 'AB', opts),
    rubricOrder(model, system, pair, 'BA', opts),
  ]);
  return { userId: pair.userId, pairId: pair.pairId, file: pair.source.file, line: pair.source.line, orders: [ab, ba] };
}

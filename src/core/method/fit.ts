// Fitting a personal reward model (METHOD.md section 3): bootstrap verified reasonings,
// select a demonstration set on validation, synthesize a persona from it with Θ, then
// bootstrap and select demonstrations again with the persona judge.
//
// Cost: candidates are scored one after another, in chunks; a candidate is dropped as soon as
// it can no longer beat the best so far (ties go to the earlier one), and the search stops as
// soon as a candidate is certain to reach the stop score. Every decision depends only on the
// answers, so with the same answers (e.g. from the cache) a fit is deterministic.

import type { ChatModel, ChatRequest, ChatResult } from '../llm/types';
import { chatWhole } from './whole-answer';
import type { Pair } from '../data/pair';
import { createRng, hashString, shuffled } from '../random';
import { judgeOrder, isFatal, orderFailed, type CallOptions, type OrderVerdict } from './judge';
import { judgeSystem, personaSynthesisMessages } from './messages';
import { chosenLabel, type Demo, type Order } from './render';
import { PERSONA_SCHEMA } from './schemas';
import { answerObject } from './answer-object';
import type { Prompt } from './prompt-store';
import { UserError } from '../user-error';
import { copiedRuns, pairSources, type CopiedRun } from './copied-runs';

export interface FitOptions {
  temperature: number;
  seed: number;
  /** Number of random candidate subsets besides the full set (reference: 10). */
  k: number;
  /** First candidate reaching this validation accuracy wins (reference: 0.8). */
  stopScore: number;
  /**
   * The demo count (reference: max_labeled_demos = 4). It makes the labelled-only candidate (this many raw
   * context pairs with their labels), and every candidate with fewer verified demonstrations is topped up
   * with raw labelled pairs to this count. 0 turns both off. Absent: the default.
   */
  labeledDemos?: number;
  signal?: AbortSignal;
  onProgress?: (p: FitProgress) => void;
  /** Things a researcher should know about the fit that are not errors (a candidate left out, and why). */
  onNote?: (message: string) => void;
  /**
   * Score every candidate on every validation pair, as the reference does. The pruned search
   * picks the same winner (a pruned candidate could not have beaten the best, and one certain
   * to reach the stop score would have won); this exists to show that, and to measure the cost.
   */
  exhaustive?: boolean;
  /**
   * Batch mode (--batch): a selection asks for every candidate's every validation verdict at once, so that it is one
   * batch stage rather than one per chunk of each candidate. The search then runs on those answers and picks what
   * the pruned search picks live (it only reads fewer of them).
   */
  batched?: boolean;
}

/** The settings of a fit's search (what a replay of its first stage must repeat to come from the cache). */
export type FitKnobs = Pick<FitOptions, 'k' | 'stopScore' | 'labeledDemos'>;

/** What a job that fits many users (a benchmark, a Θ search) sets of every fit: its sampling, its search, batch mode. */
export type FitSettings = Pick<FitOptions, 'temperature' | 'seed' | 'k' | 'stopScore' | 'labeledDemos' | 'batched'>;

/** A job's fit settings, copied out of its wider options: the default demo count stays implied when it left it out. */
export function fitSettingsOf(o: FitSettings): FitSettings {
  return {
    temperature: o.temperature,
    seed: o.seed,
    k: o.k,
    stopScore: o.stopScore,
    ...(o.labeledDemos !== undefined ? { labeledDemos: o.labeledDemos } : {}),
    ...(o.batched ? { batched: true } : {}),
  };
}

export const DEFAULT_FIT_OPTIONS: FitOptions & { labeledDemos: number } = {
  temperature: 0,
  seed: 0,
  k: 10,
  stopScore: 0.8,
  labeledDemos: 4,
};

/** A fit's demo count: its own, else the default. */
export function labeledDemosOf(opts: Pick<FitOptions, 'labeledDemos'>): number {
  return opts.labeledDemos ?? DEFAULT_FIT_OPTIONS.labeledDemos;
}

export interface FitProgress {
  phase: 'bootstrap' | 'select' | 'persona' | 'bootstrap-persona' | 'select-persona';
  done: number;
  total: number;
}

/** Each phase of a fit in words, for progress shown to a person (the phase ids are for code and call purposes). */
export const FIT_PHASE_NAMES: Readonly<Record<FitProgress['phase'], string>> = {
  bootstrap: 'judging context pairs',
  select: 'choosing demonstrations',
  persona: 'writing the persona',
  'bootstrap-persona': 'judging context pairs with the persona',
  'select-persona': 'choosing demonstrations with the persona',
};

/** The phases of a fit in the order it runs them: "phase 2 of 5" counts along this list. */
export const FIT_PHASES: readonly FitProgress['phase'][] = [
  'bootstrap',
  'select',
  'persona',
  'bootstrap-persona',
  'select-persona',
];

/** A phase's place in the fit, from 1. */
export function fitPhaseStep(phase: FitProgress['phase']): number {
  return FIT_PHASES.indexOf(phase) + 1;
}

/**
 * "phase 1 of 5: judging context pairs 4/8"; a one-step phase ("writing the persona") without its count. The
 * phase's place is said because each phase counts from 0 again: without it the counters seem to restart.
 */
export function fitProgressText(p: FitProgress): string {
  const name = FIT_PHASE_NAMES[p.phase];
  const where = `phase ${fitPhaseStep(p.phase)} of ${FIT_PHASES.length}`;
  return p.total > 1 ? `${where}: ${name} ${p.done}/${p.total}` : `${where}: ${name}`;
}

export interface FitPrompts {
  bootstrap: Prompt;
  personaSynthesis: Prompt;
  judge: Prompt;
}

export interface SelectionScore {
  /** Correct order-samples of the winning candidate among those evaluated. */
  correct: number;
  evaluated: number;
  /** Validation pairs (one order each). */
  of: number;
  candidates: number;
  winner: number;
  /** Set when the winner won a tie over an earlier candidate because its reasonings copy no response (copiesOf). */
  tieBroken?: string;
}

export interface FitResult {
  userId: string;
  persona: string;
  personaReasoning: string;
  demos: { pair: Pair; demo: Demo }[];
  verifiedFirstPass: number;
  verifiedWithPersona: number;
  selection: SelectionScore;
  firstSelection: SelectionScore;
  /** Runs of five or more words the persona copies from the user's pairs (copied-runs.ts), longest first; empty when none. */
  personaCopies: CopiedRun[];
  /** The chosen demonstrations whose reasoning copies a run of its pair's responses. */
  demoCopies: { pairId: string; run: CopiedRun }[];
}

/** The order a pair is shown in when one order is used: its `flip`, else a seeded coin. */
export function presentationOrder(pair: Pair, seed: number): Order {
  if (pair.flip !== undefined) return pair.flip ? 'BA' : 'AB';
  return hashString(`${seed}:order:${pair.pairId}`) % 2 === 0 ? 'AB' : 'BA';
}

export type Example = { pair: Pair; demo: Demo };

/**
 * A failed call is no answer: counted as wrong, it would drop a demonstration or sink a candidate, and the
 * persona would silently differ from a complete fit's. The fit stops instead; its answers so far are
 * cached, so running it again resumes where it stopped.
 */
function stopOnFailedCall(v: OrderVerdict, pair: Pair, phase: string): void {
  if (orderFailed(v))
    throw new UserError(
      `a ${phase} call for pair ${pair.pairId} failed (${v.error}); the fit of user "${pair.userId}" is incomplete: ` +
        'run it again to retry (the answers so far are cached)',
    );
}

async function bootstrap(
  model: ChatModel,
  system: string,
  pairs: readonly Pair[],
  opts: FitOptions,
  phase: FitProgress['phase'],
): Promise<Example[]> {
  let done = 0;
  const call: CallOptions & { purpose: string } = {
    temperature: opts.temperature,
    seed: opts.seed,
    purpose: phase,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const verdicts = await Promise.all(
    pairs.map(async (pair) => {
      const order = presentationOrder(pair, opts.seed);
      const v = await judgeOrder(model, system, pair, order, call);
      stopOnFailedCall(v, pair, phase);
      opts.onProgress?.({ phase, done: ++done, total: pairs.length });
      return { pair, v };
    }),
  );
  // Rejection sampling: a reasoning is kept only when its prediction matches the user's choice.
  return verdicts
    .filter(({ v }) => v.correct && v.reasoning.trim())
    .map(({ pair, v }) => ({
      pair,
      demo: { pairId: pair.pairId, order: v.order, reasoning: v.reasoning, preference: chosenLabel(v.order) },
    }));
}

/** A raw labelled demonstration: the pair in its presentation order, its true label, no reasoning. */
function labelled(pair: Pair, seed: number): Example {
  const order = presentationOrder(pair, seed);
  return { pair, demo: { pairId: pair.pairId, order, preference: chosenLabel(order), reasoning: '' } };
}

export interface CandidateSpec {
  /** Random subsets of the pool besides the full set. */
  k: number;
  /** The demo count: the labelled-only candidate's size, and what each candidate is topped up to. */
  labeled: number;
  /** A zero-demo candidate first (the second stage, where the persona alone may do best). */
  withEmpty: boolean;
}

/**
 * Candidate demonstration sets, in the reference's order (ties go to the earlier one): the zero-demo set
 * (second stage only), the labelled-only set (`labeled` raw context pairs), the whole pool, then `k`
 * random subsets of random size. Each set with fewer than `labeled` demonstrations is topped up with raw
 * labelled context pairs it does not hold, as the reference's BootstrapFewShot does with its
 * max_labeled_demos. Sets that come out the same are kept once.
 */
export function buildCandidates(
  pool: readonly Example[],
  context: readonly Pair[],
  spec: CandidateSpec,
  rng: () => number,
  seed: number,
): Example[][] {
  const out: Example[][] = [];
  const seen = new Set<string>();
  const push = (c: Example[]) => {
    const key = c.map((e) => `${e.pair.pairId}\u0001${e.demo.reasoning ? 'v' : 'l'}`).join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    out.push(c);
  };
  const inFileOrder = (picked: ReadonlySet<Pair>) => context.filter((p) => picked.has(p));
  const topUp = (c: Example[]): Example[] => {
    if (c.length >= spec.labeled) return c;
    const held = new Set(c.map((e) => e.pair.pairId));
    const extra = new Set(
      shuffled(
        context.filter((p) => !held.has(p.pairId)),
        rng,
      ).slice(0, spec.labeled - c.length),
    );
    return [...c, ...inFileOrder(extra).map((p) => labelled(p, seed))];
  };
  if (spec.withEmpty) push([]);
  if (spec.labeled > 0)
    push(inFileOrder(new Set(shuffled(context, rng).slice(0, spec.labeled))).map((p) => labelled(p, seed)));
  push(topUp([...pool]));
  for (let i = 0; i < spec.k && pool.length > 1; i++) {
    const size = 1 + Math.floor(rng() * pool.length);
    const picked = new Set(shuffled(pool, rng).slice(0, size));
    push(topUp(pool.filter((e) => picked.has(e)))); // keep file order: easier to read, stable prompts
  }
  return out;
}

async function select(
  model: ChatModel,
  candidates: Example[][],
  systemFor: (demos: Example[]) => string,
  validation: readonly Pair[],
  opts: FitOptions,
  phase: FitProgress['phase'],
): Promise<{ winner: Example[]; score: SelectionScore }> {
  const n = validation.length;
  if (n === 0 || candidates.length === 1)
    return {
      winner: candidates[0]!,
      score: { correct: 0, evaluated: 0, of: n, candidates: candidates.length, winner: 0 },
    };
  // Small chunks let a hopeless candidate be dropped early; users fitted side by side keep the
  // server busy meanwhile.
  const chunk = Math.max(2, Math.ceil(n / 3));
  let best = -1;
  let bestIdx = 0;
  let bestEvaluated = 0;
  const call = {
    temperature: opts.temperature,
    seed: opts.seed,
    purpose: phase,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  if (opts.batched) await askAllAtOnce(model, candidates, systemFor, validation, opts, call);
  let tooLong: unknown;
  let scored = 0;
  let tieBroken: string | undefined;
  // A tie goes to the earlier candidate, unless the earlier one's reasonings copy a response and this one's copy
  // nothing: a copied response is no reason, and a persona written from it copies too (copied-runs.ts).
  const copies = candidates.map((c) => demoCopies(c).length > 0);
  for (let i = 0; i < candidates.length; i++) {
    const system = systemFor(candidates[i]!);
    const winsTie = best >= 0 && copies[bestIdx]! && !copies[i]!;
    let correct = 0;
    let done = 0;
    let pruned = false;
    let reached = false;
    try {
      // To stay in the running a candidate must beat the best so far, or tie with it when it wins ties.
      ({ correct, done, pruned, reached } = await scoreCandidate(model, system, validation, opts, call, {
        chunk,
        bar: best + (winsTie ? 0 : 1),
      }));
    } catch (err) {
      // A demonstration set whose judge prompt does not fit the model's context is no candidate: the model
      // never saw it, so scoring it wrong would be a lie. Leave it out, say so, and go on with the others.
      if (!isContextOverflow(err) || opts.signal?.aborted) throw err;
      tooLong = err;
      opts.onNote?.(
        `${phase}: candidate ${i + 1} of ${candidates.length} (${candidates[i]!.length} demonstration(s)) ` +
          `does not fit the model's context and was left out (${(err as Error).message.split('. ')[0]})`,
      );
      opts.onProgress?.({ phase, done: i + 1, total: candidates.length });
      continue;
    }
    scored++;
    opts.onProgress?.({ phase, done: i + 1, total: candidates.length });
    if (!pruned && (correct > best || (winsTie && correct === best))) {
      tieBroken =
        correct === best
          ? `candidate ${i + 1} chosen over candidate ${bestIdx + 1} at the same score (${correct}/${n}): ` +
            `the reasonings of candidate ${bestIdx + 1} copy a response, these copy none`
          : undefined;
      best = correct;
      bestIdx = i;
      bestEvaluated = done;
    }
    if (reached || (opts.exhaustive && correct / n >= opts.stopScore)) break;
  }
  // Not one candidate fits: the fit cannot go on, and the error says why.
  if (scored === 0 && tooLong) throw tooLong;
  if (tieBroken) opts.onNote?.(`${phase}: ${tieBroken}`);
  return {
    winner: candidates[bestIdx]!,
    score: {
      correct: best,
      evaluated: bestEvaluated,
      of: n,
      candidates: candidates.length,
      winner: bestIdx,
      ...(tieBroken ? { tieBroken } : {}),
    },
  };
}

/**
 * Batch mode: every verdict the selection may read, asked at once (see FitOptions.batched). A call not answered yet
 * stops the fit here; a call that cannot be made (a candidate over the context) is left to the search, which says so.
 */
async function askAllAtOnce(
  model: ChatModel,
  candidates: Example[][],
  systemFor: (demos: Example[]) => string,
  validation: readonly Pair[],
  opts: FitOptions,
  call: CallOptions & { purpose: string },
): Promise<void> {
  const asked = await Promise.allSettled(
    candidates.flatMap((c) => {
      const system = systemFor(c);
      return validation.map(async (p) => ({ p, v: await selectionVerdict(model, system, p, opts, call) }));
    }),
  );
  for (const a of asked) if (a.status === 'fulfilled') stopOnFailedCall(a.value.v, a.value.p, 'selection');
}

/**
 * A candidate's verdict on a validation pair: the one call the selection makes of a pair, in the order the seed
 * gives it. Batch mode asks them all at once (askAllAtOnce), the search one chunk at a time (scoreCandidate): the same
 * call, so the search finds the batch's answers in the cache.
 */
function selectionVerdict(
  model: ChatModel,
  system: string,
  p: Pair,
  opts: FitOptions,
  call: CallOptions & { purpose: string },
) {
  return judgeOrder(model, system, p, presentationOrder(p, opts.seed), call);
}

/**
 * One candidate on the validation pairs, a chunk at a time: dropped (`pruned`) as soon as it can no longer reach
 * `bar` correct answers, stopped (`reached`) as soon as it is certain to reach the stop score.
 */
async function scoreCandidate(
  model: ChatModel,
  system: string,
  validation: readonly Pair[],
  opts: FitOptions,
  call: CallOptions & { purpose: string },
  { chunk, bar }: { chunk: number; bar: number },
): Promise<{ correct: number; done: number; pruned: boolean; reached: boolean }> {
  const n = validation.length;
  let correct = 0;
  let done = 0;
  while (done < n) {
    const slice = validation.slice(done, done + chunk);
    const vs = await Promise.all(
      slice.map(async (p) => {
        const v = await selectionVerdict(model, system, p, opts, call);
        stopOnFailedCall(v, p, 'selection');
        return v;
      }),
    );
    correct += vs.filter((v) => v.correct).length;
    done += slice.length;
    if (opts.exhaustive) continue;
    if (correct + (n - done) < bar) return { correct, done, pruned: true, reached: false };
    // The first candidate certain to reach the stop score wins.
    if (correct / n >= opts.stopScore) return { correct, done, pruned: false, reached: true };
  }
  return { correct, done, pruned: false, reached: false };
}

const reasoningCopies = new WeakMap<Example, CopiedRun | null>();

/** The demonstrations whose reasoning copies a run of five words or more of its pair's responses. */
export function demoCopies(demos: readonly Example[]): { pairId: string; run: CopiedRun }[] {
  const out: { pairId: string; run: CopiedRun }[] = [];
  for (const e of demos) {
    let run = reasoningCopies.get(e);
    if (run === undefined) {
      const responses = pairSources(e.pair).filter((s) => s.part !== 'conversation');
      run = e.demo.reasoning.trim() ? (copiedRuns(e.demo.reasoning, responses)[0] ?? null) : null;
      reasoningCopies.set(e, run);
    }
    if (run) out.push({ pairId: e.pair.pairId, run });
  }
  return out;
}

function isContextOverflow(err: unknown): boolean {
  const e = err as { kind?: string; stopsRun?: boolean };
  return e?.kind === 'context-length' && !e.stopsRun;
}

/** The most candidate sets one stage builds (buildCandidates; fewer when some come out the same). */
export function candidateBound(
  contextSize: number,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
  withEmpty: boolean,
): number {
  const labelledOnly = Math.min(labeledDemosOf(knobs), contextSize) > 0 ? 1 : 0;
  return (withEmpty ? 1 : 0) + labelledOnly + 1 + (contextSize > 1 ? knobs.k : 0);
}

/**
 * The most selection calls of one stage: every candidate on every validation pair, one order each (none
 * when there is nothing to choose).
 */
export function selectionCallBound(
  contextSize: number,
  validationSize: number,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
  withEmpty: boolean,
): number {
  const candidates = candidateBound(contextSize, knobs, withEmpty);
  return candidates > 1 ? candidates * validationSize : 0;
}

/**
 * The selection calls of one stage a fit likely makes, for the dry run's "likely N, at most M": the first
 * candidate is scored on every validation pair, and each later one is usually dropped after its first chunk
 * (it can no longer beat the best), the way `select` prunes. A typical figure, not a bound: a run of better and
 * better candidates costs more, a candidate reaching the stop score less.
 */
export function likelySelectionCalls(
  contextSize: number,
  validationSize: number,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
  withEmpty: boolean,
): number {
  const candidates = candidateBound(contextSize, knobs, withEmpty);
  if (candidates <= 1 || validationSize === 0) return 0;
  const chunk = Math.min(validationSize, Math.max(2, Math.ceil(validationSize / 3)));
  return validationSize + (candidates - 1) * chunk;
}

/** A whole fit's likely calls: both bootstraps, the persona, and both selections' likely calls. */
export function likelyFitCalls(
  contextSize: number,
  validationSize: number,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
): number {
  const select = (withEmpty: boolean) => likelySelectionCalls(contextSize, validationSize, knobs, withEmpty);
  return 2 * contextSize + 1 + select(false) + select(true);
}

/** What the fit does before the persona: it does not depend on Θ, so the Θ search and Θ re-validation run it alone. */
export interface FirstStageResult {
  /** Reasonings verified by the first bootstrap. */
  verified: number;
  /** What the candidates were drawn from: the verified demonstrations, else every context pair with its label. */
  pool: Example[];
  selection: SelectionScore;
  /** What the persona is synthesized from: the chosen candidate (the pool when it chose no demonstration). */
  examples: Example[];
}

export async function fitFirstStage(
  model: ChatModel,
  userId: string,
  context: readonly Pair[],
  validation: readonly Pair[],
  prompts: FitPrompts,
  opts: FitOptions,
  rng = createRng(`${opts.seed}:candidates:${userId}`),
): Promise<FirstStageResult> {
  if (context.length === 0) throw new UserError(`user "${userId}" has no context pairs to learn from`);
  const spec = { k: opts.k, labeled: Math.min(labeledDemosOf(opts), context.length), withEmpty: false };

  // 1. Bootstrap reasonings with a judge that knows nothing about the user.
  const verified = await bootstrap(
    model,
    judgeSystem(prompts.bootstrap.text, {}, 'bootstrap'),
    context,
    opts,
    'bootstrap',
  );
  // Nothing verified: the context pairs with their true labels still carry signal (the reference went on with an empty history).
  const pool = verified.length ? verified : context.map((p) => labelled(p, opts.seed));

  // 2. Candidate demo sets, selected on validation by the demos-only judge.
  const first = await select(
    model,
    buildCandidates(pool, context, spec, rng, opts.seed),
    (demos) => judgeSystem(prompts.judge.text, { demos }),
    validation,
    opts,
    'select',
  );
  return {
    verified: verified.length,
    pool,
    selection: first.score,
    examples: first.winner.length ? first.winner : pool,
  };
}

/** The persona-synthesis request of a first stage for a Θ (its worked examples, if any, go before the user's examples). */
export function personaSynthesisRequest(
  theta: string,
  userId: string,
  examples: readonly Example[],
  opts: Pick<FitOptions, 'temperature' | 'seed'>,
): ChatRequest {
  return {
    messages: personaSynthesisMessages(theta, examples),
    schema: PERSONA_SCHEMA,
    temperature: opts.temperature,
    seed: opts.seed,
    purpose: 'persona synthesis',
    affinity: userId,
  };
}

/**
 * The persona an answer holds: its `persona` field, or, when the model wrote prose and no object at all,
 * the text. An object without a persona (a broken answer, one that began `{ "reasoning": ...` and stopped)
 * holds none: its raw text is never taken for a persona.
 */
export function personaOfAnswer(r: Pick<ChatResult, 'json' | 'text'>): { persona: string; reasoning: string } {
  const obj = answerObject(r);
  const reasoning = typeof obj?.reasoning === 'string' ? obj.reasoning : '';
  if (typeof obj?.persona === 'string') return { persona: obj.persona.trim(), reasoning };
  return { persona: obj ? '' : r.text.trim(), reasoning };
}

/**
 * A persona written with Θ from a first stage's examples. A failed call, an answer cut at its output cap
 * (after a second call with room: chatWhole) or an empty persona is an expected error naming the user.
 */
export async function synthesizePersona(
  model: ChatModel,
  theta: string,
  userId: string,
  examples: readonly Example[],
  opts: Pick<FitOptions, 'temperature' | 'seed' | 'signal'>,
): Promise<{ persona: string; reasoning: string }> {
  let persona: string;
  let reasoning = '';
  let unread: string | undefined;
  try {
    const r = await chatWhole(model, personaSynthesisRequest(theta, userId, examples, opts), opts.signal);
    ({ persona, reasoning } = personaOfAnswer(r));
    const obj = answerObject(r);
    if (!persona && obj && typeof obj.persona !== 'string') unread = r.text.trim();
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    throw new UserError(`persona synthesis failed for user "${userId}": ${(err as Error).message}`);
  }
  // An object with no persona in it (unterminated, looping, other keys) is unreadable, not empty: show how it began.
  if (unread !== undefined) {
    const start = JSON.stringify(unread.slice(0, 80).replace(/\s+/g, ' ')) + (unread.length > 80 ? '...' : '');
    throw new UserError(
      `persona synthesis for user "${userId}": the answer could not be read as a persona (it begins ${start})`,
    );
  }
  if (!persona) throw new UserError(`persona synthesis for user "${userId}" returned an empty persona`);
  return { persona, reasoning };
}

export async function fitUser(
  model: ChatModel,
  userId: string,
  context: readonly Pair[],
  validation: readonly Pair[],
  prompts: FitPrompts,
  opts: FitOptions = DEFAULT_FIT_OPTIONS,
): Promise<FitResult> {
  const rng = createRng(`${opts.seed}:candidates:${userId}`);
  const first = await fitFirstStage(model, userId, context, validation, prompts, opts, rng);

  // 3. Persona synthesis from the winning set (with the TRUE preferences).
  opts.signal?.throwIfAborted();
  opts.onProgress?.({ phase: 'persona', done: 0, total: 1 });
  const { persona, reasoning: personaReasoning } = await synthesizePersona(
    model,
    prompts.personaSynthesis.text,
    userId,
    first.examples,
    opts,
  );
  opts.onProgress?.({ phase: 'persona', done: 1, total: 1 });

  // 4. Bootstrap again with the persona judge, and select demos (a zero-demo candidate first).
  const verified2 = await bootstrap(
    model,
    judgeSystem(prompts.bootstrap.text, { persona }, 'bootstrap'),
    context,
    opts,
    'bootstrap-persona',
  );
  const pool2 = verified2.length ? verified2 : first.pool;
  const spec = { k: opts.k, labeled: Math.min(labeledDemosOf(opts), context.length), withEmpty: true };
  const second = await select(
    model,
    buildCandidates(pool2, context, spec, rng, opts.seed),
    (demos) => judgeSystem(prompts.judge.text, { persona, demos }),
    validation,
    opts,
    'select-persona',
  );

  return {
    userId,
    persona,
    personaReasoning,
    demos: second.winner,
    verifiedFirstPass: first.verified,
    verifiedWithPersona: verified2.length,
    selection: second.score,
    firstSelection: first.selection,
    // Flagged, not refused: the persona is the user's to read and edit, and the summary shows the run.
    personaCopies: copiedRuns(persona, [...context, ...validation].flatMap(pairSources)),
    demoCopies: demoCopies(second.winner),
  };
}

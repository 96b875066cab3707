// Evaluating a method on a split: every pair judged in both orders, each verdict journaled as
// it arrives, then accuracy with a deterministic 95% interval and the consistency rate, per
// user and overall (METHOD.md section 4).

import { relative, sep } from 'node:path';
import type { ChatModel } from '../llm/types';
import type { Pair } from '../data/pair';
import { judgePair, orderFailed, orderUnparseable, pairFailed, winnerOf, type PairVerdict } from '../method/judge';
import { judgeSystem, rubricSystem } from '../method/messages';
import {
  extractMemory,
  isRewardMethod,
  isRubricMethod,
  MethodUnavailable,
  profileFor,
  type Method,
} from '../method/methods';
import { rewardPair } from '../method/reward';
import type { RewardModel } from '../llm/reward-client';
import { marginOf, rewardHeaderParts, tiesOf } from './reward-eval';
import { DEFAULT_RUBRIC_CONTEXT, rubricPair } from '../method/rubric';
import { meanSampleAgreement, samplingTemperature } from '../method/samples';
import type { PersonaModel } from '../method/persona-file';
import type { Prompt } from '../method/prompt-store';
import type { SimilarUser } from '../method/similar-users';
import { accuracyWithInterval, consistencyRate } from './statistics';
import {
  runFileName,
  runId,
  RunJournal,
  testSetId,
  verdictKey,
  type RunFailures,
  type RunHeader,
  type RunSummary,
  type Figures,
  type UserFigures,
  type SimilarUsersHeader,
} from './run-file';
import { redactUrl } from '../llm/errors';

/** The input key that says where a user's persona file lives, relative to the runs folder (runs-list.ts). */
export const PERSONA_AT = 'persona-at:';
/** The input key that names a user's neighbours under `--similar-users` (no hash: a list of user ids). */
export const SIMILAR_OF = 'similar:';

export interface EvalUser {
  id: string;
  /** All the user's pairs (demos may come from any split). */
  pairs: Pair[];
  context: Pair[];
  /** The pairs to judge. */
  target: Pair[];
  persona?: PersonaModel;
  /** Hash of the persona file's text, so an edited persona is a different run. */
  personaHash?: string;
  /**
   * Where the persona file lives when it is not the workspace's own (a benchmark's personas/<model>/):
   * the run records it, so that staleness compares with that file and not with the workspace's persona.
   */
  personaPath?: string;
  /** `--similar-users m`: the user's nearest other users (similar-users.ts); their personas join a persona method's prompt. */
  similar?: SimilarUser[];
}

export interface EvalOptions {
  method: Method;
  split: string;
  model: ChatModel;
  baseUrl?: string;
  /** The model's digest on the server, when it names one: recorded in the run's header. */
  modelDigest?: string;
  /** A name for the run (`--label`): recorded in the header, and part of the run's identity. */
  label?: string;
  /** Hashes of further inputs that shaped the prompts (a re-validation's Θ and its synthesized personas). */
  inputs?: Record<string, string>;
  /** The rubric prompt is needed by the rubric methods only. */
  prompts: { judge: Prompt; memory: Prompt; rubric?: Prompt };
  /** The rubric methods: how many context pairs the judge reads (default DEFAULT_RUBRIC_CONTEXT). */
  rubricContext?: number;
  /** The reward-model methods: the served reward model that scores (reward.ts); `model` is not called then. */
  reward?: RewardModel;
  temperature: number;
  seed: number;
  /** `--samples k`: each order judged k times (at a temperature above 0), the answers aggregated; default 1. */
  samples?: number;
  /** `--similar-users m`: m and the embedding model that chose the neighbours (recorded in the run's header). */
  similarUsers?: SimilarUsersHeader;
  runsDir: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalResult extends Figures {
  method: Method;
  split: string;
  model: string;
  provider: string;
  users: UserFigures[];
  skipped: { user: string; reason: string }[];
  run: string;
  /** Pairs found already judged in the run file (a resumed run). */
  resumed: number;
  verdicts: PairVerdict[];
  /** False when calls failed: the figures cover the judged pairs only, and a re-run judges the rest. */
  complete: boolean;
  failed: RunFailures;
  /** Order-samples whose answer named neither A nor B (counted wrong, as the paper counts them). */
  unparseable: number;
  /** The rubric methods: of `unparseable`, the ties (equal weighted sums) and the unreadable answers, apart. */
  ties?: number;
  unreadable?: number;
  /** With `--samples k` (k > 1): k, and `temperature` the run judged at (samplingTemperature). */
  samplesPerOrder?: number;
  temperature?: number;
}

const correctOf = (v: PairVerdict): boolean[] => v.orders.map((o) => o.correct);
const winnersOf = (v: PairVerdict) => [winnerOf(v.orders[0]), winnerOf(v.orders[1])] as const;

/** How many orders of these verdicts decided nothing for this reason (a rubric's tie, or unreadable scores). */
const noDecisions = (verdicts: readonly PairVerdict[], why: 'tie' | 'unreadable') =>
  verdicts.reduce((n, v) => n + v.orders.filter((o) => o.noDecision === why).length, 0);

/**
 * `rubric`: a rubric method's figures say its ties and unreadable answers apart (both are in `unparseable`).
 * `pointwise`: a reward model's have no consistency (order does not apply), their ties in pairs, and the margin.
 */
export function figures(
  verdicts: readonly PairVerdict[],
  seed: number,
  opts: { rubric?: boolean; pointwise?: boolean } = {},
): Figures {
  // Users are clusters: over several users the interval resamples users, then pairs (one user: pairs).
  const acc = accuracyWithInterval(verdicts.map(correctOf), { seed, users: verdicts.map((v) => v.userId) });
  return {
    accuracy: acc.accuracy,
    ci95: [acc.low, acc.high],
    consistency: opts.pointwise ? Number.NaN : consistencyRate(verdicts.map(winnersOf)),
    samples: acc.samples,
    pairs: acc.pairs,
    unparseable: verdicts.reduce((n, v) => n + v.orders.filter(orderUnparseable).length, 0),
    ...(opts.rubric ? { ties: noDecisions(verdicts, 'tie'), unreadable: noDecisions(verdicts, 'unreadable') } : {}),
    ...(opts.pointwise ? { ties: tiesOf(verdicts), margin: marginOf(verdicts, seed) } : {}),
    ...sampleConsistencyOf(verdicts),
  };
}

/** With `--samples k`: how far each order's samples agreed, on average (samples.ts); nothing for unsampled runs. */
function sampleConsistencyOf(verdicts: readonly PairVerdict[]): Pick<Figures, 'sampleConsistency'> {
  const agreement = meanSampleAgreement(verdicts.flatMap((v) => v.orders));
  return agreement === undefined ? {} : { sampleConsistency: agreement };
}

/** With `samples` k > 1 a run judges at the sampling temperature (samples.ts); a reward model's score is not sampled. */
function sampled(opts: EvalOptions): EvalOptions {
  const k = isRewardMethod(opts.method) ? 1 : (opts.samples ?? 1);
  const { samples: _k, ...rest } = opts;
  return k > 1 ? { ...rest, samples: k, temperature: samplingTemperature(opts.temperature, k) } : rest;
}

/** The failed calls of pairs that could not be judged, grouped by reason. */
export function failuresOf(failedPairs: readonly PairVerdict[]): RunFailures {
  const reasons = new Map<string, number>();
  let calls = 0;
  for (const v of failedPairs) {
    for (const o of v.orders) {
      if (!orderFailed(o)) continue;
      // A sampled order failed through its failed samples: each is a failed call.
      calls += o.samples?.filter((s) => s.failed).length || 1;
      const message = o.error ?? 'failed';
      reasons.set(message, (reasons.get(message) ?? 0) + 1);
    }
  }
  return {
    calls,
    pairs: failedPairs.length,
    reasons: [...reasons].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
  };
}

/** `similar`: the prompt reads the user's neighbours. */
type Runnable = { user: EvalUser; system: string; similar?: boolean };

/** The system message of a method's judge calls: the judge prompt, or for the rubric methods the rubric prompt. */
function systemOf(opts: EvalOptions, profile: Awaited<ReturnType<typeof profileFor>>): string {
  // A reward model's system message is the persona alone (reward.ts), or none.
  if (isRewardMethod(opts.method)) return profile.persona ?? '';
  if (!isRubricMethod(opts.method)) return judgeSystem(opts.prompts.judge.text, profile);
  if (!opts.prompts.rubric) throw new Error(`the ${opts.method} method needs the rubric prompt`);
  return rubricSystem(opts.prompts.rubric.text, profile.demos ?? [], profile.persona, profile.similar);
}
type Skipped = { user: string; reason: string };

/** Profiles first: a user who cannot be evaluated with this method is reported, not faked. */
async function profilesOf(
  users: readonly EvalUser[],
  opts: EvalOptions,
): Promise<{ runnable: Runnable[]; skipped: Skipped[] }> {
  const skipped: Skipped[] = [];
  const runnable: Runnable[] = [];
  for (const user of users) {
    if (user.target.length === 0) {
      skipped.push({ user: user.id, reason: `no ${opts.split} pairs` });
      continue;
    }
    try {
      const profile = await profileFor({
        method: opts.method,
        userId: user.id,
        pairs: user.pairs,
        context: user.context,
        ...(user.persona ? { persona: user.persona } : {}),
        ...(user.similar ? { similar: user.similar } : {}),
        rubricContext: opts.rubricContext ?? DEFAULT_RUBRIC_CONTEXT,
        seed: opts.seed,
        memory: () =>
          extractMemory(opts.model, opts.prompts.memory.text, user.context, {
            temperature: opts.temperature,
            seed: opts.seed,
            ...(opts.signal ? { signal: opts.signal } : {}),
          }),
      });
      runnable.push({ user, system: systemOf(opts, profile), ...(profile.similar?.length ? { similar: true } : {}) });
    } catch (err) {
      if (!(err instanceof MethodUnavailable)) throw err;
      skipped.push({ user: user.id, reason: err.message });
    }
  }
  return { runnable, skipped };
}

/** What the run is (its header but for id and time): the same parts give the same run file, so a re-run resumes it. */
function headerPartsOf(runnable: readonly Runnable[], opts: EvalOptions) {
  const rubric = isRubricMethod(opts.method);
  // A rubric run is shaped by the rubric prompt, not the judge prompt: an edited judge prompt leaves it current.
  const inputs: Record<string, string> = rubric ? {} : { judge: opts.prompts.judge.hash };
  if (opts.method === 'memory') inputs.memory = opts.prompts.memory.hash;
  if (rubric && opts.prompts.rubric) inputs.rubric = opts.prompts.rubric.hash;
  // A reward model reads no prompt of the tool's: an edited judge prompt leaves its runs current.
  const reward = isRewardMethod(opts.method) && opts.reward ? rewardHeaderParts(opts.reward) : undefined;
  if (reward) delete inputs.judge;
  const similar = similarInputs(runnable, opts);
  for (const { user } of runnable) {
    if (!user.personaHash || opts.method === 'default') continue;
    inputs[`persona:${user.id}`] = user.personaHash;
    if (user.personaPath)
      inputs[`${PERSONA_AT}${user.id}`] = relative(opts.runsDir, user.personaPath).split(sep).join('/');
  }
  Object.assign(inputs, similar, opts.inputs);
  return {
    method: opts.method,
    split: opts.split,
    provider: opts.model.provider,
    model: opts.model.model,
    // Recorded (without credentials), but not part of the run's identity (runId).
    ...(opts.modelDigest ? { modelDigest: opts.modelDigest } : {}),
    ...(opts.baseUrl ? { baseUrl: redactUrl(opts.baseUrl) } : {}),
    seed: opts.seed,
    temperature: opts.temperature,
    users: runnable.map((r) => r.user.id),
    inputs,
    ...(opts.label ? { label: opts.label } : {}),
    // k samples per order are another run than one (and at another temperature, recorded above).
    ...(opts.samples ? { samples: opts.samples } : {}),
    // Another m or embedding model is another prompt: part of the run's identity, as the neighbours in `inputs` are.
    ...(opts.similarUsers && usesSimilar(runnable) ? { similarUsers: opts.similarUsers } : {}),
    // How many context pairs a rubric judge read: another number is another prompt, so another run.
    ...(rubric ? { rubricContext: opts.rubricContext ?? DEFAULT_RUBRIC_CONTEXT } : {}),
    // A reward method's scorer, not the chat model, names the run: its model, server and endpoint (reward-eval.ts).
    ...reward,
    // Which pairs were to be judged: a run on other pairs (the split changed) is another run, and readers say so.
    testSet: testSetId(runnable.flatMap((r) => r.user.target.map((p) => ({ userId: r.user.id, pairId: p.pairId })))),
  };
}

/** Whether any prompt of the run reads neighbours (a method without a persona reads none). */
const usesSimilar = (runnable: readonly Runnable[]) => runnable.some((r) => r.similar);

/**
 * `similar:<user>` names each user's neighbours, and each neighbour's persona hash joins as `persona:<id>`: another
 * neighbour is another run, and a neighbour's edited persona makes the run stale (runs-list.ts), as the user's own does.
 */
function similarInputs(runnable: readonly Runnable[], opts: EvalOptions): Record<string, string> {
  const out: Record<string, string> = {};
  if (opts.method === 'default') return out;
  for (const { user, similar } of runnable) {
    if (!similar) continue;
    out[`${SIMILAR_OF}${user.id}`] = user.similar!.map((s) => s.userId).join(',');
    for (const s of user.similar!) if (s.personaHash) out[`persona:${s.userId}`] = s.personaHash;
  }
  return out;
}

/** The verdicts the run file already holds, per user, and the pairs still to judge. */
function pendingOf(runnable: readonly Runnable[], existing: Map<string, PairVerdict>) {
  const byUser = new Map<string, PairVerdict[]>();
  const todo: { pair: Pair; system: string }[] = [];
  let resumed = 0;
  for (const { user, system } of runnable) {
    const list: PairVerdict[] = [];
    byUser.set(user.id, list);
    for (const pair of user.target) {
      const old = existing.get(verdictKey(user.id, pair.pairId));
      if (old) {
        list.push(old);
        resumed++;
      } else todo.push({ pair, system });
    }
  }
  return { byUser, todo, resumed };
}

/** Judges the pending pairs, each verdict journaled as it arrives; returns the pairs whose calls failed. */
async function judgeAll(
  pending: ReturnType<typeof pendingOf>,
  journal: RunJournal,
  opts: EvalOptions,
  progress: { done: number; total: number },
): Promise<PairVerdict[]> {
  const failedPairs: PairVerdict[] = [];
  try {
    await Promise.all(
      pending.todo.map(async ({ pair, system }) => {
        const call = {
          temperature: opts.temperature,
          seed: opts.seed,
          ...(opts.samples ? { samples: opts.samples } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        };
        const persona = system || undefined;
        const v = isRewardMethod(opts.method)
          ? await rewardPair(opts.reward!, pair, { ...(persona ? { persona } : {}), ...call })
          : isRubricMethod(opts.method)
            ? await rubricPair(opts.model, system, pair, { ...call, personaGiven: opts.method === 'rubric+persona' })
            : await judgePair(opts.model, system, pair, call);
        // A failed call is not a wrong answer: the pair is left out of the run (and of the figures), so
        // the same command judges it again; the order that did answer comes from the cache then.
        if (pairFailed(v)) failedPairs.push(v);
        else {
          await journal.append({ type: 'verdict', ...v });
          pending.byUser.get(pair.userId)!.push(v);
        }
        opts.onProgress?.(++progress.done, progress.total);
      }),
    );
  } finally {
    // Whatever finished is on disk before the error (or the cancellation) propagates.
    await journal.flush().catch(() => undefined);
  }
  return failedPairs;
}

/** Verdicts in the order of the users' pairs (not the order calls finished), with the figures per user and overall. */
function figuresOf(
  runnable: readonly Runnable[],
  byUser: Map<string, PairVerdict[]>,
  seed: number,
  opts: Parameters<typeof figures>[2],
) {
  const all: PairVerdict[] = [];
  const users: UserFigures[] = [];
  for (const { user } of runnable) {
    const rank = new Map(user.target.map((p, i) => [p.pairId, i]));
    const list = byUser.get(user.id)!.sort((a, b) => rank.get(a.pairId)! - rank.get(b.pairId)!);
    all.push(...list);
    users.push({ id: user.id, ...figures(list, seed, opts) });
  }
  return { all, users, overall: figures(all, seed, opts) };
}

export async function evaluate(users: readonly EvalUser[], given: EvalOptions): Promise<EvalResult> {
  const opts = sampled(given);
  const { runnable, skipped } = await profilesOf(users, opts);
  const headerParts = headerPartsOf(runnable, opts);
  const id = runId(headerParts);
  // The run's lock first, then what it already holds: a second process on the same run waits here and
  // then finds the first one's verdicts, instead of judging every pair again beside it.
  const journal = await RunJournal.open(
    opts.runsDir,
    runFileName(opts.method, opts.split, id),
    opts.signal ? { signal: opts.signal } : {},
  );
  try {
    const existing = await journal.read();
    if (!existing.header) {
      const header: RunHeader = { type: 'header', version: 1, id, created: new Date().toISOString(), ...headerParts };
      await journal.append(header);
    }
    const pending = pendingOf(runnable, existing.verdicts);
    const total = runnable.reduce((n, r) => n + r.user.target.length, 0);
    const { resumed } = pending;
    opts.onProgress?.(resumed, total);
    const failed = failuresOf(await judgeAll(pending, journal, opts, { done: resumed, total }));
    const rubric = isRubricMethod(opts.method);
    const pointwise = isRewardMethod(opts.method);
    const { all, users: userFigures, overall } = figuresOf(runnable, pending.byUser, opts.seed, { rubric, pointwise });
    const complete = failed.pairs === 0;
    const summary: RunSummary = {
      type: 'summary',
      ...overall,
      users: userFigures,
      completed: new Date().toISOString(),
      complete,
      ...(complete ? {} : { failed }),
    };
    if (!existing.summary || resumed < total || existing.summary.complete === false) await journal.append(summary);
    await journal.flush();
    return {
      method: opts.method,
      split: opts.split,
      model: pointwise && opts.reward ? opts.reward.model : opts.model.model,
      provider: opts.model.provider,
      ...overall,
      users: userFigures,
      skipped,
      run: journal.path,
      resumed,
      verdicts: all,
      complete,
      failed,
      unparseable: overall.unparseable ?? 0,
      ...(rubric ? { ties: overall.ties ?? 0, unreadable: overall.unreadable ?? 0 } : {}),
      ...(pointwise ? { ties: overall.ties ?? 0 } : {}),
      ...(opts.samples ? { samplesPerOrder: opts.samples, temperature: opts.temperature } : {}),
    };
  } finally {
    await journal.close();
  }
}

// PersonalRewardBench preparation (METHOD.md section 6), on records already read:
//   1. user filter (at least `minPairs` pairs),
//   2. personalizable classifier (one call per pair; label and reason kept in `meta`),
//   3. disagreement filter (every judge model votes on every pair in both orders, with the
//      default judge prompt and no persona; pairs whose agreement with the user lies in the
//      range are kept; every vote is kept in `meta`),
//   4. per-user splits (users left with fewer than `minPairs` pairs cannot be split and go).
// Every call goes through the models given (their cache makes a re-run free). A judge model that
// is unavailable (not found, no connection) is reported and the filter runs with the others.

import type { ChatModel } from '../llm/types';
import type { NativeRecord } from '../data/importers/native-record';
import { legacySplitUser } from '../data/splits';
import { SPLITS, type Split } from '../data/pair';
import { judgeOrder, isFatal } from '../method/judge';
import { judgeSystem } from '../method/messages';
import type { Order } from '../method/render';
import { classifyPair, type Classification } from './classify';
import { promptHash } from '../method/prompt-store';
import { countItems, filterUsers, toItems, type BenchItem, type StepCounts } from './records';
import { UserError } from '../user-error';
import { forEachInPool } from '../work-pool';

/** A model whose calls may be collected and sent together (the Batch API): flush() sends them. */
export type StepModel = ChatModel & { flush?: (signal?: AbortSignal) => Promise<void> };

export interface PrepareOptions {
  minPairs: number;
  /** Inclusive range of the share of judge votes agreeing with the user. */
  agreement: [number, number];
  splits: [number, number, number];
  seed: number;
  temperature: number;
  classifier: StepModel;
  classifierPrompt: string;
  judges: StepModel[];
  judgePrompt: string;
  /**
   * Checked before a judge votes: an error (no connection, say) leaves that judge out at once,
   * instead of after every call has used up its retries.
   */
  judgeCheck?: (judge: StepModel, index: number) => Promise<Error | undefined>;
  signal?: AbortSignal;
  onProgress?: (step: string, done: number, total: number) => void;
  log?: (message: string) => void;
}

export interface JudgeVote {
  model: string;
  order: Order;
  preference: 'A' | 'B' | null;
  /** The vote agrees with the user's choice. */
  agrees: boolean;
  error?: string;
}

export interface StepReport {
  step: string;
  label: string;
  counts: StepCounts;
  /** LLM requests the step issued (cache hits included). */
  requests?: number;
}

export interface JudgeStatus {
  model: string;
  available: boolean;
  error?: string;
  votes: number;
}

export interface PrepareReport {
  steps: StepReport[];
  minPairs: number;
  agreement: [number, number];
  classifier: { model: string; personalizable: number; notPersonalizable: number; failed: number };
  judges: JudgeStatus[];
  /** Pairs dropped in step 3 because no judge gave a usable vote. */
  unjudged: number;
  /** Why step 3 kept nothing or everything, when one judge alone voted (singleJudgeNote). */
  judgeNote?: string;
  splits: Record<Split, number>;
}

export interface PrepareResult {
  records: NativeRecord[];
  report: PrepareReport;
}

/**
 * Runs all of a step's calls. With a batching model every call registers at once and flush()
 * sends them as one batch. Otherwise at most `window` calls are started ahead of the model's
 * scheduler (which bounds what is really in flight), through the work pool: enough to keep every
 * server slot busy, without holding tens of thousands of prompts and pending calls in memory at once.
 * A call that throws stops its siblings (each is given the pool's signal) and the step.
 */
async function runStep<T>(
  model: StepModel,
  calls: ((signal: AbortSignal) => Promise<T>)[],
  signal?: AbortSignal,
  window = STEP_WINDOW,
): Promise<T[]> {
  if (model.flush) {
    const all = Promise.all(calls.map((c) => c(signal ?? new AbortController().signal)));
    // Every call above registered its request synchronously; one batch carries them all.
    await model.flush(signal).catch(async (err) => {
      await all.catch(() => undefined);
      throw err;
    });
    return all;
  }
  const out: T[] = new Array(calls.length);
  await forEachInPool(calls, { concurrency: window, ...(signal ? { signal } : {}) }, async (call, s, i) => {
    out[i] = await call(s);
  });
  return out;
}

/**
 * A classifier call that failed after its retries is no label: dropping its pair would make a smaller data
 * set that looks complete (and differs from a run where the call came through). The run stops before any
 * judge votes and writes nothing; a re-run gets the answers that came from the cache and asks again only
 * for the calls that failed. An answer without a label is the model's (counted as `failed` in the report).
 */
function stopOnFailedClassifications(classes: readonly Classification[], items: readonly BenchItem[]): void {
  const failed = classes.filter((c) => c.failed);
  if (!failed.length) return;
  const first = failed[0]!;
  throw new UserError(
    `${failed.length} of ${items.length} personalizable classifier call(s) failed after their retries ` +
      `(first: pair ${first.pairId} of user "${first.userId}": ${first.error}); ` +
      'the data set would be incomplete, so nothing was written: ' +
      'run the same command again to complete it (the answers so far are cached)',
    1,
  );
}

/** Calls started ahead of the scheduler per step and model (see runStep). */
export const STEP_WINDOW = 1024;

export async function preparePipeline(records: readonly NativeRecord[], opts: PrepareOptions): Promise<PrepareResult> {
  const steps: StepReport[] = [];
  const items = toItems(records.map((r) => ({ ...r, meta: { ...(r.meta ?? {}) } })));
  steps.push({ step: 'raw', label: 'raw pairs (after import; ties give no pair)', counts: countItems(items) });
  const step1 = filterUsers(items, opts.minPairs);
  steps.push({ step: 'users', label: `1. users with at least ${opts.minPairs} pairs`, counts: countItems(step1) });
  const { kept: step2, classifier } = await personalizableStep(step1, opts);
  steps.push({
    step: 'personalizable',
    label: '2. personalizable (LLM classifier)',
    counts: countItems(step2),
    requests: step1.length,
  });
  const { kept: step3, judges, unjudged } = await disagreementStep(step2, opts);
  const [lo, hi] = opts.agreement;
  steps.push({
    step: 'disagreement',
    label: `3. judge agreement with the user in [${pctText(lo)}, ${pctText(hi)}]`,
    counts: countItems(step3),
    requests: step2.length * 2 * opts.judges.length,
  });
  const judgeNote = singleJudgeNote({
    judges,
    temperature: opts.temperature,
    agreement: opts.agreement,
    judged: step2.length - unjudged,
    kept: step3.length,
  });
  const { kept: step4, splits } = splitStep(step3, opts);
  steps.push({
    step: 'splits',
    label: `4. split per user (users still with at least ${opts.minPairs} pairs)`,
    counts: countItems(step4),
  });
  return {
    records: step4.map((x) => x.record),
    report: {
      steps,
      minPairs: opts.minPairs,
      agreement: opts.agreement,
      classifier,
      judges,
      unjudged,
      splits,
      ...(judgeNote ? { judgeNote } : {}),
    },
  };
}

const ONE_JUDGE_SHARES: [number, string][] = [
  [0, 'it chose against the user in both orders'],
  [0.5, 'it answered differently in the two orders'],
  [1, "it chose the user's response in both orders"],
];

/**
 * One judge alone gives a pair two votes (one per order), so its agreement is 0%, 50% or 100%: the filter
 * cannot grade, and at temperature 0 the judge answers each order the same way every time. When that leaves
 * nothing or everything, the report says why (and the CLI and VS Code say it with the report).
 */
export function singleJudgeNote(s: {
  judges: readonly JudgeStatus[];
  temperature: number;
  agreement: [number, number];
  /** Pairs with at least one usable vote. */
  judged: number;
  kept: number;
}): string | undefined {
  const voted = s.judges.filter((j) => j.available);
  if (voted.length !== 1 || s.judged === 0 || (s.kept !== 0 && s.kept !== s.judged)) return undefined;
  const [lo, hi] = s.agreement;
  const inRange = ONE_JUDGE_SHARES.filter(([x]) => x >= lo - 1e-12 && x <= hi + 1e-12).map(([, what]) => what);
  const which = inRange.length ? `only the pairs where ${inRange.join(' or ')}` : 'no pair at all';
  const outcome = s.kept ? `all ${s.judged} pair(s) were` : `none of ${s.judged} pair(s) was`;
  return (
    `Only one judge (${voted[0]!.model}) voted${s.temperature === 0 ? ', at temperature 0 (deterministic)' : ''}: ` +
    `with two votes per pair (one per order) a pair's agreement is 0%, 50% or 100%, so ` +
    `[${pctText(lo)}, ${pctText(hi)}] keeps ${which}; here ${outcome}. ` +
    'For a graded filter, add judge models (`--judges M1,M2` on the command line; Prepare Data Set asks for them in VS Code).'
  );
}

/** 2. One classifier call per pair; the label and reason go to the record's meta, the personalizable pairs on. */
async function personalizableStep(
  step1: readonly BenchItem[],
  opts: PrepareOptions,
): Promise<{ kept: BenchItem[]; classifier: PrepareReport['classifier'] }> {
  let done = 0;
  opts.onProgress?.('personalizable', 0, step1.length);
  const classes = await runStep(
    opts.classifier,
    step1.map((it) => async (signal) => {
      const c = await classifyPair(opts.classifier, opts.classifierPrompt, it.pair, {
        temperature: opts.temperature,
        seed: opts.seed,
        signal,
      });
      opts.onProgress?.('personalizable', ++done, step1.length);
      return c;
    }),
    opts.signal,
  );
  stopOnFailedClassifications(classes, step1);
  const classifier = { model: opts.classifier.model, personalizable: 0, notPersonalizable: 0, failed: 0 };
  const kept: BenchItem[] = [];
  step1.forEach((it, i) => {
    const c = classes[i]!;
    it.record.meta!.personalizable = {
      label: c.personalizable,
      reason: c.reason,
      model: opts.classifier.model,
      prompt: promptHash(opts.classifierPrompt),
      ...(c.error ? { error: c.error } : {}),
    };
    if (c.personalizable === true) {
      classifier.personalizable++;
      kept.push(it);
    } else if (c.personalizable === false) classifier.notPersonalizable++;
    else classifier.failed++;
  });
  return { kept, classifier };
}

/** Votes of one judge on every pair, pair by pair; undefined when the judge is unavailable (its status says why). */
type JudgeVotes = JudgeVote[][] | undefined;

/** 3. Every judge votes on every pair in both orders; pairs whose agreement with the user lies in the range go on. */
async function disagreementStep(
  step2: readonly BenchItem[],
  opts: PrepareOptions,
): Promise<{ kept: BenchItem[]; judges: JudgeStatus[]; unjudged: number }> {
  const votes = { done: 0, total: step2.length * 2 * opts.judges.length };
  opts.onProgress?.('judges', 0, votes.total);
  // Per judge, per pair; flattened in the order the judges were given, whatever finishes first.
  const perJudge: JudgeVotes[] = opts.judges.map(() => undefined);
  const judges: JudgeStatus[] = [];
  const lanes = new ServerLanes();
  await Promise.all(
    opts.judges.map((judge, j) =>
      lanes.run(judge, j, async () => {
        const status: JudgeStatus = { model: judge.model, available: true, votes: 0 };
        judges.push(status);
        perJudge[j] = await judgeVotes(judge, j, step2, opts, status, votes);
      }),
    ),
  );
  judges.sort(
    (a, b) => opts.judges.findIndex((j) => j.model === a.model) - opts.judges.findIndex((j) => j.model === b.model),
  );
  if (opts.judges.length && !judges.some((j) => j.available)) {
    throw new UserError(
      `no judge model is available for the disagreement filter (${judges.map((j) => `${j.model}: ${j.error}`).join('; ')})`,
    );
  }
  return { ...keepAgreeing(step2, perJudge, opts), judges };
}

/**
 * One judge model at a time per server: Ollama holds a model or two in memory, and two judges voting side by
 * side on one server make it unload and reload models back and forth. Judges on different servers still vote
 * at the same time.
 */
class ServerLanes {
  private readonly lanes = new Map<string, Promise<unknown>>();

  run(judge: StepModel, j: number, work: () => Promise<void>): Promise<void> {
    const key = serverOf(judge) ?? `judge ${j}`;
    const run = (this.lanes.get(key) ?? Promise.resolve()).then(work);
    this.lanes.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }
}

/** A judge's votes; a judge that is (or turns out) unavailable is marked so, and its queued calls are dropped. */
async function judgeVotes(
  judge: StepModel,
  j: number,
  step2: readonly BenchItem[],
  opts: PrepareOptions,
  status: JudgeStatus,
  votes: { done: number; total: number },
): Promise<JudgeVotes> {
  const leaveOut = (message: string) => {
    status.available = false;
    status.error = message;
    opts.log?.(`judge ${judge.model} is unavailable and is left out of the disagreement filter: ${message}`);
    return undefined;
  };
  const unusable = await opts.judgeCheck?.(judge, j);
  if (unusable) return leaveOut(unusable.message);
  const system = judgeSystem(opts.judgePrompt, {});
  const mine: JudgeVote[][] = step2.map(() => []);
  const call = (it: BenchItem, i: number, order: Order) => async (signal: AbortSignal) => {
    const v = await judgeOrder(judge, system, it.pair, order, {
      temperature: opts.temperature,
      seed: opts.seed,
      signal,
      purpose: 'disagreement',
    });
    mine[i]!.push({
      model: judge.model,
      order,
      preference: v.preference,
      agrees: v.correct,
      ...(v.error ? { error: v.error } : {}),
    });
    opts.onProgress?.('judges', ++votes.done, votes.total);
  };
  try {
    // The pool stops the judge's other calls at its first fatal error (the first error is the one thrown).
    await runStep(
      judge,
      step2.flatMap((it, i) => (['AB', 'BA'] as const).map((order) => call(it, i, order))),
      opts.signal,
    );
  } catch (err) {
    if (opts.signal?.aborted || !isFatal(err)) throw err;
    return leaveOut((err as Error).message);
  }
  for (const m of mine) {
    m.sort((a, b) => a.order.localeCompare(b.order));
    status.votes += m.length;
  }
  return mine;
}

/** The pairs whose share of agreeing votes lies in the range; every vote and the share go to the record's meta. */
function keepAgreeing(
  step2: readonly BenchItem[],
  perJudge: readonly JudgeVotes[],
  opts: PrepareOptions,
): { kept: BenchItem[]; unjudged: number } {
  const [lo, hi] = opts.agreement;
  let unjudged = 0;
  const kept: BenchItem[] = [];
  step2.forEach((it, i) => {
    const v = perJudge.flatMap((m) => m?.[i] ?? []);
    const valid = v.filter((x) => x.preference !== null);
    const agreement = valid.length ? valid.filter((x) => x.agrees).length / valid.length : null;
    it.record.meta!.judge_votes = v;
    it.record.meta!.judge_agreement = agreement;
    if (agreement === null) {
      if (opts.judges.length) unjudged++;
      else kept.push(it);
    } else if (agreement >= lo - 1e-12 && agreement <= hi + 1e-12) kept.push(it);
  });
  return { kept, unjudged };
}

/** 4. Splits, for users that still have enough pairs. */
function splitStep(
  step3: readonly BenchItem[],
  opts: PrepareOptions,
): { kept: BenchItem[]; splits: Record<Split, number> } {
  const kept = filterUsers(step3, opts.minPairs);
  const splits: Record<Split, number> = { context: 0, validation: 0, test: 0 };
  const byUser = new Map<string, BenchItem[]>();
  for (const it of kept) {
    const list = byUser.get(it.record.user_id);
    if (list) list.push(it);
    else byUser.set(it.record.user_id, [it]);
  }
  for (const [user, list] of byUser) {
    // A data set written once, its splits explicit in the file (so they never move): the apportioned shuffle
    // gives every user the ratios exactly and no empty split, which splitting each pair by its id cannot.
    const s = legacySplitUser(
      user,
      list.map((x) => x.pair),
      { ratios: opts.splits, seed: opts.seed, temporal: false, minPairs: opts.minPairs },
    );
    for (const it of list) {
      const split = s.assignment.get(it.pair.pairId);
      if (split) it.record.split = split;
    }
    for (const k of SPLITS) splits[k] += s.counts[k];
  }
  return { kept, splits };
}

export function pctText(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** The server a judge's calls go to, when it says (an Llm's base URLs); judges that do not say get a lane each. */
function serverOf(model: StepModel): string | undefined {
  const urls = (model as { config?: { baseUrls?: readonly string[] } }).config?.baseUrls;
  return urls?.length ? [...urls].sort().join(',') : undefined;
}

// `theta optimize` as one engine call, shared by the CLI and VS Code's "Optimize Θ...": plan the run
// for the budget, size Ollama's context once, estimate (the dry run), search, adopt the winner only
// when the held-out users confirm it, and write the lineage and the report. The callers only format.

import { dirname, join } from 'node:path';
import type { UserEntry } from '../data/workspace-index';
import type { ContextPlan, Llm } from '../llm/client';
import { RequestBudget } from '../llm/request-budget';
import { RunLock, RunLockedError, type LockHolder } from '../eval/run-lock';
import { UserError } from '../user-error';
import { mkdirChecked } from '../write-guard';
import { estimateTokens } from '../llm/estimate';
import type { ChatRequest } from '../llm/types';
import { textHash } from '../text-hash';
import type { WorkspaceLayout } from '../workspace/layout';
import { pairsBySplit } from '../workspace/open-workspace';
import { labeledDemosOf, type FitPrompts } from '../method/fit';
import { composeTheta, exampleUsers, parseTheta } from '../method/worked-examples';
import { planFitRequests, TYPICAL_PERSONA, TYPICAL_REASONING } from '../method/fit-plan';
import { judgeMessages, judgeSystem, personaSynthesisMessages } from '../method/messages';
import type { Prompt } from '../method/prompt-store';
import type { PromptName } from '../method/default-prompts';
import { JUDGMENT_SCHEMA, PERSONA_SCHEMA } from '../method/schemas';
import { adoptTheta } from './acceptance';
import { MAX_THETA_CHARS } from './guards';
import { candidateFile, LineageWriter, thetaRunDir, thetaRunId } from './lineage';
import { MINIBATCH, planSearch, SEED_REWRITES, type ThetaPlan } from './plan';
import { FEEDBACK_CHARS, REFLECTION_PROMPT_HASH, REFLECTION_SCHEMA, reflectionMessages } from './reflection-prompt';
import { thetaReport } from './report';
import { searchTheta, type ThetaProgress, type ThetaSearchResult } from './search';
import { scoringPairs, type ThetaUserData } from './user-splits';

export interface ThetaOptimizeInputs {
  layout: WorkspaceLayout;
  prompts: { get(name: PromptName): Promise<Prompt> };
  users: readonly UserEntry[];
  seed: number;
  temperature: number;
  model: Llm;
  /** The model that rewrites Θ (usually larger); default the main model. */
  reflectModel?: Llm;
  budget: number;
  k: number;
  stopScore: number;
  /** The first stage's demo count (fit.ts); absent: the default. */
  labeledDemos?: number;
  merge: boolean;
}

/** What a run will do, before any call: its plan, its users and prompts, and Ollama's context sizes. */
export interface ThetaPrepared {
  inputs: ThetaOptimizeInputs;
  plan: ThetaPlan;
  users: ThetaUserData[];
  prompts: FitPrompts;
  context?: ContextPlan;
  reflectContext?: ContextPlan;
}

/** The largest requests of each kind, so Ollama's context is sized once, the same way on every run (it is part of the cache key). */
function sizingRequests(
  users: readonly ThetaUserData[],
  plan: ThetaPlan,
  prompts: FitPrompts,
  temperature: number,
  seed: number,
  k: number,
): { main: ChatRequest[]; reflection: ChatRequest } {
  const used = new Set(plan.users.map((u) => u.id));
  const mine = users.filter((u) => used.has(u.id));
  const main = planFitRequests(mine, prompts, { temperature, seed, k });
  const persona = judgeSystem(prompts.judge.text, { persona: TYPICAL_PERSONA });
  for (const u of mine)
    for (const p of scoringPairs(u, plan.pairsPerUser))
      main.push({ messages: judgeMessages(persona, p, 'AB'), schema: JUDGMENT_SCHEMA, temperature, seed });
  for (const u of mine) {
    const demos = u.context.map((pair) => ({
      pair,
      demo: { pairId: pair.pairId, order: 'AB' as const, preference: 'A' as const, reasoning: TYPICAL_REASONING },
    }));
    main.push({
      messages: personaSynthesisMessages(
        composeTheta('x'.repeat(MAX_THETA_CHARS), parseTheta(prompts.personaSynthesis.text).examples),
        demos,
      ),
      schema: PERSONA_SCHEMA,
      temperature,
      seed,
    });
  }
  const feedback = Array.from({ length: MINIBATCH }, () => 'x'.repeat(Math.floor(FEEDBACK_CHARS / MINIBATCH)));
  const reflection: ChatRequest = {
    messages: reflectionMessages('x'.repeat(MAX_THETA_CHARS), feedback, 'x'.repeat(200)),
    schema: REFLECTION_SCHEMA,
    temperature,
    seed,
  };
  return { main, reflection };
}

export interface ThetaPrepareOptions {
  /** Tolerates a server that cannot say its context, and never asks: a dry run spends nothing and shows the notes. */
  dryRun?: boolean;
  /**
   * Asked, before anything is spent (no call, not even the context sizing), when the plan's users are too few
   * for a candidate ever to be adopted or to be selected on more than one user (the plan's notes). True goes
   * on; false, or no one to ask, stops with ThetaTooFewUsersError. It may throw its own error instead (the CLI
   * names its flag).
   */
  goOnWithTooFewUsers?: (notes: readonly string[]) => boolean | Promise<boolean>;
}

/** The users are too few for the search to end in an adoption, and whoever started it did not choose to go on. */
export class ThetaTooFewUsersError extends UserError {
  readonly kind = 'too-few-users';

  constructor(readonly notes: readonly string[]) {
    super(`theta optimize: stopped before any call: ${notes.join('; ')}`, 2);
  }
}

/** Plans the run, checks its users (see ThetaPrepareOptions), and sizes the context. */
export async function prepareTheta(
  inputs: ThetaOptimizeInputs,
  opts: ThetaPrepareOptions = {},
): Promise<ThetaPrepared> {
  const get = inputs.prompts.get.bind(inputs.prompts);
  const prompts: FitPrompts = {
    bootstrap: await get('bootstrap'),
    personaSynthesis: await get('persona-synthesis'),
    judge: await get('judge'),
  };
  // A user whose fit is a worked example in Θ has data in Θ itself: the episodes would see their own answer.
  const inTheta = exampleUsers(prompts.personaSynthesis.text);
  const users: ThetaUserData[] = inputs.users
    .filter((u) => !inTheta.has(u.id))
    .map((u) => ({ id: u.id, ...pairsBySplit(u) }));
  const planned = planSearch(users, {
    budget: inputs.budget,
    k: inputs.k,
    labeledDemos: labeledDemosOf(inputs),
    seed: inputs.seed,
  });
  const left = inputs.users
    .filter((u) => inTheta.has(u.id))
    .map((u) => ({ user: u.id, reason: "a worked example in Θ comes from this user's fit, so Θ holds their data" }));
  const plan = left.length ? { ...planned, unused: [...planned.unused, ...left] } : planned;
  if (plan.notes.length && !opts.dryRun && !(await opts.goOnWithTooFewUsers?.(plan.notes)))
    throw new ThetaTooFewUsersError(plan.notes);
  const sizing = sizingRequests(users, plan, prompts, inputs.temperature, inputs.seed, inputs.k);
  const size = (l: Llm, rs: ChatRequest[]) =>
    opts.dryRun ? l.sizeContext(rs).catch(() => undefined) : l.sizeContext(rs);
  const context = await size(inputs.model, inputs.reflectModel ? sizing.main : [...sizing.main, sizing.reflection]);
  const reflectContext = inputs.reflectModel ? await size(inputs.reflectModel, [sizing.reflection]) : undefined;
  return {
    inputs,
    plan,
    users,
    prompts,
    ...(context ? { context } : {}),
    ...(reflectContext ? { reflectContext } : {}),
  };
}

export interface ThetaEstimate {
  budget: number;
  /** The most calls: the budget. */
  calls: number;
  /** The calls a run likely makes (likelyThetaCalls); at most `calls`. */
  likelyCalls: number;
  pairsPerUser: number;
  minibatch: number;
  seedRewrites: number;
  cachedFirstStageCalls: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * The dry run: the budget bounds the calls; the first stages' bootstrap requests are known exactly
 * (and may be cached), the rest is typical.
 */
export async function estimateTheta(p: ThetaPrepared): Promise<ThetaEstimate> {
  const { plan, users, prompts, inputs } = p;
  const used = new Set(plan.users.map((u) => u.id));
  const mine = users.filter((u) => used.has(u.id));
  const firstStage = planFitRequests(mine, prompts, {
    temperature: inputs.temperature,
    seed: inputs.seed,
    k: inputs.k,
    labeledDemos: labeledDemosOf(inputs),
  }).filter((r) => r.schema?.name !== PERSONA_SCHEMA.name);
  const fsEstimate = await inputs.model.estimate(
    firstStage.slice(0, Math.min(firstStage.length, plan.cost.firstStageBound)),
    { defaultCompletionTokens: 250 },
  );
  const persona = judgeSystem(prompts.judge.text, { persona: TYPICAL_PERSONA });
  const episode: ChatRequest[] = [];
  for (const u of mine)
    for (const q of scoringPairs(u, plan.pairsPerUser))
      episode.push({
        messages: judgeMessages(persona, q, 'AB'),
        schema: JUDGMENT_SCHEMA,
        temperature: inputs.temperature,
      });
  const perCall = episode.length ? episode.reduce((s, r) => s + estimateTokens(r.messages), 0) / episode.length : 0;
  const rest = Math.max(0, inputs.budget - plan.cost.firstStageBound);
  return {
    budget: inputs.budget,
    calls: inputs.budget,
    likelyCalls: likelyThetaCalls(plan, inputs.budget),
    pairsPerUser: plan.pairsPerUser,
    minibatch: plan.minibatch,
    seedRewrites: SEED_REWRITES,
    cachedFirstStageCalls: fsEstimate.cachedCalls,
    promptTokens: fsEstimate.promptTokens + Math.round(rest * perCall),
    completionTokens: fsEstimate.completionTokens + rest * 150,
  };
}

/**
 * The calls a search likely makes. It goes on while the budget has room for one more step with the held-out
 * check's share set aside (what the first stages' pruning leaves unspent goes to the search too), so it ends
 * with less than a step left, half a step on average; the held-out check is spent only when a candidate beat
 * the current Θ on the selection users, which a search mostly does not: likely the budget less half a step
 * and the check. (A search stopped early, by an unbeatable front or a run of repeated proposals, makes fewer.)
 */
export function likelyThetaCalls(plan: ThetaPlan, budget: number): number {
  const { step, finalCheck } = plan.cost;
  return Math.max(0, Math.min(budget, budget - Math.ceil(step / 2) - finalCheck));
}

export interface ThetaOutcome {
  result: ThetaSearchResult;
  runId: string;
  /** `.synthesizeme/theta/<run>/`: every candidate, its parent, its per-user scores, and report.md. */
  dir: string;
  reportPath: string;
  /** The best candidate's file in the lineage. */
  bestFile: string;
  /** Set when the new Θ was written to the prompt file (its previous text kept in history). */
  adopted?: { path: string; previous?: string; version: string };
  /** Why an accepted Θ was not written (the prompt file changed during the run). */
  notWritten?: string;
}

export interface ThetaRunHooks {
  signal?: AbortSignal;
  onStart?: (info: { dir: string; plan: ThetaPlan }) => void;
  onProgress?: (p: ThetaProgress) => void;
  onNote?: (message: string) => void;
  /** How paths are shown in the report and messages. */
  display?: (path: string) => string;
}

/** Another Θ search holds the workspace: a second one would spend a whole budget of its own on the same work. */
export class ThetaLockedError extends UserError {
  readonly kind = 'run-locked';

  constructor(holder: LockHolder | undefined, lockPath: string) {
    const who = holder ? `process ${holder.pid} since ${holder.started}` : 'another process';
    super(
      `theta optimize: another Θ search is running on this workspace (${who}); ` +
        `wait for it or stop it (if no such process is running, delete ${lockPath})`,
      1,
    );
  }
}

/** One Θ search per workspace at a time, as one writer per eval run (run-lock.ts): the second is refused at once. */
async function lockThetaSearch(stateDir: string, hooks: ThetaRunHooks): Promise<RunLock> {
  const dir = join(stateDir, 'theta');
  await mkdirChecked(dir);
  const target = join(dir, 'optimize');
  try {
    return await RunLock.acquire(target, {
      waitMs: 0,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onNote: (m) => hooks.onNote?.(m),
    });
  } catch (err) {
    if (err instanceof RunLockedError)
      throw new ThetaLockedError(err.holder, (hooks.display ?? ((x: string) => x))(err.lockPath));
    throw err;
  }
}

/**
 * Runs the search, adopts the winner when the held-out check passes, and writes the lineage and report.
 * Holds the workspace's Θ lock throughout, and caps the requests of both models at the budget.
 */
export async function runTheta(p: ThetaPrepared, hooks: ThetaRunHooks = {}): Promise<ThetaOutcome> {
  const { model, reflectModel } = p.inputs;
  const lock = await lockThetaSearch(dirname(p.inputs.layout.runsDir), hooks);
  const requests = new RequestBudget(p.inputs.budget);
  model.limitRequests(requests);
  reflectModel?.limitRequests(requests);
  try {
    return await searchAndAdopt(p, requests, hooks);
  } finally {
    // The models may outlive the run (VS Code's session): the cap is this run's.
    model.limitRequests(undefined);
    reflectModel?.limitRequests(undefined);
    await lock.release();
  }
}

/** What the run is: the same inputs give the same run folder, so a re-run resumes into it. */
function runIdentity(p: ThetaPrepared) {
  const { plan, users, prompts, inputs } = p;
  const { model, reflectModel: reflect } = inputs;
  const usedIds = new Set(plan.users.map((u) => u.id));
  return {
    model: `${model.provider}:${model.model}`,
    reflectModel: reflect ? `${reflect.provider}:${reflect.model}` : `${model.provider}:${model.model}`,
    budget: inputs.budget,
    seed: inputs.seed,
    k: inputs.k,
    stopScore: inputs.stopScore,
    labeledDemos: labeledDemosOf(inputs),
    temperature: inputs.temperature,
    merge: inputs.merge,
    prompts: {
      bootstrap: prompts.bootstrap.hash,
      'persona-synthesis': prompts.personaSynthesis.hash,
      judge: prompts.judge.hash,
      reflection: REFLECTION_PROMPT_HASH,
    },
    roles: plan.roles,
    pairsPerUser: plan.pairsPerUser,
    data: textHash(
      JSON.stringify(
        users
          .filter((u) => usedIds.has(u.id))
          .map((u) => [
            u.id,
            ...[...u.context, ...u.validation, ...u.test].map((q) => [
              q.pairId,
              q.context,
              q.chosen.content,
              q.rejected.content,
            ]),
          ]),
      ),
    ),
  };
}

async function searchAndAdopt(p: ThetaPrepared, requests: RequestBudget, hooks: ThetaRunHooks): Promise<ThetaOutcome> {
  const { plan, users, prompts, inputs } = p;
  const { model, reflectModel: reflect } = inputs;
  const show = hooks.display ?? ((x: string) => x);
  const identity = runIdentity(p);
  const runId = thetaRunId(identity);
  const dir = thetaRunDir(dirname(inputs.layout.runsDir), runId);
  const lineage = new LineageWriter(dir);
  hooks.onStart?.({ dir, plan });
  const result = await searchTheta({
    model,
    ...(reflect ? { reflectModel: reflect } : {}),
    users,
    plan,
    prompts,
    temperature: inputs.temperature,
    seed: inputs.seed,
    k: inputs.k,
    stopScore: inputs.stopScore,
    labeledDemos: labeledDemosOf(inputs),
    budget: inputs.budget,
    requests,
    merge: inputs.merge,
    lineage,
    runInfo: { run: runId, ...identity, users: plan.users, unused: plan.unused, plan: plan.cost },
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.onNote ? { onNote: hooks.onNote } : {}),
  });
  const bestFile = join(dir, 'candidates', candidateFile(result.best.id));
  const { adopted, notWritten } = result.accepted ? await adoptBest(p, result, show(bestFile)) : {};
  const reportPath = join(dir, 'report.md');
  await lineage.report(
    thetaReport(result, {
      runId,
      model: identity.model,
      reflectModel: identity.reflectModel,
      budget: inputs.budget,
      seed: inputs.seed,
      ...(adopted ? { adoptedTo: show(adopted.path) } : {}),
      ...(notWritten ? { notWritten } : {}),
    }),
  );
  return {
    result,
    runId,
    dir,
    reportPath,
    bestFile,
    ...(adopted ? { adopted } : {}),
    ...(notWritten ? { notWritten } : {}),
  };
}

/** Writes an accepted Θ as the workspace's persona-synthesis prompt, unless that prompt changed meanwhile. */
async function adoptBest(
  p: ThetaPrepared,
  result: ThetaSearchResult,
  bestFileShown: string,
): Promise<{ adopted?: ThetaOutcome['adopted']; notWritten?: string }> {
  const { prompts, inputs } = p;
  const adopted = await adoptTheta(
    inputs.layout.promptDir,
    inputs.layout.historyDir,
    prompts.personaSynthesis.hash,
    composeTheta(result.best.text, parseTheta(prompts.personaSynthesis.text).examples),
  );
  if (adopted) return { adopted };
  return {
    notWritten:
      'The persona-synthesis prompt changed while the search ran, ' +
      `so the accepted Θ was not written; it is in ${bestFileShown}.`,
  };
}

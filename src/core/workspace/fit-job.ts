// `fit` as one engine job, shared by the CLI (`synthesizeme fit --user/--all`) and VS Code (Fit User,
// Fit All Users): plan the run (who can be fitted, where it writes, Ollama's context sized once), estimate
// its calls (the dry run), then fit the users a few at a time in the one work pool and return what each
// fit wrote. A failed fit of one user is collected; a fatal error (server down, bad key, model missing)
// or a cancel stops every fit in flight. The callers only format.

import type { UserEntry } from '../data/workspace-index';
import type { ContextPlan, Llm } from '../llm/client';
import type { RunEstimate } from '../llm/estimate';
import type { ChatRequest } from '../llm/types';
import { DEFAULT_FIT_OPTIONS, type FitKnobs, type FitProgress, type FitPrompts, likelyFitCalls } from '../method/fit';
import { fitPhaseBounds, planFitRequests } from '../method/fit-plan';
import { isFatal } from '../method/judge';
import type { PromptName } from '../method/default-prompts';
import type { Prompt } from '../method/prompt-store';
import { UserError } from '../user-error';
import { forEachInPool } from '../work-pool';
import { checkFitTargets, fitAndSave, type FitAndSaveResult } from './fit-and-save';
import type { WorkspaceLayout } from './layout';
import { FitTracker, type FitStatus } from './fit-status';
import { pairsBySplit } from './open-workspace';

/** Users fitted side by side: enough to keep every server busy; the model's scheduler bounds the calls. */
export const FIT_CONCURRENCY = 4;

export interface FitJobInputs {
  layout: WorkspaceLayout;
  prompts: { get(name: PromptName): Promise<Prompt> };
  users: readonly UserEntry[];
  model: Llm;
  temperature: number;
  seed: number;
  /** The search's settings; absent ones take the fit's defaults. */
  knobs?: Partial<FitKnobs>;
  /** How the workspace is named in messages (the path given, the folder's name). */
  where?: string;
  /** Batch mode (--batch): each selection asks all its verdicts at once (FitOptions.batched). */
  batched?: boolean;
}

/** A user who was not fitted, and why (the error itself when a fit failed, for a face that words it its way). */
export interface FitFailure {
  user: string;
  reason: string;
  error?: unknown;
}

/** What a fit will do, before any call. */
export interface FitPlan {
  inputs: FitJobInputs;
  prompts: FitPrompts;
  knobs: Required<FitKnobs>;
  /** The users with context pairs to learn from. */
  ready: UserEntry[];
  /** The users left out before any call (too small to split, no context pairs). */
  skipped: FitFailure[];
  /** Every request the fits may make (an upper bound past the first bootstrap pass). */
  requests: ChatRequest[];
  context?: ContextPlan;
}

/** Nothing to fit is bad input (exit 2): "fitted 0 of 0" would read as a success. */
export class NothingToFitError extends UserError {
  constructor(where: string) {
    super(`fit: no users in ${where}: no preference file there holds a pair`, 2);
  }
}

function whyNotReady(u: UserEntry): string | undefined {
  if (pairsBySplit(u).context.length > 0) return undefined;
  return u.split.tooSmall
    ? `only ${u.pairs.length} pairs: too small to split`
    : `no context pairs to learn from (${u.pairs.length} pairs)`;
}

async function fitPrompts(store: FitJobInputs['prompts']): Promise<FitPrompts> {
  return {
    bootstrap: await store.get('bootstrap'),
    personaSynthesis: await store.get('persona-synthesis'),
    judge: await store.get('judge'),
  };
}

/**
 * Plans the fit: who is ready, where each persona and its versions go (checked before any call unless
 * `dryRun`: a folder linked out of the workspace was refused only after every call), and Ollama's
 * context, sized once from the largest prompt the fit can send (`dryRun` tolerates a server that cannot say).
 */
export async function planFit(inputs: FitJobInputs, opts: { dryRun?: boolean } = {}): Promise<FitPlan> {
  if (!inputs.users.length) throw new NothingToFitError(inputs.where ?? inputs.layout.root);
  const knobs: Required<FitKnobs> = {
    k: inputs.knobs?.k ?? DEFAULT_FIT_OPTIONS.k,
    stopScore: inputs.knobs?.stopScore ?? DEFAULT_FIT_OPTIONS.stopScore,
    labeledDemos: inputs.knobs?.labeledDemos ?? DEFAULT_FIT_OPTIONS.labeledDemos,
  };
  const prompts = await fitPrompts(inputs.prompts);
  const ready = inputs.users.filter((u) => !whyNotReady(u));
  const skipped = inputs.users.filter((u) => whyNotReady(u)).map((u) => ({ user: u.id, reason: whyNotReady(u)! }));
  if (!opts.dryRun)
    await checkFitTargets(
      inputs.layout,
      ready.map((u) => u.id),
    );
  const { temperature, seed } = inputs;
  const requests = planFitRequests(ready.map(pairsBySplit), prompts, { temperature, seed, ...knobs });
  const context = opts.dryRun
    ? await inputs.model.sizeContext(requests).catch(() => undefined)
    : await inputs.model.sizeContext(requests);
  return { inputs, prompts, knobs, ready, skipped, requests, ...(context ? { context } : {}) };
}

/** The dry run: at most this many calls (retries not included); candidate pruning usually needs far fewer. */
export function estimateFit(plan: FitPlan): Promise<RunEstimate> {
  return plan.inputs.model.estimate(plan.requests, { defaultCompletionTokens: 200 });
}

/** The calls the plan's fits likely make (fit.ts likelyFitCalls), beside the estimate's upper bound. */
export function likelyFitJobCalls(plan: FitPlan): number {
  return plan.ready.reduce((n, u) => {
    const s = pairsBySplit(u);
    return n + likelyFitCalls(s.context.length, s.validation.length, plan.knobs);
  }, 0);
}

export interface FittedUser extends FitAndSaveResult {
  user: string;
}

export interface FitJobResult {
  fitted: FittedUser[];
  /** The users skipped by the plan, then those whose fit failed. */
  failed: FitFailure[];
  /** Every user asked about, fitted or not. */
  users: number;
}

export interface FitRunHooks {
  signal?: AbortSignal;
  /** Users finished (fitted or failed) of the ready ones; first called with 0. */
  onProgress?: (finished: number, total: number, last?: string) => void;
  /** One user's fit, phase by phase. */
  onUserProgress?: (user: string, p: FitProgress) => void;
  /** Where the whole job stands (phase, calls against the estimate, ETA): after every call and phase event. */
  onStatus?: (s: FitStatus) => void;
  /** Tests: the clock the ETA is measured by. */
  clock?: () => number;
  /** Things a researcher should know that are not errors (a candidate left out, and why). */
  onNote?: (user: string, message: string) => void;
  onFitted?: (f: FittedUser) => void;
  onFailed?: (f: FitFailure) => void;
}

/** Fits the plan's users, at most FIT_CONCURRENCY at a time, each persona written with its provenance. */
export async function runFit(plan: FitPlan, hooks: FitRunHooks = {}): Promise<FitJobResult> {
  const { inputs, ready } = plan;
  const fitted: FittedUser[] = [];
  const failed: FitFailure[] = [...plan.skipped];
  let finished = 0;
  const tracker = trackerOf(plan, hooks);
  hooks.onProgress?.(0, ready.length);
  const pool = { concurrency: FIT_CONCURRENCY, ...(hooks.signal ? { signal: hooks.signal } : {}) };
  await forEachInPool(ready, pool, async (u, signal) => {
    try {
      const f = { user: u.id, ...(await fitOne(plan, u, signal, hooks, tracker)) };
      fitted.push(f);
      hooks.onFitted?.(f);
    } catch (err) {
      // A server that is down, a bad key or a missing model ends the run (and the siblings); anything else ends one user.
      if (signal.aborted || isFatal(err)) throw err;
      const f = { user: u.id, reason: (err as Error).message, error: err };
      failed.push(f);
      hooks.onFailed?.(f);
    }
    tracker?.finished(u.id);
    hooks.onProgress?.(++finished, ready.length, u.id);
  });
  return { fitted, failed, users: inputs.users.length };
}

/** The job's tracker when a face asked for its status: each ready user's most calls per phase to start from. */
function trackerOf(plan: FitPlan, hooks: FitRunHooks): FitTracker | undefined {
  if (!hooks.onStatus) return undefined;
  const bounds = new Map(
    plan.ready.map((u) => {
      const s = pairsBySplit(u);
      return [u.id, fitPhaseBounds(s.context.length, s.validation.length, plan.knobs)] as const;
    }),
  );
  return new FitTracker(bounds, hooks.onStatus, hooks.clock);
}

function fitOne(
  plan: FitPlan,
  u: UserEntry,
  signal: AbortSignal,
  hooks: FitRunHooks,
  tracker: FitTracker | undefined,
): Promise<FitAndSaveResult> {
  const { inputs } = plan;
  const onUserProgress = hooks.onUserProgress;
  const onProgress =
    onUserProgress || tracker
      ? (p: FitProgress) => {
          tracker?.phase(u.id, p);
          onUserProgress?.(u.id, p);
        }
      : undefined;
  const model = tracker ? tracker.model(u.id, inputs.model) : inputs.model;
  return fitAndSave(model, inputs.layout, u, plan.prompts, {
    temperature: inputs.temperature,
    seed: inputs.seed,
    ...plan.knobs,
    ...(inputs.batched ? { batched: true } : {}),
    signal,
    onNote: (m) => hooks.onNote?.(u.id, m),
    ...(onProgress ? { onProgress } : {}),
  });
}

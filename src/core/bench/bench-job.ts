// `bench run` as one engine job, shared by the CLI and VS Code's "Run Methods...": plan the run
// (prepareBench: users, prompts, where the personas go), bound its calls (estimateBench, the dry run),
// then fit, evaluate and compare (runBench) into one result with its table. The callers only format.

import { join } from 'node:path';
import type { Llm } from '../llm/client';
import type { UserEntry } from '../data/workspace-index';
import type { PromptName } from '../method/default-prompts';
import type { FitPrompts, FitSettings } from '../method/fit';
import { fitSettingsOf, selectionCallBound } from '../method/fit';
import { isMethod, isRewardMethod, isRubricMethod, METHODS, needsPersona, type Method } from '../method/methods';
import type { Prompt } from '../method/prompt-store';
import type { WorkspaceLayout } from '../workspace/layout';
import { pairsBySplit } from '../workspace/open-workspace';
import { UserError } from '../user-error';
import type { RewardModel } from '../llm/reward-client';
import { checkRewardInputs } from '../eval/reward-eval';
import { checkSimilarInputs } from '../eval/similar-eval';
import type { Embedder } from '../llm/embeddings';
import { benchRun, benchRunMarkdown, fittable, rowName, type BenchJobOptions, type BenchRunResult } from './run';
import { writeBenchText } from './bench-output';

/** What every benchmark job (run, scaling) takes from a workspace and its options. */
export interface BenchJobInputs extends FitSettings {
  layout: Pick<WorkspaceLayout, 'runsDir' | 'personaDir'>;
  prompts: { get(name: PromptName): Promise<Prompt> };
  users: readonly UserEntry[];
  /** Transfer mode: fit every persona with this model instead of the evaluating one. */
  fitModel?: Llm;
}

export interface BenchInputs extends BenchJobInputs {
  methods: readonly string[];
  /** Models to evaluate with. */
  models: readonly Llm[];
  /** A persona-synthesis prompt Θ to fit with instead of the workspace's (its personas go apart). */
  theta?: Prompt;
  /** Where the results table is written too; absent: it is only returned. */
  reportFile?: string;
  /** The rubric methods: context pairs per judge prompt (default DEFAULT_RUBRIC_CONTEXT). */
  rubricContext?: number;
  /** The reward-model methods: the served reward model that scores (the same for every evaluation model). */
  reward?: RewardModel;
  /** `--samples k`: each order judged k times and aggregated (a reward model's score is not sampled); default 1. */
  samples?: number;
  /** `--similar-users m`: each persona method gets a row whose prompts also read the m nearest users (run.ts). */
  similarUsers?: number;
  /** The model that embeds users for `similarUsers` (`--embed-model`). */
  embedder?: Embedder;
}

export interface BenchPlan {
  inputs: BenchInputs;
  methods: Method[];
  personaRoot: string;
}

export interface BenchEstimate {
  users: number;
  /** An upper bound: candidate pruning usually needs far fewer. */
  fitCallsAtMost: number;
  evalCalls: number;
  /** `--similar-users`: one embedding per user at most (none for a vector already cached). */
  embedCallsAtMost?: number;
}

export interface BenchHooks {
  signal?: AbortSignal;
  onProgress?: (label: string, done: number, total: number) => void;
  onNote?: (message: string) => void;
}

export interface BenchOutcome {
  result: BenchRunResult;
  /** The results table (methods x models), the comparisons and the fitting cost. */
  markdown: string;
  /** One line per comparison with default and per user a method skipped. */
  details: string[];
  /** Cells with failed calls: those pairs are left out until the benchmark runs again. */
  incomplete?: string;
  /** No cell judged a single pair. */
  empty: boolean;
  reportFile?: string;
  calls: number;
  cacheHits: number;
}

/** The workspace's prompts a benchmark fits and evaluates with. */
export async function benchPrompts(prompts: BenchJobInputs['prompts']): Promise<FitPrompts & { memory: Prompt }> {
  return {
    bootstrap: await prompts.get('bootstrap'),
    personaSynthesis: await prompts.get('persona-synthesis'),
    judge: await prompts.get('judge'),
    memory: await prompts.get('memory'),
  };
}

/** The options benchRun and scaling share, from a job's inputs and hooks. */
export function jobOptions(
  inputs: BenchJobInputs,
  prompts: FitPrompts & { memory: Prompt },
  hooks: BenchHooks,
): BenchJobOptions {
  return {
    users: inputs.users,
    ...(inputs.fitModel ? { fitModel: inputs.fitModel } : {}),
    runsDir: inputs.layout.runsDir,
    prompts,
    ...fitSettingsOf(inputs),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.onNote ? { log: hooks.onNote } : {}),
  };
}

export function checkUsers(users: readonly UserEntry[]): void {
  if (!users.length) throw new UserError('the workspace has no users', 2);
}

/** Checks the methods, users and models; reads nothing yet (the dry run writes nothing, not even the default prompts). */
export function prepareBench(inputs: BenchInputs): BenchPlan {
  const bad = inputs.methods.filter((m) => !isMethod(m));
  if (bad.length || !inputs.methods.length)
    throw new UserError(`unknown method "${bad[0] ?? ''}" (${METHODS.join(', ')})`, 2);
  checkUsers(inputs.users);
  if (!inputs.models.length) throw new UserError('no evaluation model', 2);
  checkRewardInputs(inputs.methods, inputs.reward);
  checkSimilarInputs(inputs.similarUsers, inputs.embedder);
  const theta = inputs.theta;
  return {
    inputs,
    methods: inputs.methods as Method[],
    // Personas fitted with another Θ must never be taken for the workspace's own (nor reused for them).
    personaRoot: theta
      ? join(inputs.layout.personaDir, `theta-${theta.hash.slice('sha256:'.length, 'sha256:'.length + 12)}`)
      : inputs.layout.personaDir,
  };
}

/**
 * An upper bound of the calls, from counts alone (nothing is called). Fitting a user costs at most n_context
 * bootstrap + (2k + 3) x n_validation selection + 1 synthesis + n_context re-bootstrap calls (fit.ts prunes
 * most selection calls); evaluating costs 2 calls per test pair and method (2k with `samples` k), plus one memory
 * extraction per user.
 */
export function benchCallBound(
  users: readonly UserEntry[],
  methods: readonly string[],
  knobs: { k: number; labeledDemos?: number; samples?: number },
  runs: { models: number; fitModels: number; sizes?: number },
): BenchEstimate {
  let fit = 0;
  let evalCalls = 0;
  for (const u of users) {
    const s = pairsBySplit(u);
    if (fittable(u))
      fit +=
        2 * s.context.length +
        selectionCallBound(s.context.length, s.validation.length, knobs, false) +
        selectionCallBound(s.context.length, s.validation.length, knobs, true) +
        1;
    for (const m of methods) {
      const draws = isMethod(m) && isRewardMethod(m) ? 1 : (knobs.samples ?? 1);
      evalCalls += 2 * draws * s.test.length + (m === 'memory' && s.context.length ? 1 : 0);
    }
  }
  const sizes = runs.sizes ?? 1;
  const wantFit = methods.some((m) => isMethod(m) && needsPersona(m));
  return {
    users: users.length,
    fitCallsAtMost: wantFit ? fit * runs.fitModels * sizes : 0,
    evalCalls: evalCalls * runs.models * sizes,
  };
}

export function estimateBench(plan: BenchPlan): BenchEstimate {
  const { inputs } = plan;
  // The similar-users rows are the persona methods judged once more.
  const similar = inputs.similarUsers && inputs.embedder ? plan.methods.filter(needsPersona) : [];
  const bound = benchCallBound(inputs.users, [...plan.methods, ...similar], inputs, {
    models: inputs.models.length,
    fitModels: inputs.fitModel ? 1 : new Set(inputs.models.map((m) => m.model)).size,
  });
  return similar.length ? { ...bound, embedCallsAtMost: inputs.users.length } : bound;
}

export async function runBench(plan: BenchPlan, hooks: BenchHooks = {}): Promise<BenchOutcome> {
  const { inputs } = plan;
  const models = [...new Set([...inputs.models, ...(inputs.fitModel ? [inputs.fitModel] : [])])];
  const before = models.map((m) => m.counters());
  const prompts = {
    ...(await benchPrompts(inputs.prompts)),
    // Read (and written out on first use) only when a rubric method is benchmarked.
    ...(plan.methods.some(isRubricMethod) ? { rubric: await inputs.prompts.get('rubric') } : {}),
  };
  const result = await benchRun({
    ...(inputs.rubricContext !== undefined ? { rubricContext: inputs.rubricContext } : {}),
    ...(inputs.reward ? { reward: inputs.reward } : {}),
    ...(inputs.samples !== undefined ? { samples: inputs.samples } : {}),
    ...(inputs.similarUsers && inputs.embedder ? { similarUsers: inputs.similarUsers, embedder: inputs.embedder } : {}),
    ...jobOptions(inputs, inputs.theta ? { ...prompts, personaSynthesis: inputs.theta } : prompts, hooks),
    methods: plan.methods,
    models: inputs.models,
    personaRoot: plan.personaRoot,
  });
  const markdown = benchRunMarkdown(result);
  const details = [
    ...result.comparisons.map((c) => `${rowName(c)} vs ${c.baseline} (${c.model}): ${c.sentence}`),
    ...result.cells.flatMap((c) => c.skipped.map((s) => `${rowName(c)} (${c.model}): skipped ${s.user}: ${s.reason}`)),
  ];
  if (inputs.reportFile)
    await writeBenchText(inputs.reportFile, [markdown, ...details.map((d) => `- ${d}`)].join('\n') + '\n');
  const incomplete = result.cells.filter((c) => !c.complete);
  const missing = incomplete.map((c) => `${rowName(c)} on ${c.model}: ${c.failedCalls} failed call(s)`).join('; ');
  const after = models.map((m) => m.counters());
  return {
    result,
    markdown,
    details,
    ...(incomplete.length
      ? {
          incomplete: `The benchmark is incomplete: ${missing}. Run the same command again to judge the missing pairs.`,
        }
      : {}),
    empty: result.cells.every((c) => c.pairs === 0),
    ...(inputs.reportFile ? { reportFile: inputs.reportFile } : {}),
    calls: after.reduce((n, c, i) => n + c.calls - before[i]!.calls, 0),
    cacheHits: after.reduce((n, c, i) => n + c.cacheHits - before[i]!.cacheHits, 0),
  };
}

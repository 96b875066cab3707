// Evaluate...: a method (quick pick) on the test or validation split for one or all users; every
// verdict goes to a run file, which the Verdicts view opens.

import * as vscode from 'vscode';
import { isMethod, isRewardMethod, type Method, METHODS } from '../../core/method';
import type { RewardModel } from '../../core/llm';
import {
  accuracyHeadline,
  type EvalJobInputs,
  type EvalResult,
  type EvalSplit,
  type EvalUser,
  prepareEval,
  rateText,
  runEval,
  smallSampleNote,
} from '../../core/eval';
import { type UserEntry } from '../../core/data';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { rephraseAdvice } from '../error-notice';
import { pickUser, readPersonaOf, type RunInputs, runInputs } from './run-inputs';

export interface EvaluateArgs {
  method?: Method;
  split?: 'test' | 'validation';
  userId?: string;
  /** The workspace folder (its URI); else the active editor's, the only one, or a pick. */
  folder?: string;
}

export async function evaluateUsers(
  ctx: Ctx,
  folder: Folder,
  users: readonly UserEntry[],
  method: Method,
  split: EvalSplit,
  personaOverride?: Map<string, { model: EvalUser['persona']; hash: string }>,
  cancel?: vscode.CancellationToken,
): Promise<EvalResult> {
  const inputs = await runInputs(folder);
  const reward = await rewardFor(folder, method);
  try {
    const prepared = await prepareEval(evalInputs(inputs, users, method, split, personaOverride, reward), {
      onNote: (m) => ctx.log.warn('eval', m),
    });
    const { results } = await ctx.runs.run(
      `evaluating ${method} on ${split}`,
      (signal, report) => runEval(prepared, { signal, onProgress: (_method, done, total) => report(done, total) }),
      cancel,
    );
    return results[0]!;
  } finally {
    await reward?.dispose();
  }
}

/** The reward model of a reward method (the folder's `synthesizeme.reward.*` settings); none for the others. */
export function rewardFor(folder: Folder, method: Method): Promise<RewardModel | undefined> {
  return isRewardMethod(method) ? folder.model.openReward() : Promise.resolve(undefined);
}

/** The engine's inputs of an eval run over a folder; a persona is the open editor's text when it is open. */
export function evalInputs(
  inputs: RunInputs,
  users: readonly UserEntry[],
  method: Method,
  split: EvalSplit,
  personas?: EvalJobInputs['personas'],
  reward?: RewardModel,
): EvalJobInputs {
  const { folder } = inputs;
  return {
    layout: inputs.layout,
    prompts: inputs.prompts,
    users,
    methods: [method],
    split,
    model: inputs.llm,
    temperature: inputs.temperature,
    seed: inputs.seed,
    rubricContext: inputs.rubricContext,
    samples: inputs.samples,
    readPersona: (id) => readPersonaOf(folder, id),
    ...(personas ? { personas } : {}),
    ...(reward ? { reward } : {}),
    display: (p) => folder.relative(p),
  };
}

export function accuracyText(r: Pick<EvalResult, 'accuracy' | 'ci95' | 'pairs'>): string {
  return accuracyHeadline(r.accuracy, r.ci95, r.pairs);
}

const METHOD_NOTES: Partial<Record<Method, string>> = {
  'persona+demos': 'SynthesizeMe',
  default: 'no personalization',
  rubric: 'weighted criteria and scores (P-GenRM prompt-only)',
  'rubric+persona': 'rubric with the fitted persona',
  'reward-model': 'a served reward model scores each reply (synthesizeme.reward.model)',
  'reward-model+persona': 'the reward model, with the persona as its system message',
};

export async function evaluateCommand(ctx: Ctx, arg: unknown): Promise<EvalResult | undefined> {
  const a = (arg ?? {}) as EvaluateArgs & { userId?: unknown };
  let method = typeof a.method === 'string' && isMethod(a.method) ? a.method : undefined;
  if (!method) {
    const pick = await vscode.window.showQuickPick(
      METHODS.map((m) => ({
        label: m,
        description: METHOD_NOTES[m] ?? '',
      })),
      { title: 'Evaluate: which method?' },
    );
    if (!pick) return undefined;
    method = pick.label as Method;
  }
  const split = a.split === 'validation' ? 'validation' : 'test';
  let folder: Folder | undefined;
  let users: readonly UserEntry[];
  if (typeof a.userId === 'string') {
    const picked = await pickUser(ctx, a, `Evaluate ${method}`);
    if (!picked) return undefined;
    ({ folder } = picked);
    users = [picked.user];
  } else {
    folder = await ctx.folders.choose(a, `Evaluate ${method} on ${split}: which folder's users?`);
    if (!folder) return undefined;
    users = (await folder.files.get()).users();
  }
  const r = await evaluateUsers(ctx, folder, users, method, split);
  // `synthesizeme.samples` k > 1: how far each order's k samples agreed.
  const agreed = r.samplesPerOrder
    ? `, sample consistency ${rateText(r.sampleConsistency ?? Number.NaN)} of ${r.samplesPerOrder}`
    : '';
  const summary = `${accuracyText(r)} over ${r.samples} samples of ${r.pairs} pairs${agreed}; run ${r.run}`;
  ctx.log.info('eval', `${method} on ${split}: ${summary}`);
  if (r.resumed) ctx.log.info('eval', `${method}: resumed ${r.resumed} pair(s) from ${folder.relative(r.run)}`);
  for (const s of r.skipped) ctx.log.warn('eval', `skipped ${s.user}: ${s.reason}`);
  if (!r.complete) showIncomplete(ctx, r);
  else showDone(ctx, r);
  return r;
}

const showVerdicts = (run: string) => (pick: string | undefined) => {
  if (pick) void vscode.commands.executeCommand('synthesizeme.showVerdicts', run);
};

/** A failed call is no answer: the figures leave those pairs out; running the same command resumes them. */
function showIncomplete(ctx: Ctx, r: EvalResult): void {
  // The reasons are the engine's words (kept in the run file): their advice said the editor's way.
  const why = rephraseAdvice(
    r.failed.reasons
      .slice(0, 3)
      .map((x) => `${x.message}${x.count > 1 ? ` (x${x.count})` : ''}`)
      .join('; '),
  );
  const text =
    `SynthesizeMe: ${r.method} on ${r.split} is INCOMPLETE: ${r.failed.calls} call(s) failed for ${r.failed.pairs} pair(s) (${why}). ` +
    'The figures leave those pairs out; run Evaluate again to judge them.';
  ctx.log.warn('eval', text);
  void vscode.window.showWarningMessage(text, 'Show Verdicts').then(showVerdicts(r.run));
}

function showDone(ctx: Ctx, r: EvalResult): void {
  const small = smallSampleNote(r.pairs);
  if (small) ctx.log.warn('eval', `${r.method} on ${r.split}: ${small}`);
  const unparseable = r.unparseable ? `, ${r.unparseable} unparseable answer(s)${noDecisionText(r)}` : '';
  const skipped = r.skipped.length ? `; skipped ${r.skipped.map((s) => s.user).join(', ')}` : '';
  const figures = `${accuracyText(r)}, consistency ${rateText(r.consistency)}${unparseable}`;
  void vscode.window
    .showInformationMessage(
      `SynthesizeMe: ${r.method} on ${r.split}: ${figures}${small ? ` (${small})` : ''}${skipped}.`,
      'Show Verdicts',
    )
    .then(showVerdicts(r.run));
}

/** A rubric run's unparseable answers said by kind: ` (1 tie, 2 unreadable)`. */
function noDecisionText(r: EvalResult): string {
  return r.ties === undefined ? '' : ` (${r.ties} tie(s), ${r.unreadable ?? 0} unreadable)`;
}

// Optimize Θ...: the engine's theta optimize (the CLI's too) over a folder's users, with its estimate
// first, progress in calls against the budget, and cancel; then the winning Θ against the current one
// in the diff editor, and the report.

import * as vscode from 'vscode';
import {
  estimateTheta,
  LIGHT_BUDGET,
  MEDIUM_BUDGET,
  parseBudget,
  prepareTheta,
  runTheta,
  type ThetaOutcome,
  type ThetaPrepared,
  ThetaTooFewUsersError,
} from '../../core/theta';
import { DEFAULT_FIT_OPTIONS } from '../../core/method';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import { runInputs } from './run-inputs';
import { showMarkdownReport } from './bench-files';

export async function optimizeThetaCommand(ctx: Ctx, arg: unknown): Promise<ThetaOutcome | undefined> {
  const folder = await ctx.folders.choose(arg, 'Optimize Θ for which folder?');
  if (!folder) return undefined;
  const given = (arg as { budget?: unknown } | undefined)?.budget;
  const budget = await askBudget(given);
  if (budget === undefined) return undefined;
  const inputs = await runInputs(folder);
  const k =
    typeof (arg as { k?: unknown } | undefined)?.k === 'number' ? (arg as { k: number }).k : DEFAULT_FIT_OPTIONS.k;
  let prepared: ThetaPrepared;
  try {
    prepared = await prepareTheta(
      {
        layout: inputs.layout,
        prompts: inputs.prompts,
        users: inputs.index.users(),
        seed: inputs.seed,
        temperature: inputs.temperature,
        model: inputs.llm,
        budget,
        k,
        stopScore: DEFAULT_FIT_OPTIONS.stopScore,
        merge: true,
      },
      { goOnWithTooFewUsers: (notes) => goOnWithTooFewUsers(ctx, notes, given) },
    );
  } catch (err) {
    if (err instanceof ThetaTooFewUsersError) return undefined; // declined: nothing was spent
    throw err;
  }
  const estimate = await estimateText(prepared);
  ctx.log.info('theta', estimate);
  const outcome = await ctx.runs.run('optimizing Θ', (signal, report) => {
    report(0, budget, estimate);
    return runTheta(prepared, {
      signal,
      display: (p) => folder.relative(p),
      onStart: ({ dir }) => ctx.log.info('theta', `lineage in ${folder.relative(dir)}`),
      onProgress: (p) =>
        report(
          p.used,
          p.budget,
          `${p.phase}${p.phase === 'search' ? ` step ${p.step}` : ''}: ${p.used} of ${p.budget} calls`,
        ),
      onNote: (m) => ctx.log.info('theta', m),
    });
  });
  await showOutcome(ctx, prepared, outcome, budget);
  return outcome;
}

/**
 * Too few users for any candidate to be adopted: said, before anything is spent, and asked whether to go on. Asked
 * only when a person started it (no budget given): a caller that passes its arguments has chosen.
 */
async function goOnWithTooFewUsers(ctx: Ctx, notes: readonly string[], given: unknown): Promise<boolean> {
  for (const n of notes) ctx.log.warn('theta', n);
  if (given !== undefined) return true;
  const go = await vscode.window.showWarningMessage(
    `SynthesizeMe: too few users for Θ optimization: ${notes.join(' ')} Run anyway?`,
    { modal: false },
    'Run Anyway',
  );
  return go === 'Run Anyway';
}

/** The budget given by the caller, else picked by the person; undefined when they cancel. */
async function askBudget(given: unknown): Promise<number | undefined> {
  let budgetText = typeof given === 'string' || typeof given === 'number' ? String(given) : undefined;
  if (!budgetText) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'light', description: `at most ${LIGHT_BUDGET} calls` },
        { label: 'medium', description: `at most ${MEDIUM_BUDGET} calls` },
      ],
      { title: 'Optimize Θ: the budget (every call counts, cache hits included)' },
    );
    if (!pick) return undefined;
    budgetText = pick.label;
  }
  try {
    return parseBudget(budgetText);
  } catch (err) {
    throw new UserError((err as Error).message, 2);
  }
}

async function estimateText(prepared: ThetaPrepared): Promise<string> {
  const est = await estimateTheta(prepared);
  const { roles } = prepared.plan;
  return (
    `likely ${est.likelyCalls}, at most ${est.calls} call(s), about ${est.promptTokens + est.completionTokens} tokens; users: ` +
    `reflection ${roles.reflection.join(', ')}, selection ${roles.selection.join(', ')}, held-out ${roles.heldOut.join(', ')}`
  );
}

/** The outcome in the log, the winner against the current Θ in the diff editor, the report, and a message. */
async function showOutcome(ctx: Ctx, prepared: ThetaPrepared, outcome: ThetaOutcome, budget: number): Promise<void> {
  const r = outcome.result;
  const held = r.heldOut?.comparison;
  const figures = held ? ` Held-out users: ${held.sentence}.` : '';
  ctx.log.info(
    'theta',
    `${r.reason}.${figures} ${r.calls.used} of ${budget} calls; ${r.calls.requests} request(s) sent to the server, retries included.`,
  );
  // The winner against the current Θ: what would change (or has changed, when adopted).
  const current = prepared.prompts.personaSynthesis;
  if (r.best !== r.baseline) {
    const left = current.path
      ? vscode.Uri.file(outcome.adopted?.previous ?? current.path)
      : (await vscode.workspace.openTextDocument({ content: current.text, language: 'markdown' })).uri;
    await vscode.commands.executeCommand(
      'vscode.diff',
      left,
      vscode.Uri.file(outcome.adopted?.path ?? outcome.bestFile),
      `Θ: ${outcome.adopted ? 'previous ↔ adopted' : 'current ↔ best candidate (not adopted)'}`,
    );
  }
  await showMarkdownReport(ctx, vscode.Uri.file(outcome.reportPath));
  const message = outcome.adopted
    ? `SynthesizeMe: a new Θ was adopted.${figures}`
    : `SynthesizeMe: Θ not adopted: ${r.reason}.${figures}`;
  void vscode.window.showInformationMessage(message);
}

// Re-validate a prompt (the judge prompt, memory's, or Θ): its lens on every prompt file, or the command
// palette. The engine's revalidate (src/core/eval/revalidate.ts, the CLI's too) judges the split with the
// text as it is now and with its previous version; here the diff editor shows the two versions and the
// Verdicts view the result, with the paired sentence.

import * as vscode from 'vscode';
import {
  comparisonPowerNote,
  estimateRevalidation,
  isRevalidatePrompt,
  prepareRevalidation,
  REVALIDATE_PROMPTS,
  type RevalidatePrompt,
  type RevalidateResult,
  type RevalidationPlan,
  runRevalidation,
} from '../../core/eval';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { type RunInputs, runInputs } from './run-inputs';

/**
 * The prompt a command argument names: a prompt file's URI (or `{ uri }`, from its lens), `{ name, folder }`,
 * or the active editor's prompt file.
 */
async function targetOf(
  ctx: Ctx,
  arg: unknown,
): Promise<{ folder: Folder; name: string; uri?: vscode.Uri } | undefined> {
  // Lens arguments are plain data (a Uri does not survive the trip through executeCodeLensProvider and back).
  const given =
    typeof (arg as { uri?: unknown } | undefined)?.uri === 'string'
      ? vscode.Uri.parse((arg as { uri: string }).uri)
      : undefined;
  const uri =
    given ??
    (arg instanceof vscode.Uri ? arg : undefined) ??
    (vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('.prompt.md') && arg === undefined
      ? vscode.window.activeTextEditor.document.uri
      : undefined);
  if (uri) {
    const name = /([^\\/]+)\.prompt\.md$/.exec(uri.fsPath)?.[1];
    if (!name) throw new UserError(`${uri.fsPath} is not a prompt file (*.prompt.md)`, 2);
    return { folder: ctx.folders.ofFile(uri), name, uri };
  }
  const named = (arg as { name?: unknown } | undefined)?.name;
  const folder = await ctx.folders.choose(arg, 'Re-validate a prompt');
  if (!folder) return undefined;
  if (typeof named === 'string') return { folder, name: named };
  const pick = await vscode.window.showQuickPick(
    [...REVALIDATE_PROMPTS].map((p) => ({
      label: p,
      description: p === 'persona-synthesis' ? 'Θ: personas are synthesized again from the cached first stage' : '',
    })),
    { title: 'Re-validate which prompt?' },
  );
  return pick ? { folder, name: pick.label } : undefined;
}

export async function revalidatePromptCommand(ctx: Ctx, arg: unknown): Promise<RevalidateResult | undefined> {
  const target = await targetOf(ctx, arg);
  if (!target) return undefined;
  const { folder, name } = target;
  if (!isRevalidatePrompt(name))
    throw new UserError(`the ${name} prompt cannot be re-validated (judge, memory and persona-synthesis can)`, 2);
  // The text on screen is what is measured: an unsaved edit is saved first.
  const open = vscode.workspace.textDocuments.find((d) => target.uri && d.uri.toString() === target.uri.toString());
  if (open?.isDirty) await open.save();
  const prepared = await preparePrompt(folder, name);
  const { plan } = prepared;
  if (plan.nothingToCompare || !plan.previous) {
    void vscode.window.showInformationMessage(
      `SynthesizeMe: ${plan.nothingToCompare ?? `the ${name} prompt has no earlier version to compare with`}.`,
    );
    return undefined;
  }
  // The two versions side by side first: what is being measured.
  const previousDoc = plan.previous.path
    ? vscode.Uri.file(plan.previous.path)
    : ctx.versionTexts.uri(`${name} (${previousName(plan.previous)}).md`, plan.previous.text);
  const current = plan.current.path ? vscode.Uri.file(plan.current.path) : undefined;
  if (current)
    await vscode.commands.executeCommand(
      'vscode.diff',
      previousDoc,
      current,
      `${name}: ${previousName(plan.previous)} ↔ current`,
    );
  const r = await judgePrompt(ctx, prepared);
  if (!r.complete)
    throw new UserError(
      `re-validation of the ${name} prompt is incomplete: ${r.failed.calls} call(s) failed ` +
        `(${r.failed.reasons[0]?.message ?? ''}); run it again to judge the missing pairs`,
    );
  const sentence = r.comparison?.sentence ?? 'no pairs in common';
  const banner =
    `${name} prompt on validation, current vs ${plan.previous.source === 'default' ? 'the shipped default' : plan.previous.id}, ` +
    `over ${r.pairs} pairs of ${r.users} user(s): ${sentence}; ` +
    `${r.flipped.length} pair(s) flipped (${comparisonPowerNote(r.pairs, 'validation')})`;
  ctx.log.info('revalidate', banner);
  for (const f of r.flipped)
    ctx.log.info('revalidate', `flipped ${f.user}/${f.pair}: ${f.before.score} -> ${f.after.score}`);
  const run = r.runs.current[0];
  void vscode.window
    .showInformationMessage(`SynthesizeMe: ${banner}`, ...(run ? ['Show Verdicts'] : []))
    .then((pick) => {
      if (pick && run) void vscode.commands.executeCommand('synthesizeme.showVerdicts', { run, comparison: banner });
    });
  return r;
}

export interface PreparedPrompt {
  plan: RevalidationPlan;
  inputs: RunInputs;
}

/** The engine's plan for one prompt of a folder (judge, memory or persona-synthesis): no call, nothing written. */
export async function preparePrompt(folder: Folder, name: RevalidatePrompt): Promise<PreparedPrompt> {
  const inputs = await runInputs(folder);
  const plan = await prepareRevalidation({
    ws: { layout: inputs.layout, prompts: inputs.prompts, split: { seed: inputs.seed } },
    target: { kind: 'prompt', name },
    users: inputs.index.users(),
    split: 'validation',
    temperature: inputs.temperature,
    display: (p) => folder.relative(p),
  });
  return { plan, inputs };
}

/** Estimates, then runs the plan with progress, cancellable also by `cancel` (a language-model tool's token). */
export async function judgePrompt(
  ctx: Ctx,
  { plan, inputs }: PreparedPrompt,
  cancel?: vscode.CancellationToken,
): Promise<RevalidateResult> {
  const name = plan.target;
  const { estimate: est, exact } = await estimateRevalidation(plan, inputs.llm);
  const estimate =
    `${exact ? 'about' : 'at most'} ${est.calls} call(s) (${est.cachedCalls} from the cache), ` +
    `${est.promptTokens + est.completionTokens} tokens${est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : ''}`;
  ctx.log.info('revalidate', `${name} against ${plan.previous?.id ?? 'nothing'}: ${estimate}`);
  return ctx.runs.run(
    `re-validating the ${name} prompt`,
    (signal, report) => {
      report(0, 0, estimate);
      return runRevalidation(plan, {
        model: inputs.llm,
        signal,
        onProgress: (label, done, total) => report(done, total, label),
        onNote: (m) => ctx.log.warn('revalidate', m),
      });
    },
    cancel,
  );
}

/** How the earlier version is named in the diff's title and its read-only tab. */
function previousName(previous: { source: string; id: string }): string {
  return previous.source === 'default' ? 'shipped default' : previous.id;
}

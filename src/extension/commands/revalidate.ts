// Re-validate Persona. The engine's re-validation (src/core/eval/revalidate.ts, the CLI's too) judges the
// validation split with the persona as it is now (hand edits included) and with its previous version from
// history, compares them pair by pair with the engine's paired test ("+4.2 points (95% CI -1.0 to 9.5,
// p = 0.18): not yet significant"), and, asked to here, writes the new validation figures into the persona
// file (its old content goes to history first). With no earlier version the persona is judged alone. This
// face only asks (which persona), runs the job with progress and cancellation, and formats the result.

import * as vscode from 'vscode';
import {
  comparisonPowerNote,
  estimateRevalidation,
  modelDigestOf,
  prepareRevalidation,
  type RevalidateResult,
  type RevalidationPlan,
  runRevalidation,
} from '../../core/eval';
import { longPersonaNote, parsePersona } from '../../core/method';
import { redactUrl } from '../../core/llm';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { accuracyText } from './evaluate';
import { pickUser, readPersonaOf, runInputs, type RunInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { percent } from '../../core/percent';

export interface RevalidateOutcome {
  user: string;
  accuracy: number;
  previous?: string;
  previousAccuracy?: number;
  sentence?: string;
  comparison?: { difference: number; ci95: [number, number]; p: number; pairs: number };
}

export async function revalidateCommand(ctx: Ctx, arg: unknown): Promise<RevalidateOutcome | undefined> {
  // From the persona file's lens or editor the argument is its URI; from the tree, a user.
  let userArg = arg;
  if (arg instanceof vscode.Uri || typeof (arg as { fsPath?: unknown })?.fsPath === 'string')
    userArg = await personaFileUser(ctx, arg as vscode.Uri);
  else if (arg === undefined && vscode.window.activeTextEditor?.document.fileName.endsWith('.persona.yaml'))
    userArg = await personaFileUser(ctx, vscode.window.activeTextEditor.document.uri);
  const picked = await pickUser(ctx, userArg, 'Re-validate a persona');
  if (!picked) return undefined;
  const { user, folder } = picked;
  const current = await readPersonaOf(folder, user.id);
  if (!current) throw new UserError(`user "${user.id}" has no persona yet: run Fit User first`);
  // The text on screen is what is measured (and what the figures are written into): saved first.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === current.path);
  if (open?.isDirty) await open.save();
  const long = longPersonaNote(current.model, folder.relative(current.path));
  if (long) ctx.log.warn('revalidate', long);

  const prepared = await preparePersona(folder, { path: current.path });
  const r = await judgePersona(ctx, prepared, { saveFigures: true });
  const now = r.figures.current;
  if (!now?.pairs)
    throw new UserError(`user "${user.id}" has no validation pairs${r.skipped[0] ? ` (${r.skipped[0].reason})` : ''}`);
  // Figures with failed calls left out are not written into the persona (the engine saves a complete run only).
  if (!r.complete)
    throw new UserError(
      `re-validation of ${user.id} is incomplete: ${r.failed.calls} call(s) failed ` +
        `(${r.failed.reasons[0]?.message ?? ''}); run it again to judge the missing pairs`,
    );
  const out = outcomeOf(user.id, r);
  showOutcome(ctx, out, r);
  return out;
}

/** The notification (with what this many pairs can show at all), and the Verdicts view on request. */
function showOutcome(ctx: Ctx, out: RevalidateOutcome, r: RevalidateResult): void {
  const now = r.figures.current!;
  const power = comparisonPowerNote(now.pairs, 'validation');
  const head = `SynthesizeMe: ${out.user} on validation ${accuracyText(now)}`;
  const message = out.sentence
    ? `${head} vs previous ${percent(out.previousAccuracy!)}: ${out.sentence} (${power})`
    : `${head} (no earlier version to compare with; ${power}).`;
  ctx.log.info('revalidate', message);
  void vscode.window.showInformationMessage(message, 'Show Verdicts').then((pick) => {
    if (pick)
      void vscode.commands.executeCommand('synthesizeme.showVerdicts', {
        run: r.runs.current[0],
        ...(out.sentence ? { comparison: comparisonBanner(out.user, out) } : {}),
      });
  });
}

/** What the command returns: the current accuracy and, with an earlier version, the paired comparison. */
export function outcomeOf(user: string, r: RevalidateResult): RevalidateOutcome {
  const out: RevalidateOutcome = { user, accuracy: r.figures.current?.accuracy ?? NaN };
  if (!r.comparison || !r.previous || r.difference === null || r.ci95 === null || r.p === null) return out;
  return {
    ...out,
    ...(r.previous.path ? { previous: r.previous.path } : {}),
    previousAccuracy: r.figures.previous?.accuracy ?? r.comparison.accuracyA,
    sentence: r.comparison.sentence,
    // p and the interval are the engine's paired test's (the CLI prints the same).
    comparison: { difference: r.difference, ci95: r.ci95, p: r.p, pairs: r.pairs },
  };
}

export interface PreparedPersona {
  plan: RevalidationPlan;
  inputs: RunInputs;
}

/** The engine's plan for one persona file of a folder: no call, nothing written. */
export async function preparePersona(
  folder: Folder,
  target: { path: string; text?: string },
): Promise<PreparedPersona> {
  const inputs = await runInputs(folder);
  const plan = await prepareRevalidation({
    ws: { layout: inputs.layout, prompts: inputs.prompts, split: { seed: inputs.seed } },
    target: { kind: 'persona', ...target },
    users: inputs.index.users(),
    split: 'validation',
    temperature: inputs.temperature,
    display: (p) => folder.relative(p),
  });
  return { plan, inputs };
}

/** Estimates (which also sizes Ollama's context), then runs the plan with progress and the run's cancellation. */
export async function judgePersona(
  ctx: Ctx,
  { plan, inputs }: PreparedPersona,
  opts: { saveFigures?: boolean; keepCurrent?: boolean },
  cancel?: vscode.CancellationToken,
): Promise<RevalidateResult> {
  const { estimate: est, exact } = await estimateRevalidation(plan, inputs.llm);
  const estimate = `${exact ? 'about' : 'at most'} ${est.calls} call(s) (${est.cachedCalls} from the cache)`;
  ctx.log.info('revalidate', `${plan.target} against ${plan.previous?.id ?? 'nothing (judged alone)'}: ${estimate}`);
  const llm = inputs.llm;
  return ctx.runs.run(
    `re-validating ${plan.target}`,
    async (signal, report) => {
      report(0, 0, estimate);
      // What the model is on the server and where, in each run's header, as an Evaluate run records them.
      const modelDigest = await modelDigestOf(llm, signal);
      const baseUrl = llm.config.baseUrls[0] && redactUrl(llm.config.baseUrls[0]);
      return runRevalidation(plan, {
        model: llm,
        ...(modelDigest ? { modelDigest } : {}),
        ...(baseUrl ? { baseUrl } : {}),
        signal,
        onProgress: (label, done, total) => report(done, total, label),
        onNote: (m) => ctx.log.warn('revalidate', m),
        ...opts,
      });
    },
    cancel,
  );
}

export function comparisonBanner(userId: string, out: RevalidateOutcome): string {
  const previous = percent(out.previousAccuracy ?? 0);
  return (
    `${userId}, validation: current persona ${percent(out.accuracy)} vs previous version ${previous} ` +
    `over ${out.comparison?.pairs ?? 0} pairs: ${out.sentence}`
  );
}

/** The user of a persona file, with the folder it lies in: `{ userId, folder }` for pickUser. */
export async function personaFileUser(ctx: Ctx, uri: vscode.Uri): Promise<{ userId: string; folder: string }> {
  const folder = ctx.folders.ofFile(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  return { userId: parsePersona(doc.getText(), folder.relative(doc.uri)).userId, folder: folder.uri.toString() };
}

// Fit user / Fit all users: the engine's fit job (the CLI's too) on a folder's users, with its estimate
// logged as the run starts, progress, and cancel; the persona files written with their provenance (the
// previous version kept in history).

import * as vscode from 'vscode';
import { type UserEntry } from '../../core/data';
import { accuracyHeadline } from '../../core/eval';
import { copiesNote } from '../../core/method';
import { estimateFit, type FitJobResult, type FittedUser, fitStatusText, planFit, runFit } from '../../core/workspace';
import type { Ctx } from '../ctx';
import { folderArg } from '../folders';
import type { RunInputs } from './run-inputs';
import { pickUser, runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { editorErrorText } from '../error-notice';

export interface FitOutcome {
  user: string;
  persona: string;
  validation: { accuracy: number; correct: number; evaluated: number };
  /** What the fit found copied word for word (copied-runs.ts), one sentence; absent when nothing. */
  copies?: string;
}

function planOf(inputs: RunInputs, users: readonly UserEntry[]) {
  return planFit({
    layout: inputs.layout,
    prompts: inputs.prompts,
    users,
    model: inputs.llm,
    temperature: inputs.temperature,
    seed: inputs.seed,
    where: inputs.folder.name,
  });
}

function outcomeOf(ctx: Ctx, inputs: RunInputs, f: FittedUser): FitOutcome {
  const v = f.persona.provenance.validation ?? { accuracy: 0, correct: 0, evaluated: 0 };
  const where = inputs.folder.relative(f.path);
  const headline = accuracyHeadline(v.accuracy, undefined, v.evaluated);
  const figures = `${f.persona.demos.length} demos, validation ${v.correct}/${v.evaluated}: ${headline}, ${f.usage.calls} calls`;
  ctx.log.info('fit', `${f.user}: persona written to ${where} (${figures})`);
  const copies = copiesNote(f.persona.provenance.copies);
  if (copies) ctx.log.warn('fit', `${f.user}: ${copies}`);
  return {
    user: f.user,
    persona: f.path,
    validation: { accuracy: v.accuracy, correct: v.correct, evaluated: v.evaluated },
    ...(copies ? { copies } : {}),
  };
}

async function fitOne(ctx: Ctx, inputs: RunInputs, user: UserEntry): Promise<FitOutcome> {
  const plan = await planOf(inputs, [user]);
  const skipped = plan.skipped[0];
  if (skipped) throw new UserError(`user "${user.id}" cannot be fitted: ${skipped.reason}`);
  const result = await ctx.runs.run(`fitting ${user.id}`, (signal, report) =>
    runFit(plan, {
      signal,
      onNote: (id, m) => ctx.log.warn('fit', `${id}: ${m}`),
      // The run's title already names the user ("fitting bruno"): the message is the phase, calls and ETA alone.
      onStatus: (s) => report(s.calls.done, s.calls.estimate, fitStatusText(s, { oneUser: true })),
    }),
  );
  const fitted = result.fitted[0];
  // One user: a failed fit is the command's error, as it was before the job collected it.
  if (!fitted) throw result.failed[0]?.error ?? new UserError(`user "${user.id}" was not fitted`);
  return outcomeOf(ctx, inputs, fitted);
}

export async function fitUserCommand(ctx: Ctx, arg: unknown): Promise<FitOutcome | undefined> {
  const picked = await pickUser(ctx, arg, 'Fit a persona model');
  if (!picked) return undefined;
  const { user } = picked;
  const out = await fitOne(ctx, await runInputs(picked.folder), user);
  const figure = accuracyHeadline(out.validation.accuracy, undefined, out.validation.evaluated);
  const { correct, evaluated } = out.validation;
  const written = `SynthesizeMe: persona for ${user.id} written (validation ${correct}/${evaluated}: ${figure}).`;
  // A persona that copies the user's pairs word for word is no description of them: a warning, with the run.
  void (
    out.copies
      ? vscode.window.showWarningMessage(`${written} Warning: ${out.copies}.`, 'Open Persona')
      : vscode.window.showInformationMessage(written, 'Open Persona')
  ).then((pick) => {
    if (pick) void vscode.window.showTextDocument(vscode.Uri.file(out.persona));
  });
  return out;
}

/** Every user of every folder, each folder with its own settings and model. */
export async function fitAllCommand(ctx: Ctx, arg?: unknown): Promise<FitOutcome[]> {
  const folders =
    folderArg(arg) !== undefined ? [(await ctx.folders.choose(arg, 'Fit all users'))!] : ctx.folders.all();
  if (!folders.length) await ctx.folders.choose(undefined, 'Fit all users');
  const done: FitOutcome[] = [];
  const failed: string[] = [];
  let total = 0;
  for (const folder of folders) {
    const inputs = await runInputs(folder);
    // Of several folders, one without pairs is passed over; a lone folder without pairs is the engine's error.
    if (folders.length > 1 && !inputs.index.users().length) continue;
    const result = await fitFolder(ctx, inputs, done, folders.length > 1 ? ` of ${folder.name}` : '');
    total += result.users;
    failed.push(...result.failed.map((f) => `${f.user}: ${f.error ? editorErrorText(f.error) : f.reason}`));
  }
  const notFitted = failed.length ? ` Not fitted: ${failed.join('; ')}` : '';
  void vscode.window.showInformationMessage(`SynthesizeMe: fitted ${done.length} of ${total} user(s).${notFitted}`);
  return done;
}

async function fitFolder(ctx: Ctx, inputs: RunInputs, done: FitOutcome[], of: string): Promise<FitJobResult> {
  const plan = await planOf(inputs, inputs.index.users());
  // The cost is shown as the long run starts (and logged): an upper bound, nothing is called for it.
  const est = await estimateFit(plan);
  const cost = est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : '';
  const tokens = est.promptTokens + est.completionTokens;
  const estimate = `at most ${est.calls} call(s) (${est.cachedCalls} more from the cache), about ${tokens} tokens${cost}`;
  const users = plan.ready.length;
  ctx.log.info('fit', `fitting ${users} user(s)${of} with ${inputs.llm.model}: ${estimate}`);
  for (const s of plan.skipped) ctx.log.warn('fit', `${s.user}: ${s.reason}`);
  return ctx.runs.run(`fitting all users${of}`, (signal, report) => {
    report(0, users, `${users} user(s): ${estimate}`);
    return runFit(plan, {
      signal,
      onNote: (id, m) => ctx.log.warn('fit', `${id}: ${m}`),
      onFitted: (f) => done.push(outcomeOf(ctx, inputs, f)),
      onFailed: (f) => ctx.log.warn('fit', `${f.user}: ${f.reason}`),
      onStatus: (s) => report(s.calls.done, s.calls.estimate, fitStatusText(s, { oneUser: false })),
    });
  });
}

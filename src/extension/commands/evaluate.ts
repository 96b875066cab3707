// Evaluate...: a method (quick pick) on the test or validation split for one or all users; every
// verdict goes to a run file, which the Verdicts view opens.

import * as vscode from 'vscode';
import { isMethod, type Method, METHODS } from '../../core/method';
import { accuracyHeadline, type EvalResult, type EvalUser, rateText, smallSampleNote } from '../../core/eval';
import { type UserEntry } from '../../core/data';
import { redactUrl } from '../../core/llm';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { rephraseAdvice } from '../error-notice';
import { pickUser, readPersonaOf, runInputs } from './run-inputs';

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
  split: 'test' | 'validation',
  personaOverride?: Map<string, { model: EvalUser['persona']; hash: string }>,
): Promise<EvalResult> {
  const inputs = await runInputs(folder);
  const [{ evaluate }, { needsPersona }, { pairsBySplit }] = await Promise.all([
    import('../../core/eval/evaluate'),
    import('../../core/method/methods'),
    import('../../core/workspace/open-workspace'),
  ]);
  const evalUsers: EvalUser[] = [];
  for (const u of users) {
    const s = pairsBySplit(u);
    let persona: { model: EvalUser['persona']; hash: string } | undefined = personaOverride?.get(u.id);
    if (!persona && needsPersona(method)) {
      const p = await readPersonaOf(folder, u.id);
      if (p) persona = { model: p.model, hash: p.hash };
    }
    evalUsers.push({
      id: u.id,
      pairs: u.pairs,
      context: s.context,
      target: split === 'test' ? s.test : s.validation,
      ...(persona?.model ? { persona: persona.model, personaHash: persona.hash } : {}),
    });
  }
  const prompts = { judge: await inputs.prompts.get('judge'), memory: await inputs.prompts.get('memory') };
  // Credentials in a URL (http://user:secret@host) never reach a run file.
  const baseUrl = inputs.llm.config.baseUrls[0] && redactUrl(inputs.llm.config.baseUrls[0]);
  return ctx.runs.run(`evaluating ${method} on ${split}`, (signal, report) =>
    evaluate(evalUsers, {
      method,
      split,
      model: inputs.llm,
      ...(baseUrl ? { baseUrl } : {}),
      prompts,
      temperature: inputs.temperature,
      seed: inputs.seed,
      runsDir: inputs.layout.runsDir,
      signal,
      onProgress: (done, total) => report(done, total),
    }),
  );
}

export function accuracyText(r: Pick<EvalResult, 'accuracy' | 'ci95' | 'pairs'>): string {
  return accuracyHeadline(r.accuracy, r.ci95, r.pairs);
}

export async function evaluateCommand(ctx: Ctx, arg: unknown): Promise<EvalResult | undefined> {
  const a = (arg ?? {}) as EvaluateArgs & { userId?: unknown };
  let method = typeof a.method === 'string' && isMethod(a.method) ? a.method : undefined;
  if (!method) {
    const pick = await vscode.window.showQuickPick(
      METHODS.map((m) => ({
        label: m,
        description: m === 'persona+demos' ? 'SynthesizeMe' : m === 'default' ? 'no personalization' : '',
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
  ctx.log.info(
    'eval',
    `${method} on ${split}: ${accuracyText(r)} over ${r.samples} samples of ${r.pairs} pairs; run ${r.run}`,
  );
  for (const s of r.skipped) ctx.log.warn('eval', `skipped ${s.user}: ${s.reason}`);
  if (!r.complete) {
    // A failed call is no answer: the figures leave those pairs out; running the same command resumes them.
    // The reasons are the engine's words (kept in the run file): their advice said the editor's way.
    const why = rephraseAdvice(
      r.failed.reasons
        .slice(0, 3)
        .map((x) => `${x.message}${x.count > 1 ? ` (x${x.count})` : ''}`)
        .join('; '),
    );
    const text = `SynthesizeMe: ${method} on ${split} is INCOMPLETE: ${r.failed.calls} call(s) failed for ${r.failed.pairs} pair(s) (${why}). The figures leave those pairs out; run Evaluate again to judge them.`;
    ctx.log.warn('eval', text);
    void vscode.window.showWarningMessage(text, 'Show Verdicts').then((pick) => {
      if (pick) void vscode.commands.executeCommand('synthesizeme.showVerdicts', r.run);
    });
    return r;
  }
  const small = smallSampleNote(r.pairs);
  if (small) ctx.log.warn('eval', `${method} on ${split}: ${small}`);
  void vscode.window
    .showInformationMessage(
      `SynthesizeMe: ${method} on ${split}: ${accuracyText(r)}, consistency ${rateText(r.consistency)}${r.unparseable ? `, ${r.unparseable} unparseable answer(s)` : ''}${small ? ` (${small})` : ''}${r.skipped.length ? `; skipped ${r.skipped.map((s) => s.user).join(', ')}` : ''}.`,
      'Show Verdicts',
    )
    .then((pick) => {
      if (pick) void vscode.commands.executeCommand('synthesizeme.showVerdicts', r.run);
    });
  return r;
}

// Re-validate a persona or a prompt: the current text against its previous version on the validation pairs,
// compared pair by pair (Re-validate Persona's and Re-validate Prompt's own jobs), with the engine's paired
// sentence. A persona is measured as saved, and its figures are not written into it (the Testing panel's way):
// a tool the chat model calls leaves the user's files as they are.

import type * as vscode from 'vscode';
import { isRevalidatePrompt, REVALIDATE_PROMPTS, revalidateResultText, type RevalidateResult } from '../../core/eval';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { judgePersona, preparePersona } from '../commands/revalidate';
import { judgePrompt, preparePrompt } from '../commands/revalidate-prompt';
import { readPersonaOf } from '../commands/run-inputs';
import { confirmation, folderFor, stringField, textResult, userOf } from './tool-input';

/** Exactly one of a user (their persona) or a prompt's name. */
function targetOf(input: unknown): { userId: string } | { prompt: string } {
  const userId = stringField(input, 'userId');
  const prompt = stringField(input, 'prompt');
  if ((userId === undefined) === (prompt === undefined))
    throw new UserError('give exactly one of "userId" (re-validate that persona) or "prompt" (a prompt\'s name)');
  if (prompt !== undefined && !isRevalidatePrompt(prompt))
    throw new UserError(`the ${prompt} prompt cannot be re-validated (one of: ${REVALIDATE_PROMPTS.join(', ')})`);
  return userId !== undefined ? { userId } : { prompt: prompt! };
}

function resultText(r: RevalidateResult, folder: Folder): string {
  const text = revalidateResultText(r, (p) => folder.relative(p)).trimEnd();
  if (r.complete) return text;
  return (
    `${text}\nINCOMPLETE: ${r.failed.calls} judge call(s) failed for ${r.failed.pairs} pair(s) ` +
    `(${r.failed.reasons[0]?.message ?? 'no reason given'}); those pairs are not compared, and running the tool ` +
    'again judges them.'
  );
}

async function revalidatePersona(ctx: Ctx, input: unknown, token: vscode.CancellationToken): Promise<string> {
  const { folder, user } = await userOf(ctx, input, 'Re-validate a persona');
  const persona = await readPersonaOf(folder, user.id);
  if (!persona) throw new UserError(`user "${user.id}" has no persona yet: run Fit User first`);
  const r = await judgePersona(ctx, await preparePersona(folder, { path: persona.path }), {}, token);
  return resultText(r, folder);
}

async function revalidatePrompt(ctx: Ctx, input: unknown, name: string, token: vscode.CancellationToken) {
  const folder = folderFor(ctx, input);
  if (!isRevalidatePrompt(name)) throw new UserError(`the ${name} prompt cannot be re-validated`);
  const prepared = await preparePrompt(folder, name);
  // Nothing to compare costs nothing: said, with no call.
  if (prepared.plan.nothingToCompare || !prepared.plan.previous)
    return `${prepared.plan.nothingToCompare ?? `the ${name} prompt has no earlier version to compare with`}.`;
  return resultText(await judgePrompt(ctx, prepared, token), folder);
}

export function revalidateTool(ctx: Ctx): vscode.LanguageModelTool<unknown> {
  return {
    prepareInvocation(options) {
      const t = targetOf(options.input);
      const what = 'userId' in t ? `${t.userId}'s persona` : `the ${t.prompt} prompt`;
      return confirmation(
        `Re-validate ${what}`,
        `Re-validate ${what}: the judge model is called for the validation pairs with the current text and with ` +
          'its previous version (cached answers are reused), and the two are compared pair by pair.',
        `Re-validating ${what}`,
      );
    },
    async invoke(options, token) {
      const t = targetOf(options.input);
      const text =
        'userId' in t
          ? await revalidatePersona(ctx, options.input, token)
          : await revalidatePrompt(ctx, options.input, t.prompt, token);
      return textResult(text);
    },
  };
}

// Judge a pair: one pair of a preference file in both orders, with or without the user's persona. The lens's
// own path (judgeInDocument), so the verdict also shows on the pair's lens and in its history.

import * as vscode from 'vscode';
import { orderFailed, pairVerdictText } from '../../core/method';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import { judgeInDocument } from '../commands/judge';
import { confirmation, stringField, textResult } from './tool-input';

interface JudgeInput {
  file: string;
  pairId?: string;
  line?: number;
  withPersona?: boolean;
}

/** The file (workspace-relative, in any folder, or absolute) and which pair: an id or a 1-based line, not both. */
function readInput(input: unknown): JudgeInput {
  const file = stringField(input, 'file', true);
  const pairId = stringField(input, 'pairId');
  const line = (input as { line?: unknown }).line;
  if (line !== undefined && (typeof line !== 'number' || !Number.isInteger(line) || line < 1))
    throw new UserError(`"line" must be a line number (1 or more), not ${JSON.stringify(line)}`);
  if ((pairId === undefined) === (line === undefined)) throw new UserError('give exactly one of "pairId" or "line"');
  const withPersona = (input as { withPersona?: unknown }).withPersona === true;
  return { file, ...(pairId !== undefined ? { pairId } : {}), ...(line !== undefined ? { line } : {}), withPersona };
}

async function documentOf(ctx: Ctx, file: string): Promise<vscode.TextDocument> {
  const candidates = /^([a-zA-Z]:)?[\\/]/.test(file)
    ? [vscode.Uri.file(file)]
    : ctx.folders.all().map((f) => vscode.Uri.joinPath(f.uri, file));
  for (const uri of candidates) {
    const found = await vscode.workspace.fs.stat(uri).then(
      () => true,
      () => false,
    );
    if (found) return vscode.workspace.openTextDocument(uri);
  }
  throw new UserError(`no file "${file}" in the workspace (give its path relative to a workspace folder)`);
}

const which = (i: JudgeInput) => (i.pairId !== undefined ? `pair "${i.pairId}"` : `the pair at line ${i.line}`);

export function judgePairTool(ctx: Ctx): vscode.LanguageModelTool<unknown> {
  return {
    prepareInvocation(options) {
      const i = readInput(options.input);
      const how = i.withPersona ? "with the user's persona and demonstrations" : 'without a persona';
      return confirmation(
        'Judge a preference pair',
        `Judge ${which(i)} of \`${i.file}\` ${how}: 2 calls to the configured judge model, one per order ` +
          '(a cached answer is reused).',
        `Judging ${which(i)} of ${i.file}`,
      );
    },
    async invoke(options, token) {
      const i = readInput(options.input);
      const doc = await documentOf(ctx, i.file);
      const where = i.pairId !== undefined ? { pairId: i.pairId } : { line: i.line! - 1 };
      const v = await judgeInDocument(ctx, doc, where, i.withPersona ? 'persona' : 'plain', token);
      const right = v.orders.filter((o) => o.correct).length;
      const failed = v.orders.filter(orderFailed);
      const head =
        `Pair ${v.pairId} of user ${v.userId} (${vscode.workspace.asRelativePath(doc.uri)}:${v.line}), judged ` +
        `${i.withPersona ? 'with the persona' : 'without a persona'}: ${right} of 2 orders picked the user's choice.`;
      const note = failed.length
        ? `\n${failed.length} of 2 call(s) failed: no verdict for ${failed.map((o) => `order ${o.order}`).join(' and ')}.`
        : '';
      return textResult(`${head}\n${pairVerdictText(v)}${note}`);
    },
  };
}

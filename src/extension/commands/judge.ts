// Judge this pair: both orders, with or without the user's persona; the verdict goes to the lens.

import * as vscode from 'vscode';
import { demosOf, judgePair, judgeSystem, type PairVerdict } from '../../core/method';
import { recordLensVerdict } from '../../core/eval';
import type { Ctx } from '../ctx';
import { pairInDocument } from '../editor/document-pairs';
import type { JudgeArgs } from '../editor/pair-codelens';
import type { JudgeMode } from '../editor/verdict-store';
import { readPersonaOf, runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';

function isJudgeArgs(a: unknown): a is JudgeArgs {
  const o = a as JudgeArgs;
  return (
    !!o && typeof o.uri === 'string' && typeof o.pairId === 'string' && (o.mode === 'plain' || o.mode === 'persona')
  );
}

export async function judgeCommand(
  ctx: Ctx,
  arg: unknown,
  defaultMode: JudgeMode = 'plain',
): Promise<PairVerdict | undefined> {
  let doc: vscode.TextDocument;
  let where: { pairId?: string; line?: number };
  let mode = defaultMode;
  if (isJudgeArgs(arg)) {
    doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(arg.uri));
    where = { pairId: arg.pairId };
    mode = arg.mode;
  } else {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new UserError('open a preference file and put the cursor on a pair');
    doc = editor.document;
    where = { line: editor.selection.active.line };
  }
  return judgeInDocument(ctx, doc, where, mode);
}

/**
 * Judges one pair of a preference document (by id, or the 0-based line its record covers) and keeps the verdict
 * for the lens and the pair view: the lens's path, and the judge-pair language-model tool's, which cancels it.
 */
export async function judgeInDocument(
  ctx: Ctx,
  doc: vscode.TextDocument,
  where: { pairId?: string; line?: number },
  mode: JudgeMode,
  cancel?: vscode.CancellationToken,
): Promise<PairVerdict> {
  const pair = await pairInDocument(doc, where);
  if (!pair)
    throw new UserError(
      `no preference pair ${where.pairId !== undefined ? `"${where.pairId}"` : `at line ${(where.line ?? 0) + 1}`} ` +
        `in ${vscode.workspace.asRelativePath(doc.uri)}`,
    );

  // The file's own folder: its settings choose the server and model, its personas the profile.
  const inputs = await runInputs(ctx.folders.ofFile(doc.uri));
  const judge = await inputs.prompts.get('judge');
  let profile = {};
  let personaHash: string | undefined;
  if (mode === 'persona') {
    const persona = await readPersonaOf(inputs.folder, pair.userId);
    if (!persona) throw new UserError(`user "${pair.userId}" has no persona yet: run Fit User first`);
    personaHash = persona.hash;
    profile = {
      persona: persona.model.persona,
      demos: demosOf(persona.model, inputs.index.user(pair.userId)?.pairs ?? []),
    };
  }
  const system = judgeSystem(judge.text, profile);
  const v = await ctx.runs.run(
    `judging ${pair.pairId}`,
    (signal) => judgePair(inputs.llm, system, pair, { temperature: inputs.temperature, seed: inputs.seed, signal }),
    cancel,
  );
  ctx.verdicts.set(doc.uri, pair.pairId, mode, v);
  // Kept as a one-pair lens run, so the pair view and pair history show it; a failure to keep it loses
  // nothing the lens shows, so it is logged, not thrown.
  const kept = { mode, model: inputs.llm, seed: inputs.seed, temperature: inputs.temperature, pair };
  await recordLensVerdict(inputs.layout, { ...kept, judgeHash: judge.hash, ...(personaHash ? { personaHash } : {}) }, v)
    .then((path) => path && ctx.log.info('judge', `kept as ${inputs.folder.relative(path)}`))
    .catch((err: unknown) => ctx.log.warn('judge', `verdict not kept as a lens run: ${(err as Error).message}`));
  ctx.log.info(
    'judge',
    `${pair.userId}/${pair.pairId} (${mode}): ` +
      `${v.orders.map((o) => `${o.order} ${o.preference ?? '-'} ${o.correct ? 'correct' : 'wrong'}`).join(', ')}`,
  );
  return v;
}

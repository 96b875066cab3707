// Open persona / Compare persona versions (VS Code's diff editor: previous version <-> current).

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { pickUser, readPersonaOf } from './run-inputs';
import { comparisonBanner, compareWithPrevious, previousVersion } from './revalidate';

async function userOf(ctx: Ctx, arg: unknown, title: string): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) {
    const { parsePersona } = await import('../../core/method/persona-file');
    const doc = await vscode.workspace.openTextDocument(arg);
    return parsePersona(doc.getText(), vscode.workspace.asRelativePath(arg)).userId;
  }
  return (await pickUser(ctx, arg, title))?.id;
}

export async function openPersonaCommand(ctx: Ctx, arg: unknown): Promise<vscode.Uri | undefined> {
  const user = await userOf(ctx, arg, 'Open a persona');
  if (!user) return undefined;
  const [layout, { personaPath }] = await Promise.all([ctx.files.layout(), import('../../core/workspace/layout')]);
  const uri = vscode.Uri.file(personaPath(layout, user));
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    throw Object.assign(new Error(`user "${user}" has no persona yet: run Fit User first`), { expected: true });
  }
  await vscode.window.showTextDocument(uri);
  return uri;
}

export async function comparePersonaVersionsCommand(ctx: Ctx, arg: unknown): Promise<boolean> {
  const user = await userOf(ctx, arg, 'Compare persona versions');
  if (!user) return false;
  const [layout, { personaPath, personaHistoryDir }, { parsePersona }] = await Promise.all([ctx.files.layout(), import('../../core/workspace/layout'), import('../../core/method/persona-file')]);
  const current = vscode.Uri.file(personaPath(layout, user));
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(current));
  const prev = await previousVersion(personaHistoryDir(layout, user), parsePersona(text, vscode.workspace.asRelativePath(current)));
  if (!prev) {
    void vscode.window.showInformationMessage(`SynthesizeMe: ${user} has no earlier persona version yet (fit again or re-validate after an edit).`);
    return false;
  }
  await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(prev.path), current, `${user}: previous ↔ current persona`);
  // The paired statistics of the two versions on validation, in the Verdicts view (answers
  // already judged come from the cache, so comparing again costs nothing).
  const entry = (await ctx.files.get()).user(user);
  const persona = await readPersonaOf(ctx, user);
  if (entry && persona) {
    const { now, out } = await compareWithPrevious(ctx, entry, persona, prev);
    ctx.log.info('compare', comparisonBanner(user, out));
    await vscode.commands.executeCommand('synthesizeme.showVerdicts', { run: now.run, comparison: comparisonBanner(user, out) });
  }
  return true;
}

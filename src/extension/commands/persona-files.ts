// Open persona / Compare persona versions (VS Code's diff editor: previous version <-> current, and the
// engine's paired comparison of the two in the Verdicts view).

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { pickUser, readPersonaOf, type FolderUser } from './run-inputs';
import { comparisonBanner, judgePersona, outcomeOf, personaFileUser, preparePersona } from './revalidate';
import { UserError } from '../../core/user-error';

async function userOf(ctx: Ctx, arg: unknown, title: string): Promise<FolderUser | undefined> {
  return pickUser(ctx, arg instanceof vscode.Uri ? await personaFileUser(ctx, arg) : arg, title);
}

export async function openPersonaCommand(ctx: Ctx, arg: unknown): Promise<vscode.Uri | undefined> {
  const picked = await userOf(ctx, arg, 'Open a persona');
  if (!picked) return undefined;
  const user = picked.user.id;
  const persona = await readPersonaOf(picked.folder, user);
  if (!persona) throw new UserError(`user "${user}" has no persona yet: run Fit User first`);
  const uri = vscode.Uri.file(persona.path);
  await vscode.window.showTextDocument(uri);
  return uri;
}

export async function comparePersonaVersionsCommand(ctx: Ctx, arg: unknown): Promise<boolean> {
  const picked = await userOf(ctx, arg, 'Compare persona versions');
  if (!picked) return false;
  const { folder } = picked;
  const user = picked.user.id;
  const persona = await readPersonaOf(folder, user);
  if (!persona) throw new UserError(`user "${user}" has no persona yet: run Fit User first`);
  // The text the editor shows, saved or not, is the current version (nothing is saved or kept here).
  const shown = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === persona.path)?.getText();
  const prepared = await preparePersona(folder, {
    path: persona.path,
    ...(shown !== undefined ? { text: shown } : {}),
  });
  const previous = prepared.plan.previous?.path;
  if (!previous) {
    void vscode.window.showInformationMessage(
      `SynthesizeMe: ${user} has no earlier persona version yet (fit again or re-validate after an edit).`,
    );
    return false;
  }
  const current = vscode.Uri.file(persona.path);
  await vscode.commands.executeCommand(
    'vscode.diff',
    vscode.Uri.file(previous),
    current,
    `${user}: previous ↔ current persona`,
  );
  // The paired statistics of the two versions on validation, in the Verdicts view (answers
  // already judged come from the cache, so comparing again costs nothing).
  const r = await judgePersona(ctx, prepared, { keepCurrent: false });
  const banner = comparisonBanner(user, outcomeOf(user, r));
  ctx.log.info('compare', banner);
  await vscode.commands.executeCommand('synthesizeme.showVerdicts', { run: r.runs.current[0], comparison: banner });
  return true;
}

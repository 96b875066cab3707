// Open persona / Compare persona versions (VS Code's diff editor: previous version <-> current).

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { pickUser, readPersonaOf, type FolderUser } from './run-inputs';
import { comparisonBanner, compareWithPrevious, personaFileUser, previousVersion } from './revalidate';
import { UserError } from '../../core/user-error';
import { personaHistoryDir } from '../../core/workspace';

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
  const layout = await folder.files.layout();
  const persona = await readPersonaOf(folder, user);
  if (!persona) throw new UserError(`user "${user}" has no persona yet: run Fit User first`);
  const current = vscode.Uri.file(persona.path);
  const prev = await previousVersion(personaHistoryDir(layout, user), persona.model);
  if (!prev) {
    void vscode.window.showInformationMessage(
      `SynthesizeMe: ${user} has no earlier persona version yet (fit again or re-validate after an edit).`,
    );
    return false;
  }
  await vscode.commands.executeCommand(
    'vscode.diff',
    vscode.Uri.file(prev.path),
    current,
    `${user}: previous ↔ current persona`,
  );
  // The paired statistics of the two versions on validation, in the Verdicts view (answers
  // already judged come from the cache, so comparing again costs nothing).
  const { now, out } = await compareWithPrevious(ctx, folder, picked.user, persona, prev);
  ctx.log.info('compare', comparisonBanner(user, out));
  await vscode.commands.executeCommand('synthesizeme.showVerdicts', {
    run: now.run,
    comparison: comparisonBanner(user, out),
  });
  return true;
}

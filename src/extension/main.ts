// activate(): build the one context object and register everything through it.
// Activation stays cheap: the engine is imported lazily by the commands that need it.

import * as vscode from 'vscode';
import { CommandIds } from './command-ids';
import { Ctx } from './ctx';
import { indexWorkspace } from './workspace-files';

export function activate(context: vscode.ExtensionContext): void {
  const ctx = new Ctx(context);
  try {
    ctx.command(CommandIds.showLog, () => ctx.log.channel.show());
    ctx.command(CommandIds.inspectWorkspace, async () => {
      const index = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'SynthesizeMe: reading preference files', cancellable: false },
        () => indexWorkspace(),
      );
      const users = index.users();
      const problems = index.problems();
      const pairs = users.reduce((n, u) => n + u.pairs.length, 0);
      ctx.log.info('inspect', `${index.fileNames().length} files, ${pairs} pairs, ${users.length} users, ${problems.length} problems`);
      for (const p of problems) ctx.log.warn('inspect', `${p.file}:${p.line}:${p.column}: ${p.message}`);
      void vscode.window.showInformationMessage(`SynthesizeMe: ${users.length} users, ${pairs} pairs, ${problems.length} problems in ${index.fileNames().length} files.`);
      return { users: users.length, pairs, problems: problems.length };
    });
    ctx.log.info('activate', 'SynthesizeMe Studio activated');
  } catch (err) {
    void vscode.window.showErrorMessage(`SynthesizeMe failed to start: ${(err as Error).message}`);
  }
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

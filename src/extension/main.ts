// activate(): build the one context object and register everything through it.
// Activation stays cheap: the engine is imported lazily by what needs it, and the workspace is
// indexed in the background.

import * as vscode from 'vscode';
import { Ctx } from './ctx';
import { registerDiagnostics } from './editor/diagnostics';
import { registerPairCodeLens } from './editor/pair-codelens';
import { registerPersonaCodeLens } from './editor/persona-codelens';
import { registerStatusBar } from './status-bar';
import { registerUsersTree, type UsersTree } from './views/users-tree';
import { registerPersonaInspector } from './views/persona-inspector';
import { chartPaint } from './views/verdicts-panel';
import { registerCommands } from './commands';

/** What activate() returns: for the integration tests (and other extensions, read-only use). */
export interface ExtensionApi {
  ctx: Ctx;
  users: UsersTree;
  /** How many points the Verdicts webview last drew in a chart (the tests cannot see the webview's DOM). */
  chartPaint: () => { points: number } | undefined;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi | undefined {
  const t0 = Date.now();
  const ctx = new Ctx(context);
  try {
    registerCommands(ctx);
    registerDiagnostics(ctx);
    registerPairCodeLens(ctx);
    registerPersonaCodeLens(ctx);
    const users = registerUsersTree(ctx);
    registerPersonaInspector(ctx);
    registerStatusBar(ctx);
    ctx.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('synthesizeme')) return;
        const files = ['files', 'split', 'seed', 'personaDir', 'cacheDir'].some((k) => e.affectsConfiguration(`synthesizeme.${k}`));
        // The new settings are read synchronously, so the next model call already uses them.
        if (files) void ctx.files.reload();
        else ctx.files.refreshConfig();
        ctx.model.reset();
      }),
    );
    ctx.register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        ctx.files.refreshConfig();
        ctx.model.reset();
      }),
    );
    ctx.register(ctx.secrets.onDidChange(() => ctx.model.reset()));
    void vscode.commands.executeCommand('setContext', 'synthesizeme.running', false);
    ctx.register(ctx.runs.onDidChange((n) => void vscode.commands.executeCommand('setContext', 'synthesizeme.running', n > 0)));
    // Index in the background; the tree, diagnostics and lenses refresh when it is ready.
    setTimeout(() => void ctx.files.get().catch((err) => ctx.log.error('index', err as Error)), 0);
    ctx.log.info('activate', `SynthesizeMe Studio activated in ${Date.now() - t0} ms`);
    return { ctx, users, chartPaint };
  } catch (err) {
    ctx.log.error('activate', err as Error);
    void vscode.window.showErrorMessage(`SynthesizeMe failed to start: ${(err as Error).message}`);
    return undefined;
  }
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

// activate(): build the one context object and register everything through it.
// Activation stays cheap: the engine is imported lazily by what needs it, and the workspace is
// indexed in the background.

import * as vscode from 'vscode';
import { Ctx } from './ctx';
import { registerDiagnostics } from './editor/diagnostics';
import { registerPairCodeLens } from './editor/pair-codelens';
import { registerPersonaCodeLens } from './editor/persona-codelens';
import { registerStatusBar, type ModelStatus } from './status-bar';
import { registerUsersTree, type UsersTree } from './views/users-tree';
import { registerPersonaInspector } from './views/persona-inspector';
import { registerRunEditor } from './views/run-editor';
import { registerTesting, type TestingTestApi } from './testing/test-controller';
import { type LanguageModelTools, registerTools } from './tools/register-tools';
import type { WebviewTestApi } from './views/webview-host';
import { registerCommands } from './commands';
import { openWalkthroughOnce } from './walkthrough';

/** What activate() returns: for the integration tests (and other extensions, read-only use). */
export interface ExtensionApi {
  ctx: Ctx;
  users: UsersTree;
  /** The model's status bar item and the outcome of its last connection check. */
  status: ModelStatus;
  /**
   * The one test API, only in the extension's Test mode (the integration tests): what each webview was given and
   * reported, and its messages sent as if from the page (the tests cannot see a webview's DOM nor press its keys).
   */
  test?: { webviews: WebviewTestApi; testing: TestingTestApi; tools?: LanguageModelTools };
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
    registerRunEditor(ctx);
    const testing = registerTesting(ctx);
    const tools = registerTools(ctx);
    const status = registerStatusBar(ctx);
    ctx.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        // Each folder whose own settings changed, and only those.
        for (const f of ctx.folders.all()) {
          if (!e.affectsConfiguration('synthesizeme', f.uri)) continue;
          const files = ['files', 'split', 'seed', 'personaDir', 'cacheDir'].some((k) =>
            e.affectsConfiguration(`synthesizeme.${k}`, f.uri),
          );
          // The new settings are read synchronously, so the next model call already uses them.
          if (files) void f.files.reload();
          else f.files.refreshConfig();
          f.model.reset();
        }
      }),
    );
    const resetAll = () => {
      for (const f of ctx.folders.all()) {
        f.files.refreshConfig();
        f.model.reset();
      }
    };
    ctx.register(vscode.workspace.onDidGrantWorkspaceTrust(resetAll));
    ctx.register(ctx.secrets.onDidChange(() => ctx.folders.all().forEach((f) => f.model.reset())));
    void vscode.commands.executeCommand('setContext', 'synthesizeme.running', false);
    ctx.register(
      ctx.runs.onDidChange((n) => void vscode.commands.executeCommand('setContext', 'synthesizeme.running', n > 0)),
    );
    // Index in the background; the tree, diagnostics and lenses refresh when it is ready.
    setTimeout(() => {
      for (const f of ctx.folders.all()) void f.files.get().catch((err) => ctx.log.error('index', err as Error));
    }, 0);
    // A folder added later is indexed as it arrives.
    ctx.register(
      vscode.workspace.onDidChangeWorkspaceFolders((e) =>
        e.added.forEach(
          (wf) =>
            void ctx.folders
              .of(wf.uri)
              ?.files.get()
              .catch((err) => ctx.log.error('index', err as Error)),
        ),
      ),
    );
    void openWalkthroughOnce(context).catch((err: unknown) => ctx.log.error('walkthrough', err as Error));
    ctx.log.info('activate', `SynthesizeMe Studio activated in ${Date.now() - t0} ms`);
    return {
      ctx,
      users,
      status,
      ...(context.extensionMode === vscode.ExtensionMode.Test
        ? { test: { webviews: ctx.webviews.testApi, testing, ...(tools ? { tools } : {}) } }
        : {}),
    };
  } catch (err) {
    ctx.notices.error('activate', err, 'failed to start: ');
    return undefined;
  }
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

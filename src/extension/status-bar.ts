// Provider, model and connection state of the active editor's folder (the first folder when no editor
// is in one); a click selects the model.
//
// It recovers by itself: while the server is in error it is checked again on a backoff (5 s doubling to
// 60 s), when the window gets the focus back, and after any call that the server answered; once healthy
// it is left alone until a call fails to reach it or the settings change.

import * as vscode from 'vscode';
import { CommandIds } from './command-ids';
import type { Ctx } from './ctx';
import { editorErrorText } from './error-notice';
import { RecheckBackoff } from './recheck-backoff';

export type ModelHealth = 'healthy' | 'error';

/** Failures of a call that say the server, not the call, is the problem. */
const SERVER_KINDS = new Set(['connection', 'not-found', 'auth']);

export class ModelStatus implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private health: ModelHealth | undefined;
  private generation = 0;
  private checking = false;
  private readonly backoff = new RecheckBackoff(() => void this.refresh());
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.item = vscode.window.createStatusBarItem('synthesizeme.model', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'SynthesizeMe model';
    this.item.command = CommandIds.selectModel;
    this.subscriptions.push(
      // New settings: start over (a first error is re-checked after the first delay again).
      ctx.folders.onDidChangeModel(() => {
        this.backoff.reset();
        void this.refresh();
      }),
      vscode.window.onDidChangeWindowState((s) => {
        if (s.focused && this.health === 'error') void this.refresh();
      }),
      ctx.folders.onDidCall(({ folder, error }) => {
        if (this.checking || folder !== ctx.folders.active()) return;
        const serverDown = (error as { kind?: unknown } | undefined)?.kind;
        if (
          error === undefined
            ? this.health === 'error'
            : this.health === 'healthy' && SERVER_KINDS.has(String(serverDown))
        )
          void this.refresh();
      }),
    );
    // In a multi-root workspace the folder, and so the model, follows the active editor.
    let shown: string | undefined;
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => {
        const now = ctx.folders.active()?.uri.toString();
        if (now !== shown && ctx.folders.multiple) void this.refresh();
        shown = now;
      }),
    );
    // The first check waits for the window to settle: activation stays cheap.
    const t = setTimeout(() => void this.refresh(), 1500);
    this.subscriptions.push({ dispose: () => clearTimeout(t) });
  }

  /** The outcome of the last check (undefined before the first, or with no folder). */
  get state(): ModelHealth | undefined {
    return this.health;
  }

  async refresh(): Promise<void> {
    const mine = ++this.generation;
    const folder = this.ctx.folders.active();
    if (!folder) {
      this.item.hide();
      this.backoff.reset();
      this.health = undefined;
      return;
    }
    this.checking = true;
    const item = this.item;
    let healthy = false;
    try {
      const d = await folder.model.describe();
      const where = this.ctx.folders.multiple ? `${folder.name}: ` : '';
      if (mine !== this.generation) return;
      item.text = `$(sync~spin) ${d.provider} · ${d.model}`;
      item.tooltip = `SynthesizeMe: checking ${d.baseUrls.join(', ')}...`;
      item.show();
      try {
        const llm = await folder.model.get();
        const report = await llm.checkConnection(AbortSignal.timeout(10_000));
        if (mine !== this.generation) return;
        const problem = report.endpoints.find((e) => !e.ok || e.modelAvailable === false);
        healthy = report.ok && !problem;
        item.text = `${healthy ? '$(check)' : '$(warning)'} ${d.provider} · ${d.model}`;
        item.tooltip =
          where +
          report.endpoints
            .map(
              (e) =>
                `${e.baseUrl}: ` +
                (e.ok
                  ? e.modelAvailable === false
                    ? `connected, but ${d.model} is not there`
                    : 'connected'
                  : e.failure
                    ? editorErrorText(e.failure)
                    : (e.error ?? 'not reachable')),
            )
            .join('\n') +
          '\nClick to select the provider and model.';
        item.backgroundColor = healthy ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
      } catch (err) {
        if (mine !== this.generation) return;
        item.text = `$(error) ${d.provider} · ${d.model}`;
        item.tooltip = `${where}${editorErrorText(err)}\nClick to select the provider and model.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      }
    } catch (err) {
      // The settings themselves cannot be read (a bad URL): shown like an unreachable server.
      if (mine !== this.generation) return;
      item.text = '$(error) SynthesizeMe';
      item.tooltip = editorErrorText(err);
      item.show();
    } finally {
      if (mine === this.generation) this.checking = false;
    }
    if (mine !== this.generation) return;
    this.health = healthy ? 'healthy' : 'error';
    if (healthy) this.backoff.reset();
    else this.backoff.failed();
  }

  dispose(): void {
    this.backoff.dispose();
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}

export function registerStatusBar(ctx: Ctx): ModelStatus {
  return ctx.register(new ModelStatus(ctx));
}

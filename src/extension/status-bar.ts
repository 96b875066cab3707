// Provider, model and connection state of the active editor's folder (the first folder when no editor
// is in one); a click selects the model.

import * as vscode from 'vscode';
import { CommandIds } from './command-ids';
import type { Ctx } from './ctx';

export function registerStatusBar(ctx: Ctx): vscode.StatusBarItem {
  const item = ctx.register(vscode.window.createStatusBarItem('synthesizeme.model', vscode.StatusBarAlignment.Right, 100));
  item.name = 'SynthesizeMe model';
  item.command = CommandIds.selectModel;
  let generation = 0;
  const refresh = async () => {
    const mine = ++generation;
    const folder = ctx.folders.active();
    if (!folder) {
      item.hide();
      return;
    }
    const d = await folder.model.describe();
    const where = ctx.folders.multiple ? `${folder.name}: ` : '';
    item.text = `$(sync~spin) ${d.provider} · ${d.model}`;
    item.tooltip = `SynthesizeMe: checking ${d.baseUrls.join(', ')}...`;
    item.show();
    try {
      const llm = await folder.model.get();
      const report = await llm.checkConnection(AbortSignal.timeout(10_000));
      if (mine !== generation) return;
      const problem = report.endpoints.find((e) => !e.ok || e.modelAvailable === false);
      item.text = `${report.ok && !problem ? '$(check)' : '$(warning)'} ${d.provider} · ${d.model}`;
      item.tooltip = where + report.endpoints.map((e) => `${e.baseUrl}: ${e.ok ? (e.modelAvailable === false ? `connected, but ${d.model} is not there` : 'connected') : (e.error ?? 'not reachable')}`).join('\n') + '\nClick to select the provider and model.';
      item.backgroundColor = report.ok && !problem ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
    } catch (err) {
      if (mine !== generation) return;
      item.text = `$(error) ${d.provider} · ${d.model}`;
      item.tooltip = (err as Error).message;
    }
  };
  ctx.register(ctx.folders.onDidChangeModel(() => void refresh()));
  // In a multi-root workspace the folder, and so the model, follows the active editor.
  let shown: string | undefined;
  ctx.register(
    vscode.window.onDidChangeActiveTextEditor(() => {
      const now = ctx.folders.active()?.uri.toString();
      if (now !== shown && ctx.folders.multiple) void refresh();
      shown = now;
    }),
  );
  // The first check waits for the window to settle: activation stays cheap.
  const t = setTimeout(() => void refresh(), 1500);
  ctx.register({ dispose: () => clearTimeout(t) });
  return item;
}

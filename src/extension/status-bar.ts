// Provider, model and connection state; a click selects the model.

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
    const d = await ctx.model.describe();
    item.text = `$(sync~spin) ${d.provider} · ${d.model}`;
    item.tooltip = `SynthesizeMe: checking ${d.baseUrls.join(', ')}...`;
    item.show();
    try {
      const llm = await ctx.model.get();
      const report = await llm.checkConnection(AbortSignal.timeout(10_000));
      if (mine !== generation) return;
      const problem = report.endpoints.find((e) => !e.ok || e.modelAvailable === false);
      item.text = `${report.ok && !problem ? '$(check)' : '$(warning)'} ${d.provider} · ${d.model}`;
      item.tooltip = report.endpoints.map((e) => `${e.baseUrl}: ${e.ok ? (e.modelAvailable === false ? `connected, but ${d.model} is not there` : 'connected') : (e.error ?? 'not reachable')}`).join('\n') + '\nClick to select the provider and model.';
      item.backgroundColor = report.ok && !problem ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
    } catch (err) {
      if (mine !== generation) return;
      item.text = `$(error) ${d.provider} · ${d.model}`;
      item.tooltip = (err as Error).message;
    }
  };
  ctx.register(ctx.model.onDidChange(() => void refresh()));
  // The first check waits for the window to settle: activation stays cheap.
  const t = setTimeout(() => void refresh(), 1500);
  ctx.register({ dispose: () => clearTimeout(t) });
  return item;
}

// Select provider and model (the models the server really has) and Set API key (SecretStorage).

import * as vscode from 'vscode';
import type { ProviderName } from '../config';
import type { Ctx } from '../ctx';

function target(): vscode.ConfigurationTarget {
  return vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

export async function selectModelCommand(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  const given = arg as { provider?: unknown; model?: unknown } | undefined;
  const current = await ctx.model.describe();
  let provider = given?.provider === 'ollama' || given?.provider === 'openai' ? (given.provider as ProviderName) : undefined;
  if (!provider) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'ollama' as const, description: 'a local or remote Ollama server', picked: current.provider === 'ollama' },
        { label: 'openai' as const, description: 'an OpenAI-compatible API (OpenAI, vLLM, llama.cpp server, ...)', picked: current.provider === 'openai' },
      ],
      { title: 'SynthesizeMe: provider' },
    );
    if (!pick) return undefined;
    provider = pick.label;
  }
  const c = vscode.workspace.getConfiguration('synthesizeme');
  if (provider !== current.provider) await c.update('provider', provider, target());
  ctx.files.refreshConfig();
  ctx.model.reset();
  let model = typeof given?.model === 'string' ? given.model : undefined;
  if (!model) {
    const llm = await ctx.model.get();
    const source = new vscode.CancellationTokenSource();
    const controller = new AbortController();
    source.token.onCancellationRequested(() => controller.abort());
    const items = llm.listModels(controller.signal).then(
      (models) => models.map((m) => ({ label: m.name, description: m.contextLength ? `context ${m.contextLength}` : '' })),
      (err: Error) => {
        void vscode.window.showErrorMessage(`SynthesizeMe: cannot list the models: ${err.message}`);
        return [] as vscode.QuickPickItem[];
      },
    );
    const pick = await vscode.window.showQuickPick(items, { title: `SynthesizeMe: model on ${llm.config.baseUrls.join(', ')}`, placeHolder: `current: ${current.model}` }, source.token);
    source.dispose();
    if (!pick) return undefined;
    model = pick.label;
  }
  await c.update('model', model, target());
  ctx.log.info('model', `selected ${provider} ${model}`);
  return model;
}

export async function setApiKeyCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const given = arg as { provider?: unknown; key?: unknown } | undefined;
  const provider: ProviderName = given?.provider === 'ollama' ? 'ollama' : 'openai';
  const key =
    typeof given?.key === 'string'
      ? given.key
      : await vscode.window.showInputBox({ title: `SynthesizeMe: API key for ${provider}`, prompt: 'Stored in VS Code\'s secret storage, never in settings or logs. Leave empty to remove it.', password: true, ignoreFocusOut: true });
  if (key === undefined) return;
  if (key.trim()) await ctx.secrets.set(provider, key.trim());
  else await ctx.secrets.delete(provider);
  ctx.log.info('secrets', `API key for ${provider} ${key.trim() ? 'stored' : 'removed'}`);
  ctx.model.reset();
}

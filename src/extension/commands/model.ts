// Select provider and model (the models the server really has) and Set API key (SecretStorage).
//
// Where the choice is written: the workspace's settings (every folder that does not set its own), or,
// with `{ folder }` or the folder picked in a multi-root workspace, that folder's own settings.

import * as vscode from 'vscode';
import type { ProviderName } from '../config';
import type { Ctx } from '../ctx';
import { folderArg, type Folder } from '../folders';
import { UserError } from '../../core/user-error';
import { redactUrl } from '../../core/llm/errors';

interface Where {
  target: vscode.ConfigurationTarget;
  /** The folder whose settings are written, or whose model is listed. */
  folder: Folder;
  scope: vscode.Uri | undefined;
}

async function where(ctx: Ctx, arg: unknown): Promise<Where | undefined> {
  const all = ctx.folders.all();
  // Every model call belongs to a folder (its cache, its runs): no folder, nothing to choose for.
  if (!all.length) throw new UserError('open a folder first: the model is chosen per workspace');
  if (folderArg(arg) !== undefined) {
    const folder = (await ctx.folders.choose(arg, ''))!;
    return { target: ctx.folders.multiple ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace, folder, scope: folder.uri };
  }
  const given = arg as { model?: unknown } | undefined;
  if (all.length === 1 || typeof given?.model === 'string') return { target: vscode.ConfigurationTarget.Workspace, folder: ctx.folders.active() ?? all[0]!, scope: undefined };
  const pick = await vscode.window.showQuickPick(
    [{ label: 'All folders', description: 'the workspace\'s settings (a folder\'s own setting still wins)', folder: undefined as Folder | undefined }, ...all.map((f) => ({ label: f.name, description: 'this folder\'s own settings', folder: f as Folder | undefined }))],
    { title: 'SynthesizeMe: select the model for which folder?' },
  );
  if (!pick) return undefined;
  return pick.folder ? { target: vscode.ConfigurationTarget.WorkspaceFolder, folder: pick.folder, scope: pick.folder.uri } : { target: vscode.ConfigurationTarget.Workspace, folder: ctx.folders.active() ?? all[0]!, scope: undefined };
}

export async function selectModelCommand(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  const given = arg as { provider?: unknown; model?: unknown } | undefined;
  const w = await where(ctx, arg);
  if (!w) return undefined;
  const current = await w.folder.model.describe();
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
  const c = vscode.workspace.getConfiguration('synthesizeme', w.scope);
  if (provider !== current.provider) await c.update('provider', provider, w.target);
  w.folder.files.refreshConfig();
  w.folder.model.reset();
  let model = typeof given?.model === 'string' ? given.model : undefined;
  if (!model) {
    const llm = await w.folder.model.get();
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
    const pick = await vscode.window.showQuickPick(items, { title: `SynthesizeMe: model on ${llm.config.baseUrls.map(redactUrl).join(', ')}`, placeHolder: `current: ${current.model}` }, source.token);
    source.dispose();
    if (!pick) return undefined;
    model = pick.label;
  }
  await c.update('model', model, w.target);
  ctx.log.info('model', `selected ${provider} ${model}${w.target === vscode.ConfigurationTarget.WorkspaceFolder ? ` for ${w.folder.name}` : ''}`);
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
  for (const f of ctx.folders.all()) f.model.reset();
}

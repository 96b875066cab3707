// Select provider and model (the models the server really has) and Set API key (SecretStorage).
//
// Where the choice is written: the workspace's settings (every folder that does not set its own), or,
// with `{ folder }` or the folder picked in a multi-root workspace, that folder's own settings.

import * as vscode from 'vscode';
import type { ProviderName } from '../config';
import type { Ctx } from '../ctx';
import { folderArg, type Folder } from '../folders';
import { baseUrlsOnSwitch } from '../provider-switch';
import { parseServerAddresses, serverAddressProblem } from '../server-address';
import { UserError } from '../../core/user-error';
import { redactUrl, resolveLlmConfig } from '../../core/llm';

const PROVIDERS: readonly ProviderName[] = ['ollama', 'openai', 'vscode-lm'];

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
    return {
      target: ctx.folders.multiple ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace,
      folder,
      scope: folder.uri,
    };
  }
  const given = arg as { model?: unknown } | undefined;
  if (all.length === 1 || typeof given?.model === 'string')
    return { target: vscode.ConfigurationTarget.Workspace, folder: ctx.folders.active() ?? all[0]!, scope: undefined };
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: 'All folders',
        description: "the workspace's settings (a folder's own setting still wins)",
        folder: undefined as Folder | undefined,
      },
      ...all.map((f) => ({
        label: f.name,
        description: "this folder's own settings",
        folder: f as Folder | undefined,
      })),
    ],
    { title: 'SynthesizeMe: select the model for which folder?' },
  );
  if (!pick) return undefined;
  return pick.folder
    ? { target: vscode.ConfigurationTarget.WorkspaceFolder, folder: pick.folder, scope: pick.folder.uri }
    : { target: vscode.ConfigurationTarget.Workspace, folder: ctx.folders.active() ?? all[0]!, scope: undefined };
}

export async function selectModelCommand(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  const given = arg as { provider?: unknown; model?: unknown } | undefined;
  const w = await where(ctx, arg);
  if (!w) return undefined;
  const current = await w.folder.model.describe();
  let provider = PROVIDERS.includes(given?.provider as ProviderName) ? (given!.provider as ProviderName) : undefined;
  if (!provider) {
    const pick = await vscode.window.showQuickPick(
      [
        {
          label: 'ollama' as const,
          description: 'a local or remote Ollama server',
          picked: current.provider === 'ollama',
        },
        {
          label: 'openai' as const,
          description: 'an OpenAI-compatible API (OpenAI, vLLM, llama.cpp server, ...)',
          picked: current.provider === 'openai',
        },
        {
          label: 'vscode-lm' as const,
          description:
            "VS Code's language models (GitHub Copilot's, ...): no server; asks your consent on the first run",
          picked: current.provider === 'vscode-lm',
        },
      ],
      { title: 'SynthesizeMe: provider' },
    );
    if (!pick) return undefined;
    provider = pick.label;
  }
  // Ollama's default server left in place for OpenAI (or the reverse) cannot be meant: the new provider's default applies.
  const configured = w.folder.files.config.baseUrls;
  // VS Code's models have no address: the base URLs set stay for the server providers.
  const switched = provider !== 'vscode-lm' && baseUrlsOnSwitch(provider, configured) === 'reset';
  // A provider given by the caller (a test, a link) chose without the pickers: the address is not asked either.
  const address: { urls?: string[] } | undefined =
    given?.provider || provider === 'vscode-lm' ? {} : await askBaseUrls(provider, switched ? undefined : configured);
  if (!address) return undefined;
  const resetUrls = !address.urls && switched;
  const baseUrls = address.urls ?? (resetUrls ? undefined : configured);
  // The model is asked for before anything is written: cancelling leaves the settings as they were.
  let model = typeof given?.model === 'string' && given.model.trim() ? given.model.trim() : undefined;
  model ??= await askModel(
    ctx,
    w.folder,
    provider,
    baseUrls,
    current.provider === provider ? current.model : undefined,
  );
  if (!model) return undefined;
  const c = vscode.workspace.getConfiguration('synthesizeme', w.scope);
  // An untrusted workspace's own provider setting is ignored (it chooses where the key goes: docs/security.md),
  // so the user's choice is kept where it counts, in their user settings.
  const providerTarget = vscode.workspace.isTrusted ? w.target : vscode.ConfigurationTarget.Global;
  if (provider !== current.provider) await c.update('provider', provider, providerTarget);
  if (provider !== current.provider && providerTarget !== w.target)
    ctx.log.info(
      'model',
      `provider ${provider} saved in your user settings: this workspace is not trusted, and its own settings may not choose the server`,
    );
  if (address.urls) await saveBaseUrls(ctx, c, address.urls, w.target);
  else if (resetUrls) await resetBaseUrls(c, w.target, provider);
  await c.update('model', model, w.target);
  w.folder.files.refreshConfig();
  w.folder.model.reset();
  ctx.log.info(
    'model',
    `selected ${provider} ${model}` +
      `${address.urls ? ` at ${address.urls.map(redactUrl).join(', ')}` : ''}` +
      `${resetUrls ? ` (base URL reset from ${configured!.map(redactUrl).join(', ')}, the other provider's default)` : ''}` +
      `${w.target === vscode.ConfigurationTarget.WorkspaceFolder ? ` for ${w.folder.name}` : ''}`,
  );
  return model;
}

/**
 * The server: the address(es) in use (`baseUrls`, or the provider's default when unset), or one the user types,
 * checked as the engine reads it. Undefined: cancelled; no `urls`: keep what is set.
 */
async function askBaseUrls(
  provider: ProviderName,
  baseUrls: string[] | undefined,
): Promise<{ urls?: string[] } | undefined> {
  const current = resolveLlmConfig({ provider, ...(baseUrls ? { baseUrls } : {}) }, process.env).config.baseUrls;
  const enter = 'Enter a server address...';
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: current.map(redactUrl).join(', '),
        description: baseUrls ? 'current (synthesizeme.baseUrls)' : `${provider}'s default`,
      },
      { label: enter, description: 'another server (http:// or https://)' },
    ],
    { title: `SynthesizeMe: ${provider} server address` },
  );
  if (!pick) return undefined;
  if (pick.label !== enter) return {};
  // A URL with a password is not shown back (nor offered as the value to edit).
  const first = current[0];
  const typed = await vscode.window.showInputBox({
    title: `SynthesizeMe: ${provider} server address`,
    prompt: 'One address, or several serving the same model (separated by commas)',
    placeHolder: provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1',
    ...(first && redactUrl(first) === first ? { value: first } : {}),
    ignoreFocusOut: true,
    validateInput: serverAddressProblem,
  });
  if (typed === undefined) return undefined;
  const parsed = parseServerAddresses(typed);
  return 'urls' in parsed ? { urls: parsed.urls } : undefined;
}

/**
 * The typed address, where the model goes; an untrusted workspace's own address is ignored (it chooses
 * where the key goes: docs/security.md), so there the user's choice is kept in their user settings.
 */
async function saveBaseUrls(
  ctx: Ctx,
  c: vscode.WorkspaceConfiguration,
  urls: string[],
  target: vscode.ConfigurationTarget,
): Promise<void> {
  const urlTarget = vscode.workspace.isTrusted ? target : vscode.ConfigurationTarget.Global;
  await c.update('baseUrls', urls, urlTarget);
  if (urlTarget !== target)
    ctx.log.info(
      'model',
      'server address saved in your user settings: this workspace is not trusted, and its own settings may not choose the server',
    );
}

/**
 * The server's models in a quick pick, which also takes a typed name (a server that lists none, or cannot
 * be reached, or serves one it does not list). Undefined: cancelled; never an empty name.
 */
async function askModel(
  ctx: Ctx,
  folder: Folder,
  provider: ProviderName,
  baseUrls: string[] | undefined,
  current: string | undefined,
): Promise<string | undefined> {
  const servers =
    provider === 'vscode-lm'
      ? "VS Code's language models"
      : resolveLlmConfig({ provider, ...(baseUrls ? { baseUrls } : {}) }, process.env)
          .config.baseUrls.map(redactUrl)
          .join(', ');
  const controller = new AbortController();
  const qp = vscode.window.createQuickPick();
  qp.title = provider === 'vscode-lm' ? `SynthesizeMe: ${servers}` : `SynthesizeMe: ${provider} model on ${servers}`;
  qp.placeholder = current ? `current: ${current}` : 'Which model?';
  qp.busy = true;
  qp.show();
  folder.model.listModelsFor({ provider, baseUrls }, controller.signal).then(
    (models) => {
      qp.items = models.map((m) => ({
        label: m.name,
        description: [
          m.identity && provider === 'vscode-lm' ? m.identity : '',
          m.contextLength ? `context ${m.contextLength}` : '',
        ]
          .filter(Boolean)
          .join(' · '),
      }));
      if (!models.length) qp.placeholder = `${servers} lists no models: type the model's name`;
      qp.busy = false;
    },
    (err: unknown) => {
      if (controller.signal.aborted) return;
      ctx.notices.error('model', err, 'cannot list the models: ');
      qp.placeholder = `The models could not be listed: type the model's name`;
      qp.busy = false;
    },
  );
  return new Promise((resolve) => {
    qp.onDidAccept(() => {
      const chosen = qp.selectedItems[0]?.label ?? qp.value.trim();
      if (!chosen) return;
      resolve(chosen);
      qp.hide();
    });
    qp.onDidHide(() => {
      controller.abort();
      resolve(undefined);
      qp.dispose();
    });
  });
}

/**
 * The base URL set for the other provider's default goes; where it is set at another level too (the user's
 * settings), the new provider's default is written here, so that it wins.
 */
async function resetBaseUrls(
  c: vscode.WorkspaceConfiguration,
  target: vscode.ConfigurationTarget,
  provider: ProviderName,
): Promise<void> {
  const i = c.inspect<string[]>('baseUrls');
  const here = target === vscode.ConfigurationTarget.WorkspaceFolder ? i?.workspaceFolderValue : i?.workspaceValue;
  if (here !== undefined) await c.update('baseUrls', undefined, target);
  const below =
    target === vscode.ConfigurationTarget.WorkspaceFolder ? (i?.workspaceValue ?? i?.globalValue) : i?.globalValue;
  if (below !== undefined && baseUrlsOnSwitch(provider, below) === 'reset')
    await c.update('baseUrls', resolveLlmConfig({ provider }, process.env).config.baseUrls, target);
}

/** Set API Key: stores (or, given an empty key, removes) the key and says so; returns what it said. */
export async function setApiKeyCommand(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  const given = arg as { provider?: unknown; key?: unknown } | undefined;
  const provider: ProviderName = given?.provider === 'ollama' ? 'ollama' : 'openai';
  const key =
    typeof given?.key === 'string'
      ? given.key
      : await vscode.window.showInputBox({
          title: `SynthesizeMe: API key for ${provider}`,
          prompt: "Stored in VS Code's secret storage, never in settings or logs. Leave empty to remove it.",
          password: true,
          ignoreFocusOut: true,
        });
  if (key === undefined) return undefined;
  const had = (await ctx.secrets.get(provider)) !== undefined;
  if (key.trim()) await ctx.secrets.set(provider, key.trim());
  else await ctx.secrets.delete(provider);
  ctx.log.info('secrets', `API key for ${provider} ${key.trim() ? 'stored' : 'removed'}`);
  for (const f of ctx.folders.all()) f.model.reset();
  // Which servers get the key: the provider's, as the active folder reaches it.
  const d = await ctx.folders.active()?.model.describe();
  const hosts = d?.provider === provider ? [...new Set(d.baseUrls.map((u) => hostOf(u)))].join(', ') : '';
  const name = hosts ? `${provider} (${hosts})` : provider;
  const message = key.trim()
    ? `SynthesizeMe: API key saved for ${name} in VS Code's secret storage.`
    : had
      ? `SynthesizeMe: API key for ${name} cleared from VS Code's secret storage.`
      : `SynthesizeMe: no API key was stored for ${name}; nothing to clear.`;
  void ctx.notices.info(message);
  return message;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

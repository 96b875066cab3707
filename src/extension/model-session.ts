// One Llm per workspace folder for the editor session (one scheduler, one cache, whoever asks: a
// command, a CodeLens), from that folder's settings; rebuilt when the model settings or the API key change.

import * as vscode from 'vscode';
import type { Llm } from '../core/llm/client';
import type { Log } from './log';
import type { Secrets } from './secrets';
import type { WorkspaceFiles } from './workspace-files';
import { redactUrl } from '../core/llm/errors';

export interface ModelDescription {
  provider: string;
  model: string;
  baseUrls: string[];
}

export class ModelSession implements vscode.Disposable {
  private llm: Promise<Llm> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly files: WorkspaceFiles,
    private readonly secrets: Secrets,
    private readonly log: Log,
  ) {}

  get(): Promise<Llm> {
    this.llm ??= this.create();
    return this.llm;
  }

  /**
   * Settings or key changed: the next call gets a new Llm. The old one is disposed, which aborts its
   * calls in flight: a run must not finish half on one model and half on another.
   */
  reset(): void {
    const old = this.llm;
    this.llm = undefined;
    void old?.then((l) => l.dispose()).catch(() => undefined);
    this.changed.fire();
  }

  async describe(): Promise<ModelDescription> {
    const { resolveLlmConfig } = await import('../core/llm/config-from-env');
    const c = this.files.config;
    const r = resolveLlmConfig({ ...(c.provider ? { provider: c.provider } : {}), ...(c.baseUrls ? { baseUrls: c.baseUrls } : {}), ...(c.model ? { model: c.model } : {}) }, process.env);
    // For the status bar and pickers: never a password from a URL.
    return { provider: r.config.provider, model: r.config.model, baseUrls: r.config.baseUrls.map(redactUrl) };
  }

  private async create(): Promise<Llm> {
    const [{ createLlm }, { resolveLlmConfig }] = await Promise.all([import('../core/llm/client'), import('../core/llm/config-from-env')]);
    const c = this.files.config;
    const resolved = resolveLlmConfig(
      {
        ...(c.provider ? { provider: c.provider } : {}),
        ...(c.baseUrls ? { baseUrls: c.baseUrls } : {}),
        ...(c.model ? { model: c.model } : {}),
        ...(c.concurrency ? { concurrency: c.concurrency } : {}),
        ...(c.numCtx !== undefined ? { numCtx: c.numCtx } : {}),
        ...(c.think ? { think: c.think } : {}),
        ...(c.outputCaps ? { outputCaps: c.outputCaps } : {}),
        ...(c.apiKeyEnv ? { apiKeyEnv: c.apiKeyEnv } : {}),
      },
      process.env,
    );
    // The key from SecretStorage wins over the environment's.
    const stored = resolved.config.provider === 'openai' ? await this.secrets.get('openai') : undefined;
    const apiKey = stored ?? resolved.apiKey;
    const cacheDir = (await this.files.layout()).cacheDir;
    this.log.info('model', `${this.files.folder.name}: ${resolved.config.provider} ${resolved.config.model} at ${resolved.config.baseUrls.map(redactUrl).join(', ')}${apiKey ? ' (with an API key)' : ''}`);
    return createLlm(resolved.config, {
      cacheDir,
      ...(apiKey ? { apiKey } : {}),
      log: (level, message) => {
        if (level === 'error') this.log.error('llm', message);
        else if (level === 'warn') this.log.warn('llm', message);
        else this.log.info('llm', message);
      },
    });
  }

  dispose(): void {
    void this.llm?.then((l) => l.dispose()).catch(() => undefined);
    this.changed.dispose();
  }
}

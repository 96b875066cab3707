// One Llm per workspace folder for the editor session (one scheduler, one cache, whoever asks: a
// command, a CodeLens), from that folder's settings; rebuilt when the model settings or the API key change.

import * as vscode from 'vscode';
import {
  createLlm,
  type Embedder,
  type Llm,
  type LlmConfig,
  type ModelInfo,
  openEmbedder,
  openRewardModel,
  redactUrl,
  resolveLlmConfig,
  type RewardModel,
  SETTINGS_REWARD_NAMES,
} from '../core/llm';
import type { ProviderName } from './config';
import { VscodeLmClient } from './lm-provider/vscode-lm-client';
import type { Log } from './log';
import type { Secrets } from './secrets';
import type { WorkspaceFiles } from './workspace-files';

export interface ModelDescription {
  provider: string;
  model: string;
  baseUrls: string[];
}

/** A call that went to the server: `error` is unset when it was answered. */
export interface ServerCall {
  error?: unknown;
}

/** VS Code's language models are reached through the extension's own client: core cannot import `vscode`. */
function faceClientOf(
  provider: string,
  log?: (level: 'warn', message: string) => void,
): { faceClient?: (baseUrl: string) => VscodeLmClient } {
  return provider === 'vscode-lm' ? { faceClient: (baseUrl) => new VscodeLmClient(baseUrl, log) } : {};
}

export class ModelSession implements vscode.Disposable {
  private llm: Promise<Llm> | undefined;
  /** The Llm stopped a run (its first calls all failed alike) and would fail every later call: replaced on the next get(). */
  private spent = false;
  /** Counts the Llms made, so that a call of an old one is told from the current one's. */
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly called = new vscode.EventEmitter<ServerCall>();
  /** After each call that reached (or failed to reach) the server; not for cache hits. */
  readonly onDidCall = this.called.event;

  constructor(
    private readonly files: WorkspaceFiles,
    private readonly secrets: Secrets,
    private readonly log: Log,
  ) {}

  get(): Promise<Llm> {
    // A session outlives runs: a server that was down for one run must not fail the next one once it is back.
    if (this.spent) this.reset();
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
    this.spent = false;
    this.generation++;
    void old?.then((l) => l.dispose()).catch(() => undefined);
    this.changed.fire();
  }

  async describe(): Promise<ModelDescription> {
    const c = this.files.config;
    const r = resolveLlmConfig(
      {
        ...(c.provider ? { provider: c.provider } : {}),
        ...(c.baseUrls ? { baseUrls: c.baseUrls } : {}),
        ...(c.model ? { model: c.model } : {}),
      },
      process.env,
    );
    // For the status bar and pickers: never a password from a URL.
    return { provider: r.config.provider, model: r.config.model, baseUrls: r.config.baseUrls.map(redactUrl) };
  }

  /**
   * The models of a provider and server this folder does not use yet (Select Model asks before it writes
   * anything): the folder's settings with these in place, with the stored key, without the cache.
   */
  async listModelsFor(
    choice: { provider: ProviderName; baseUrls: string[] | undefined },
    signal?: AbortSignal,
  ): Promise<ModelInfo[]> {
    const c = this.files.config;
    const resolved = resolveLlmConfig(
      {
        provider: choice.provider,
        ...(choice.baseUrls ? { baseUrls: choice.baseUrls } : {}),
        model: c.model || 'unset',
        ...(c.apiKeyEnv ? { apiKeyEnv: c.apiKeyEnv } : {}),
      },
      process.env,
    );
    const stored = choice.provider === 'openai' ? await this.secrets.get('openai') : undefined;
    const apiKey = stored ?? resolved.apiKey;
    const llm = createLlm(resolved.config, {
      noCache: true,
      ...(apiKey ? { apiKey } : {}),
      ...faceClientOf(choice.provider),
    });
    try {
      return await llm.listModels(signal);
    } finally {
      await llm.dispose();
    }
  }

  /**
   * Another model on this folder's server, with its settings, key and cache (a judge of Prepare Data Set).
   * Not the session's: the caller disposes it, and its failures do not spend the session.
   */
  another(model: string): Promise<Llm> {
    return this.create(model);
  }

  /**
   * A model of a configuration the engine settled (collect's second model: the first one's with another name),
   * with this folder's key and cache. Not the session's, as `another`.
   */
  open(config: LlmConfig): Promise<Llm> {
    const keyEnv = this.files.config.apiKeyEnv;
    const envKey = resolveLlmConfig(
      { provider: config.provider, baseUrls: config.baseUrls, ...(keyEnv ? { apiKeyEnv: keyEnv } : {}) },
      process.env,
    ).apiKey;
    return this.openWith(config, envKey, -1);
  }

  /**
   * The reward model of this folder's settings (`synthesizeme.reward.*`, the `reward-model` methods), or undefined
   * when none is named; on the chat model's server unless another is set, with the same key and cache. Not the
   * session's: the caller disposes it after its run.
   */
  async openReward(): Promise<RewardModel | undefined> {
    const c = this.files.config;
    if (!c.rewardModel) return undefined;
    const chat = (await this.get()).config;
    const stored = await this.secrets.get('openai');
    const reward = openRewardModel(
      {
        model: c.rewardModel,
        ...(c.rewardBaseUrl ? { baseUrl: c.rewardBaseUrl } : {}),
        ...(c.rewardEndpoint ? { endpoint: c.rewardEndpoint } : {}),
      },
      chat,
      SETTINGS_REWARD_NAMES,
      {
        cacheDir: (await this.files.layout()).cacheDir,
        ...(stored ? { apiKey: stored } : {}),
        ...(c.apiKeyEnv ? { apiKeyEnv: c.apiKeyEnv } : {}),
        env: process.env,
        log: (level, message) => (level === 'warn' || level === 'error' ? this.log.warn('reward', message) : undefined),
      },
    );
    if (reward) this.log.info('model', `${this.files.folder.name}: reward model ${reward.model} at ${reward.baseUrl}`);
    return reward;
  }

  /**
   * The embedding model of this folder's settings (`synthesizeme.similar.embedModel`, the nearest users), on the chat
   * model's server with the same key and cache; undefined when none is named. The caller disposes it.
   */
  async openEmbedder(): Promise<Embedder | undefined> {
    const name = this.files.config.embedModel;
    if (!name) return undefined;
    const chat = (await this.get()).config;
    const stored = chat.provider === 'openai' ? await this.secrets.get('openai') : undefined;
    const keyEnv = this.files.config.apiKeyEnv;
    return openEmbedder(chat, name, {
      cacheDir: (await this.files.layout()).cacheDir,
      ...(stored ? { apiKey: stored } : {}),
      ...(keyEnv ? { apiKeyEnv: keyEnv } : {}),
      env: process.env,
      log: (level, message) => (level === 'warn' || level === 'error' ? this.log.warn('embed', message) : undefined),
    });
  }

  private async create(otherModel?: string): Promise<Llm> {
    const generation = otherModel === undefined ? this.generation : -1;
    const c = this.files.config;
    const model = otherModel ?? c.model;
    const resolved = resolveLlmConfig(
      {
        ...(c.provider ? { provider: c.provider } : {}),
        ...(c.baseUrls ? { baseUrls: c.baseUrls } : {}),
        ...(model ? { model } : {}),
        ...(c.concurrency ? { concurrency: c.concurrency } : {}),
        ...(c.numCtx !== undefined ? { numCtx: c.numCtx } : {}),
        ...(c.think ? { think: c.think } : {}),
        ...(c.outputCaps ? { outputCaps: c.outputCaps } : {}),
        ...(c.apiKeyEnv ? { apiKeyEnv: c.apiKeyEnv } : {}),
      },
      process.env,
    );
    return this.openWith(resolved.config, resolved.apiKey, generation);
  }

  /** The one place a model of this folder opens: the key (SecretStorage first, then the environment's), the cache. */
  private async openWith(config: LlmConfig, envKey: string | undefined, generation: number): Promise<Llm> {
    const stored = config.provider === 'openai' ? await this.secrets.get('openai') : undefined;
    const apiKey = stored ?? envKey;
    const cacheDir = (await this.files.layout()).cacheDir;
    this.log.info(
      'model',
      `${this.files.folder.name}: ${config.provider} ${config.model} ` +
        `at ${config.baseUrls.map(redactUrl).join(', ')}${apiKey ? ' (with an API key)' : ''}`,
    );
    return createLlm(config, {
      cacheDir,
      ...faceClientOf(config.provider, (_level, message) => this.log.warn('llm', message)),
      onServerCall: (error) => {
        // Only the session's current Llm can spend it (an old one may still be finishing a run).
        if (generation === this.generation && (error as { stopsRun?: unknown } | undefined)?.stopsRun === true)
          this.spent = true;
        this.called.fire(error === undefined ? {} : { error });
      },
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
    this.called.dispose();
  }
}

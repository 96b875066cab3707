// A served reward model (issue 24, the `reward-model` methods): one score per response, POSTed to vLLM's
// `/classify` (default) or `/pooling` on the OpenAI-compatible server's root (reward-wire.ts says what each takes
// and answers). A score is no chat answer, so this is not a ChatModel: it has its own small loop of retries,
// its timeouts, its counters, and the one response cache, keyed by the model's identity, the endpoint and the
// exact conversation scored. The API key rides in the Authorization header only: never in a key, a log or a file.
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { ResponseCache } from './cache';
import { linkSignals } from '../linked-signal';
import { cachedCall, jsonHeaders, postJson, retrying } from './side-call';
import { normalizeBaseUrl } from './base-url';
import { type ErrorContext, LlmError, parseError } from './errors';
import { estimateRun, estimateTokens, type RunEstimate } from './estimate';
import { httpFetch } from './http-fetch';
import { listedIdentity } from './openai-provider';
import { DEFAULT_RETRY, type RetryPolicy } from './scheduler';
import type { ChatMessage } from './types';
import { UsageCounters, type UsageSnapshot } from './usage';
import {
  readReward,
  rewardBody,
  type RewardEndpoint,
  rewardHttpError,
  RewardShapeError,
  serverRoot,
} from './reward-wire';

export interface RewardConfig {
  /** The OpenAI-compatible base URL of the reward model's server (with or without `/v1`). */
  baseUrl: string;
  model: string;
  /** Default `classify`. */
  endpoint?: RewardEndpoint;
  /** Time allowed for one answer. Default 120 s: a score is one forward pass, no generation. */
  timeoutSeconds?: number;
  /** Requests in flight. Default 8. */
  concurrency?: number;
}

export interface RewardOptions {
  cacheDir?: string;
  noCache?: boolean;
  /** Sent as `Authorization: Bearer <key>`; kept in memory only. */
  apiKey?: string;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** Retry tuning; tests shrink the delays. */
  retry?: Partial<RetryPolicy>;
}

export interface RewardScore {
  score: number;
  /** The cache's key of the score (the verdict names it: the transcript reads the conversation from the cache). */
  key: string;
  cached: boolean;
}

export interface RewardModel {
  readonly model: string;
  readonly endpoint: RewardEndpoint;
  /** The server's root, without credentials: for run headers and messages. */
  readonly baseUrl: string;
  score(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<RewardScore>;
  /** Calls and tokens that scoring these conversations would cost, cached ones apart. */
  estimate(conversations: readonly (readonly ChatMessage[])[]): Promise<RunEstimate>;
  counters(): UsageSnapshot;
  dispose(): Promise<void>;
}

export function createRewardModel(config: RewardConfig, options: RewardOptions = {}): RewardModel {
  return new RewardClient(config, options);
}

const DEFAULT_TIMEOUT_SECONDS = 120;

class RewardClient implements RewardModel {
  readonly model: string;
  readonly endpoint: RewardEndpoint;
  readonly baseUrl: string;
  private readonly root: string;
  private readonly cache: ResponseCache | undefined;
  private readonly usage: UsageCounters;
  private readonly policy: RetryPolicy;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly timeoutMs: number;
  private identity: Promise<string | undefined> | undefined;
  private readonly life = new AbortController();

  constructor(
    config: RewardConfig,
    private readonly options: RewardOptions,
  ) {
    if (!config.model.trim()) throw new LlmError('bad-request', 'No reward model named.');
    this.model = config.model;
    this.endpoint = config.endpoint ?? 'classify';
    this.root = serverRoot(normalizeBaseUrl(config.baseUrl));
    this.baseUrl = normalizeBaseUrl(this.root, { dropCredentials: true });
    this.timeoutMs = (config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    this.limit = pLimit(config.concurrency ?? 8);
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    this.cache =
      options.noCache || !options.cacheDir
        ? undefined
        : new ResponseCache(options.cacheDir, { log: (l, m) => options.log?.(l, m) });
    this.usage = new UsageCounters(config.model, undefined);
  }

  async score(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<RewardScore> {
    const link = linkSignals([signal, this.life.signal]);
    const linked = link.signal;
    try {
      // The identity behind the key is asked once and never fails (identityOf): no call is lost before the count.
      const key = await this.keyOf(messages, linked);
      const { value, cached } = await cachedCall({
        usage: this.usage,
        cache: this.cache,
        key,
        signal: linked,
        context: () => this.context(),
        decode: (text) => {
          const n = Number(text);
          return Number.isFinite(n) ? n : undefined;
        },
        encode: String,
        call: () => this.limit(() => this.withRetries(messages, linked)),
        entry: {
          model: this.model,
          messages: messages.map((m) => ({ role: m.role, content: m.content })),
          server: this.baseUrl,
        },
      });
      return { score: value, key, cached };
    } finally {
      link.dispose();
    }
  }

  async estimate(conversations: readonly (readonly ChatMessage[])[]): Promise<RunEstimate> {
    const planned = [];
    for (const messages of conversations) {
      const key = this.cache ? await this.keyOf(messages, this.life.signal) : '';
      const cached = this.cache ? await this.cache.has(key) : false;
      planned.push({ messages, expectedCompletionTokens: 0, cached });
    }
    return estimateRun(planned, { model: this.model });
  }

  counters(): UsageSnapshot {
    return this.usage.snapshot();
  }

  async dispose(): Promise<void> {
    this.life.abort();
    await this.cache?.close();
  }

  private context(): ErrorContext {
    return { provider: 'openai', baseUrl: this.root, model: this.model, purpose: `reward (/${this.endpoint})` };
  }

  /**
   * The cache's key of a score: the model's identity on the server (vLLM's `root`, from its listing) or else its
   * address without credentials, the model's name, the endpoint, and the conversation exactly as scored.
   */
  private async keyOf(messages: readonly ChatMessage[], signal: AbortSignal): Promise<string> {
    const identity = await this.identityOf(signal);
    const canonical = JSON.stringify([
      'reward-v1',
      identity ? `model:${identity}` : this.baseUrl,
      this.model,
      this.endpoint,
      messages.map((m) => [m.role, m.content]),
    ]);
    return createHash('sha256').update(canonical).digest('hex');
  }

  /** Asked once per run (a failure too: a cached re-run must not wait on a server that is down). */
  private identityOf(signal: AbortSignal): Promise<string | undefined> {
    this.identity ??= this.listIdentity(signal).catch(() => undefined);
    return this.identity;
  }

  private async listIdentity(signal: AbortSignal): Promise<string | undefined> {
    const res = await httpFetch(`${this.root}/v1/models`, {
      headers: this.headers(),
      signal: AbortSignal.any([signal, AbortSignal.timeout(Math.min(this.timeoutMs, 10_000))]),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: Record<string, unknown>[] };
    const entry = body.data?.find((m) => m['id'] === this.model);
    return entry ? listedIdentity(entry) : undefined;
  }

  private headers(): Record<string, string> {
    return jsonHeaders(this.options.apiKey);
  }

  private withRetries(messages: readonly ChatMessage[], signal: AbortSignal) {
    const r = { policy: this.policy, usage: this.usage, what: 'reward', log: this.options.log };
    return retrying(r, signal, () => this.once(messages, signal));
  }

  private async once(messages: readonly ChatMessage[], signal: AbortSignal) {
    const ctx = this.context();
    const text = await postJson(`${this.root}/${this.endpoint}`, rewardBody(this.model, messages), {
      headers: this.headers(),
      timeoutMs: this.timeoutMs,
      signal,
      ctx,
      httpError: (status, body, retryAfter) => rewardHttpError(ctx, this.endpoint, status, body, retryAfter),
    });
    try {
      const body = JSON.parse(text) as { usage?: { prompt_tokens?: unknown } };
      const score = readReward(this.endpoint, body);
      const told = body.usage?.prompt_tokens;
      return { value: score, promptTokens: typeof told === 'number' ? told : estimateTokens(messages) };
    } catch (err) {
      if (err instanceof RewardShapeError)
        throw new LlmError('bad-request', `The reward model "${this.model}" gave no single score: ${err.message}.`, {
          provider: 'openai',
          baseUrl: this.root,
          model: this.model,
          stopsRun: true,
          retryable: false,
        });
      throw parseError(ctx, 'malformed JSON', err);
    }
  }
}

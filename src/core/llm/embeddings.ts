// Text embeddings (issue 24, `--similar-users m`): one vector per text, from the chat server's embeddings endpoint,
// Ollama's `POST /api/embed` ({model, input: [text]} -> {embeddings: [[...]]}) or the OpenAI-compatible
// `POST /v1/embeddings` ({model, input: [text]} -> {data: [{embedding, index}]}), which llama.cpp's server (started
// with `--embeddings`) and vLLM serve. A vector is no chat answer, so this is not a ChatModel: like reward-client.ts
// it has its own small loop of retries and its counters, and it keeps its vectors in the one response cache, keyed by
// the model's identity (name and server), the endpoint and the exact text. The API key rides in the header only.
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { ResponseCache } from './cache';
import { linkSignals } from '../linked-signal';
import { cachedCall, jsonHeaders, postJson, retrying } from './side-call';
import { normalizeBaseUrl } from './base-url';
import { type ErrorContext, LlmError } from './errors';
import { httpError, parseError } from './errors';
import { estimateTextTokens } from './estimate';
import { DEFAULT_RETRY, type RetryPolicy } from './scheduler';
import { errorWords, serverRoot } from './reward-wire';
import type { ProviderKind } from './types';
import type { LlmConfig } from './client';
import { resolveLlmConfig } from './config-from-env';
import { UserError } from '../user-error';
import { UsageCounters, type UsageSnapshot } from './usage';

export interface EmbedderConfig {
  provider: ProviderKind;
  /** The chat server's base URL (Ollama's root, or an OpenAI-compatible one with or without `/v1`). */
  baseUrl: string;
  model: string;
  timeoutSeconds?: number;
}

export interface EmbedderOptions {
  cacheDir?: string;
  noCache?: boolean;
  /** Sent as `Authorization: Bearer <key>` to an OpenAI-compatible server; kept in memory only. */
  apiKey?: string;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  retry?: Partial<RetryPolicy>;
}

export interface Embedder {
  readonly model: string;
  readonly provider: ProviderKind;
  /** The server, without credentials: for run headers and messages. */
  readonly baseUrl: string;
  /** One vector per text, in order; cached ones are not asked again. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
  /** The cached vector of a text, or undefined: a dry run asks nothing of the server. */
  cached(text: string): Promise<number[] | undefined>;
  counters(): UsageSnapshot;
  dispose(): Promise<void>;
}

export function createEmbedder(config: EmbedderConfig, options: EmbedderOptions = {}): Embedder {
  return new EmbeddingClient(config, options);
}

const DEFAULT_TIMEOUT_SECONDS = 120;

class EmbeddingClient implements Embedder {
  readonly model: string;
  readonly provider: ProviderKind;
  readonly baseUrl: string;
  private readonly url: string;
  private readonly cache: ResponseCache | undefined;
  private readonly usage: UsageCounters;
  private readonly policy: RetryPolicy;
  private readonly limit = pLimit(4);
  private readonly timeoutMs: number;
  private readonly life = new AbortController();

  constructor(
    config: EmbedderConfig,
    private readonly options: EmbedderOptions,
  ) {
    if (!config.model.trim()) throw new LlmError('bad-request', 'No embedding model named.');
    this.model = config.model;
    this.provider = config.provider;
    const root = serverRoot(normalizeBaseUrl(config.baseUrl));
    this.url = config.provider === 'ollama' ? `${root}/api/embed` : `${root}/v1/embeddings`;
    this.baseUrl = normalizeBaseUrl(root, { dropCredentials: true });
    this.timeoutMs = (config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    this.cache =
      options.noCache || !options.cacheDir
        ? undefined
        : new ResponseCache(options.cacheDir, { log: (l, m) => options.log?.(l, m) });
    this.usage = new UsageCounters(config.model, undefined);
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const link = linkSignals([signal, this.life.signal]);
    try {
      return await Promise.all(texts.map((t) => this.one(t, link.signal)));
    } finally {
      link.dispose();
    }
  }

  async cached(text: string): Promise<number[] | undefined> {
    const hit = await this.cache?.get(this.keyOf(text));
    return hit ? vectorOf(hit.text) : undefined;
  }

  counters(): UsageSnapshot {
    return this.usage.snapshot();
  }

  async dispose(): Promise<void> {
    this.life.abort();
    await this.cache?.close();
  }

  private async one(text: string, signal: AbortSignal): Promise<number[]> {
    const { value } = await cachedCall({
      usage: this.usage,
      cache: this.cache,
      key: this.keyOf(text),
      signal,
      context: () => this.context(),
      decode: vectorOf,
      encode: (vector) => JSON.stringify(vector),
      call: () => this.limit(() => this.withRetries(text, signal)),
      entry: { model: this.model, server: this.baseUrl },
    });
    return value;
  }

  private context(): ErrorContext {
    return { provider: this.provider, baseUrl: this.baseUrl, model: this.model, purpose: 'embeddings' };
  }

  /** The model as the server names it, the server, the endpoint and the text: another of any is another vector. */
  private keyOf(text: string): string {
    const canonical = JSON.stringify(['embed-v1', this.baseUrl, this.url.endsWith('/api/embed'), this.model, text]);
    return createHash('sha256').update(canonical).digest('hex');
  }

  private withRetries(text: string, signal: AbortSignal) {
    const r = { policy: this.policy, usage: this.usage, what: 'embedding', log: this.options.log };
    return retrying(r, signal, () => this.once(text, signal));
  }

  private async once(text: string, signal: AbortSignal): Promise<{ value: number[]; promptTokens: number }> {
    const ctx = this.context();
    const body = await postJson(
      this.url,
      { model: this.model, input: [text] },
      {
        headers: jsonHeaders(this.options.apiKey),
        timeoutMs: this.timeoutMs,
        signal,
        ctx,
        httpError: (status, answer, retryAfter) => embeddingHttpError(ctx, this.url, status, answer, retryAfter),
      },
    );
    try {
      const { vector, promptTokens } = readEmbedding(JSON.parse(body), text);
      return { value: vector, promptTokens };
    } catch (err) {
      throw parseError(ctx, 'no embedding in the answer', err);
    }
  }
}

/** Ollama's `{embeddings: [[...]]}` or OpenAI's `{data: [{embedding, index}]}`, with the server's token count if told. */
export function readEmbedding(body: unknown, text: string): { vector: number[]; promptTokens: number } {
  const b = (body ?? {}) as {
    embeddings?: unknown[];
    data?: { embedding?: unknown; index?: unknown }[];
    prompt_eval_count?: unknown;
    usage?: { prompt_tokens?: unknown };
  };
  const raw = Array.isArray(b.embeddings) ? b.embeddings[0] : b.data?.find((d) => (d.index ?? 0) === 0)?.embedding;
  const vector = Array.isArray(raw) && raw.length && raw.every((x) => typeof x === 'number') ? (raw as number[]) : [];
  if (!vector.length) throw new Error('the answer holds no vector of numbers');
  const told = typeof b.prompt_eval_count === 'number' ? b.prompt_eval_count : b.usage?.prompt_tokens;
  return { vector, promptTokens: typeof told === 'number' ? told : estimateTextTokens(text) };
}

function vectorOf(text: string): number[] | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.length && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
  } catch {
    return undefined;
  }
}

/** A server that embeds nothing answers 404 (no route), 501 (llama.cpp's server without `--embeddings`, which Ollama
 * passes on for a chat-only model) or 400 ("does not support embeddings"): the run stops, saying what to do. */
const NO_EMBEDDINGS = /support embeddings|--embeddings|not found|no such|embedding/i;

export function embeddingHttpError(
  ctx: ErrorContext,
  url: string,
  status: number,
  text: string,
  retryAfterMs?: number,
): LlmError {
  const words = errorWords(text);
  const missing = status === 404 || status === 501 || (status === 400 && NO_EMBEDDINGS.test(words.message));
  if (missing)
    return new LlmError(
      'not-found',
      `The server gave no embedding of model "${ctx.model}" (${status} at ${url}: ${words.message || 'no message'}).`,
      {
        provider: ctx.provider,
        baseUrl: ctx.baseUrl,
        model: ctx.model,
        status,
        detail: words.message,
        advice: { kind: 'embeddings' },
        stopsRun: true,
        retryable: false,
      },
    );
  return httpError(ctx, status, words.message, {
    code: words.code ?? null,
    type: words.type ?? null,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/**
 * The embedder of `--similar-users`: the chat model's server and kind, the embedding model named (default the chat
 * model), and an OpenAI-compatible server's key as the chat model finds it (`apiKeyEnv`, else OPENAI_API_KEY).
 */
export function openEmbedder(
  chat: Pick<LlmConfig, 'provider' | 'baseUrls' | 'model'>,
  model: string | undefined,
  options: EmbedderOptions & { apiKeyEnv?: string; env?: Record<string, string | undefined> },
): Embedder {
  const baseUrl = chat.baseUrls[0];
  if (!baseUrl) throw new UserError('--similar-users: no server to embed with (--base-url)', 2);
  const { apiKeyEnv, env, ...rest } = options;
  const apiKey =
    rest.apiKey ??
    (chat.provider === 'openai'
      ? resolveLlmConfig({ provider: 'openai', baseUrls: [baseUrl], ...(apiKeyEnv ? { apiKeyEnv } : {}) }, env ?? {})
          .apiKey
      : undefined);
  const name = model?.trim() || chat.model;
  return createEmbedder({ provider: chat.provider, baseUrl, model: name }, { ...rest, ...(apiKey ? { apiKey } : {}) });
}

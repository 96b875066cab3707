// The composition root of the LLM layer: one Llm per run (or per extension session) wires the
// providers, the endpoint pool, the scheduler, the cache and the counters behind the ChatModel
// interface. Everything above this file (judge, fit, benchmark filters) sees only ChatModel;
// the CLI and the extension also use counters(), estimate(), checkConnection() and dispose().
import { cacheKey, type CacheStats, ResponseCache } from './cache';
import { linkSignals } from '../linked-signal';
import { abortedError, budgetError, errorMessage, isLlmError, LlmError, redactUrl, waitText } from './errors';
import { DEFAULT_CONCURRENCY, Endpoint, EndpointPool, type EndpointStatus } from './endpoints';
import { normalizeBaseUrl } from './base-url';
import { estimateRun, estimateTokens, type RunEstimate } from './estimate';
import { OllamaProvider } from './ollama-provider';
import { OpenAIProvider } from './openai-provider';
import type { CallTimeouts, EndpointClient, ModelInfo, ProviderCall, ProviderReply } from './provider';
import { DEFAULT_RETRY, type RetryPolicy, Scheduler } from './scheduler';
import { splitThinking } from './thinking';
import { CallDeadline } from './watchdog';
import { MAX_ANSWER_CHARS } from './answer-guard';
import { sameModel, ServerIdentities } from './server-identity';
import { cacheSaltOf, type ServerFeatures } from './vllm';
import { CutAnswerError, filledCap, pastCap } from './cut-answer';
import { parseTolerantJson } from './tolerant-json';
import type {
  ChatMessage,
  ChatModel,
  ChatRequest,
  ChatResult,
  OutputCaps,
  ProviderKind,
  ResponseSchema,
  ThinkMode,
} from './types';
import { outputCapOf } from './types';
import { type PriceTable, UsageCounters, type UsageSnapshot } from './usage';
import type { RequestBudget } from './request-budget';

export interface LlmConfig {
  provider: ProviderKind;
  /** One or more base URLs of the same provider serving the same model. */
  baseUrls: string[];
  model: string;
  /** Concurrent calls per endpoint (upper bound of the adaptive limit). Default 4 for Ollama, 8 for OpenAI-compatible. */
  concurrency?: number;
  /** Time allowed until the first byte of an answer; a model may be loading. Default 300 s. */
  timeoutSeconds?: number;
  /** Time allowed between two chunks of a streamed answer. Default 60 s. */
  idleTimeoutSeconds?: number;
  /**
   * Total time one request may take, however steadily the server streams. Default: the first-byte
   * timeout plus 300 s (600 s with the defaults); 0 sets none. See DEFAULT_STREAM_BUDGET_SECONDS.
   */
  callDeadlineSeconds?: number;
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /** Stream answers (enables the idle timeout). Default true. */
  stream?: boolean;
  /**
   * Ollama `num_ctx`: a number, or 'auto' (the default) to size it once per run from the largest prompt
   * plus its answer, capped at the model's trained length (see sizeContext).
   */
  numCtx?: number | 'auto';
  /** Ollama `keep_alive`. */
  keepAlive?: string | number;
  /** Reasoning: 'off' by default (see ThinkMode). */
  think?: ThinkMode;
  /** Output caps by kind of call, over the schemas' own (see schemas.ts for the defaults). */
  outputCaps?: OutputCaps;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, message: string) => void;

export interface LlmOptions {
  /** Cache folder; usually `defaultCacheDir(workspaceRoot)`. No folder, no cache. */
  cacheDir?: string;
  /** Neither read nor write the cache (--no-cache). */
  noCache?: boolean;
  /**
   * What names the workspace in its users' prefix-cache salts (vLLM's cache_salt), so that two workspaces with a
   * user of the same id do not share that user's cached prefixes either. Default: the cache folder, which is the
   * workspace's own.
   */
  saltScope?: string;
  /** For OpenAI-compatible servers. Kept in memory only; never logged, cached or written. */
  apiKey?: string;
  log?: LogFn;
  prices?: PriceTable;
  /** Retry tuning; tests shrink the delays. */
  retry?: Partial<RetryPolicy>;
  /** First cool-down of a failing endpoint. Default 15 s. */
  coolDownMs?: number;
  maxCoolDownMs?: number;
  /** After this long without an answer, say that the run is waiting for the server. Default 30 s. */
  slowCallMs?: number;
  /** A wait before a retry longer than this is said (warn) as it starts. Default NOTICE_WAIT_MS. */
  waitNoticeMs?: number;
  /**
   * A user's first call goes alone, so that the server computes the user's prefix once (scheduler.ts
   * PrefixWarmup). Default true; false only for `npm run bench -- scale`, which measures what it saves.
   */
  prefixWarmup?: boolean;
  /**
   * After each call that went to a server (not a cache hit, not a cancelled one): no error when it was
   * answered. The extension's status bar re-checks the server on a change of fortune.
   */
  onServerCall?: (error?: unknown) => void;
  /**
   * The endpoint client of a provider only a face can reach ('vscode-lm': VS Code's language models, which core
   * cannot import): the extension supplies it. Without it that provider is refused (the CLI has none).
   */
  faceClient?: (baseUrl: string, timeouts: CallTimeouts) => EndpointClient;
  /**
   * Batch mode (--batch): every endpoint is this client, which answers from batch output files and writes what they
   * lack to the next batch file (batch-files.ts). The base URL stays the configured one, so cached answers mix.
   */
  batchClient?: (baseUrl: string, model: string) => EndpointClient;
}

export interface EndpointReport {
  baseUrl: string;
  ok: boolean;
  version?: string;
  models?: string[];
  /** Whether the configured model is among the server's models. */
  modelAvailable?: boolean;
  /** An actionable message when the endpoint or the model is not usable. */
  error?: string;
  errorKind?: LlmError['kind'];
  /** The failure itself, when reaching the endpoint failed: front ends phrase its advice their own way. */
  failure?: LlmError;
}

export interface ConnectionReport {
  ok: boolean;
  endpoints: EndpointReport[];
}

export interface Llm extends ChatModel {
  readonly config: Readonly<LlmConfig>;
  /** Calls, cache hits, tokens, time and cost since creation (or the last reset). */
  counters(): UsageSnapshot;
  resetCounters(): void;
  /** Models offered by the endpoints (union). */
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  /** Reaches every endpoint and checks that the model is there; never throws for an unreachable server. */
  checkConnection(signal?: AbortSignal): Promise<ConnectionReport>;
  /**
   * Ollama only: fixes the num_ctx of every later call from the largest of these requests (once per run: a
   * change of options makes Ollama reload the model). Without it, the first call sizes the context.
   */
  sizeContext(requests: readonly ChatRequest[], signal?: AbortSignal): Promise<ContextPlan | undefined>;
  /** Calls and tokens that these requests would cost, counting cache hits apart (--dry-run). */
  estimate(requests: readonly ChatRequest[], options?: { defaultCompletionTokens?: number }): Promise<RunEstimate>;
  endpoints(): EndpointStatus[];
  cacheStats(): Promise<CacheStats | undefined>;
  /**
   * Caps the requests this model sends (every attempt) at a budget, shared with other models when the
   * same one is given to them; undefined lifts the cap. A request past it is not sent: its call fails as 'budget'.
   */
  limitRequests(budget: RequestBudget | undefined): void;
  /** Settles when no call is in flight: a batch round waits for every call it started to reach its endpoint. */
  idle(): Promise<void>;
  /** Aborts calls in flight, rejects queued ones, closes the cache. */
  dispose(): Promise<void>;
}

/** The context size a run sends, and why. */
export interface ContextPlan {
  numCtx: number;
  /** The largest prompt plus its answer, estimated. */
  neededTokens: number;
  /** The model's trained context length, when the server said. */
  modelContext?: number;
  source: 'setting' | 'sized';
  /** The largest prompt does not fit the model at all. */
  exceedsModel: boolean;
}

/** Never below this: a larger context costs an 8B model well under a gigabyte, and every prompt of a run fits. */
export const MIN_AUTO_NUM_CTX = 8192;

/** The num_ctx for a run whose largest prompt and answer need `needed` tokens. */
export function autoNumCtx(needed: number, modelContext: number | undefined): number {
  const want = Math.max(MIN_AUTO_NUM_CTX, Math.ceil((needed * 1.25) / 1024) * 1024);
  return modelContext ? Math.min(want, modelContext) : want;
}

export function createLlm(config: LlmConfig, options: LlmOptions = {}): Llm {
  return new LlmClient(config, options);
}

const DEFAULT_FIRST_BYTE_SECONDS = 300;
/** Failures alike, with no success before them, after which a run stops. */
export const EARLY_STOP_AFTER = 10;
/** How much more output room a call gets when the model thinks first. */
export const THINKING_CAP_FACTOR = 4;
/** The answer budget of a call without an output cap, for sizing the context. */
const DEFAULT_ANSWER_TOKENS = 512;
const DEFAULT_IDLE_SECONDS = 60;
/**
 * The per-call deadline, by default, gives an answer this long after the first-byte allowance. It counts
 * from the request, so it must exceed the first-byte timeout: otherwise a model that is loading would end
 * on the deadline, and the first-byte timer (with its clearer message) would never fire. And it must be
 * room for a capped answer on a slow local server: a judge answer is capped at 512 tokens, 4x when the
 * model thinks (2,048), which a CPU that writes 8-10 tokens a second needs 200-250 s for. Past that a
 * stream is a model looping past its cap (or a server ignoring it), and waiting longer only costs time.
 */
const DEFAULT_STREAM_BUDGET_SECONDS = 300;
/** A wait before a retry longer than this is said as it starts: no run waits without a message. */
export const NOTICE_WAIT_MS = 5_000;

class LlmClient implements Llm {
  readonly provider: ProviderKind;
  readonly model: string;
  readonly config: Readonly<LlmConfig>;
  private readonly pool: EndpointPool;
  private readonly scheduler: Scheduler;
  private readonly cache: ResponseCache | undefined;
  private readonly usage: UsageCounters;
  private readonly life = new AbortController();
  private readonly log: LogFn;
  private readonly onServerCall: ((error?: unknown) => void) | undefined;
  private readonly prices: PriceTable | undefined;
  /** The num_ctx sent on every Ollama call of this run, once sized. */
  private contextPlan: ContextPlan | undefined;
  private sizing: Promise<ContextPlan | undefined> | undefined;
  /** What each server serves (Ollama's digest, llama.cpp's file): the cache's name for the server, not its address. */
  private readonly identities: ServerIdentities;
  private digestChangeSaid = false;
  private readonly slowCallMs: number;
  private readonly callDeadlineMs: number;
  /** Failures before the first success, by signature: ten alike and the run stops (EARLY_STOP_AFTER). */
  private succeeded = false;
  private earlyFailures: string[] = [];
  private stopped: LlmError | undefined;
  /** When each endpoint was last said to be slow: once a minute at most. */
  private readonly slowSaid = new Map<Endpoint, number>();
  /** The end of the last wait said (NOTICE_WAIT_MS): calls waiting together are said once. */
  private waitSaidUntil = 0;
  private requestBudget: RequestBudget | undefined;
  private readonly waitNoticeMs: number;
  /** What names this workspace in its users' prefix-cache salts (LlmOptions.saltScope). */
  private readonly saltScope: string;
  private readonly salts = new Map<string, string>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(config: LlmConfig, options: LlmOptions) {
    const baseUrls = [...new Set(config.baseUrls.map((u) => normalizeBaseUrl(u)).filter(Boolean))];
    if (baseUrls.length === 0) throw new LlmError('bad-request', 'No base URL configured for the LLM provider.');
    if (!config.model.trim())
      throw new LlmError('bad-request', 'No model configured:', { advice: { kind: 'set-model' } });
    this.config = { ...config, baseUrls };
    this.provider = config.provider;
    this.model = config.model;
    this.log = options.log ?? (() => undefined);
    this.onServerCall = options.onServerCall;
    this.prices = options.prices;
    this.slowCallMs = options.slowCallMs ?? 30_000;
    this.waitNoticeMs = options.waitNoticeMs ?? NOTICE_WAIT_MS;
    this.saltScope = options.saltScope ?? options.cacheDir ?? '';
    const timeouts: CallTimeouts = {
      firstByteMs: (config.timeoutSeconds ?? DEFAULT_FIRST_BYTE_SECONDS) * 1000,
      idleMs: (config.idleTimeoutSeconds ?? DEFAULT_IDLE_SECONDS) * 1000,
    };
    this.callDeadlineMs =
      config.callDeadlineSeconds !== undefined
        ? config.callDeadlineSeconds * 1000
        : timeouts.firstByteMs + DEFAULT_STREAM_BUDGET_SECONDS * 1000;
    const concurrency = config.concurrency ?? DEFAULT_CONCURRENCY[config.provider];
    const endpoints = baseUrls.map((url) => new Endpoint(makeClient(config, url, timeouts, options), concurrency));
    this.pool = new EndpointPool(endpoints, { coolDownMs: options.coolDownMs, maxCoolDownMs: options.maxCoolDownMs });
    const policy: RetryPolicy = {
      ...DEFAULT_RETRY,
      ...(config.maxAttempts !== undefined ? { maxAttempts: config.maxAttempts } : {}),
      ...options.retry,
    };
    this.scheduler = new Scheduler(this.pool, policy, {
      prefixWarmup: options.prefixWarmup ?? true,
      onRetry: (err, endpoint, attempt, delayMs) => this.sayRetry(err, endpoint, attempt, delayMs, policy.maxAttempts),
      // A retry the budget has no room for is not waited for either.
      beforeRetry: (err) =>
        this.requestBudget && this.requestBudget.left === 0
          ? budgetError(this.requestBudget.limit, this.errorContext(), err)
          : undefined,
    });
    this.cache =
      options.noCache || !options.cacheDir
        ? undefined
        : new ResponseCache(options.cacheDir, { log: (level, message) => this.log(level, message) });
    this.usage = new UsageCounters(config.model, options.prices);
    this.identities = new ServerIdentities(config.provider, config.model, this.cache, this.log);
  }

  async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    this.inFlight++;
    try {
      return await this.chatOnce(request, signal);
    } finally {
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async chatOnce(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    validateRequest(request);
    this.usage.begin();
    // A signal of its own per call: the listeners of its queue slot, watchdog and request hang
    // there, not on a run-wide signal shared by thousands of calls.
    const link = linkSignals([signal, this.life.signal]);
    const linked = link.signal;
    try {
      if (linked.aborted) throw abortedError();
      if (this.stopped) throw this.stopped;
      // The context is part of what a call is (and of its cache key): fix it before the first call.
      if (this.provider === 'ollama' && !this.contextPlan) await this.sizeContext([request], linked);
      const digest = this.cache ? await this.modelDigest(linked) : undefined;
      // One key per endpoint: an answer from any endpoint of the pool counts (same model).
      const keys = this.cache ? await this.keysFor(request, linked) : [];
      const hit = await this.lookup(this.cache ? this.lookupKeys(keys, request) : [], request, digest);
      if (hit) {
        this.usage.recordCacheHit();
        return hit;
      }
      const done = await this.scheduler.run(
        (endpoint, attempt) => this.attempt(endpoint, request, linked, attempt > 1),
        linked,
        request.affinity,
      );
      const { reply, latencyMs, endpoint, sent } = done;
      this.usage.recordCall(reply.usage, latencyMs);
      this.succeeded = true;
      this.onServerCall?.();
      if (reply.finishReason === 'length') {
        const huge = reply.text.length >= MAX_ANSWER_CHARS;
        this.log(
          huge ? 'warn' : 'debug',
          huge
            ? `the ${request.purpose ?? 'call'} answer passed ${MAX_ANSWER_CHARS / 1024 / 1024} MiB ` +
                'and was cut there (the server ignored the output cap)'
            : `the ${request.purpose ?? 'call'} answer hit the token limit and may be cut short`,
        );
        // An answer that becomes data must be whole: cut, it is a failed call, and it is not cached.
        if (request.wholeAnswer)
          throw new CutAnswerError(this.sentCap(request) ?? 0, request.purpose, {
            provider: this.provider,
            model: this.model,
          });
      }
      // A server that ignores the cap says "stop" with any count: the length tells (a 40,000-character persona at 50 tokens).
      const cap = request.wholeAnswer ? this.sentCap(request) : undefined;
      if (pastCap(reply.text, cap))
        throw new CutAnswerError(
          cap!,
          request.purpose,
          { provider: this.provider, model: this.model },
          undefined,
          reply.text.length,
        );
      // The key is named even without a cache: a run file records it, and the transcript then says the cache lacks it.
      const key = keys[this.pool.endpoints.indexOf(endpoint)] ?? this.keyFor(endpoint.baseUrl, request);
      await this.cache?.put(key, {
        text: reply.text,
        usage: reply.usage,
        latencyMs,
        model: this.model,
        ...(digest ? { digest } : {}),
        messages: sent,
        server: endpoint.baseUrl,
      });
      return this.result(reply.text, reply.usage, latencyMs, false, request.schema, key);
    } catch (err) {
      if (linked.aborted || (isLlmError(err) && err.kind === 'aborted')) {
        this.usage.recordCancelled();
        throw isLlmError(err) && err.kind === 'aborted'
          ? err
          : abortedError({ provider: this.provider, model: this.model });
      }
      this.usage.recordError();
      const early = this.noteEarlyFailure(err);
      // A call refused by an earlier stop, or by the budget, never reached a server.
      if (err !== this.stopped && !(isLlmError(err) && (err.kind === 'budget' || err.kind === 'deferred')))
        this.onServerCall?.(early ?? err);
      if (early) throw early;
      // The caller gets the error and reports it; the log only keeps the trail.
      const attempts = isLlmError(err) ? ` after ${err.attempts} attempt(s)` : '';
      this.log('debug', `the ${request.purpose ?? 'chat'} call failed${attempts}: ${errorMessage(err)}`);
      throw err;
    } finally {
      link.dispose();
      this.usage.end();
    }
  }

  /**
   * A run whose first calls all fail the same way (a model that refuses the schema in a way we cannot
   * fall back from, a proxy answering 400 to everything) would otherwise record hundreds of failures:
   * after EARLY_STOP_AFTER of them with no success in between, every call fails with one error that ends it.
   */
  private noteEarlyFailure(err: unknown): LlmError | undefined {
    if (this.succeeded || this.stopped || !isLlmError(err) || err.kind === 'aborted' || err.stopsRun) return undefined;
    // A request written to a batch file failed nothing: thousands of them are the batch mode working.
    if (err.kind === 'deferred') return undefined;
    // Only the first EARLY_STOP_AFTER failures decide; past them nothing more is kept (a long run of
    // assorted failures must not grow this list).
    if (this.earlyFailures.length >= EARLY_STOP_AFTER) return undefined;
    this.earlyFailures.push(`${err.kind}:${err.status ?? ''}:${(err.detail ?? err.message).slice(0, 80)}`);
    if (this.earlyFailures.length < EARLY_STOP_AFTER || new Set(this.earlyFailures).size !== 1) return undefined;
    this.stopped = new LlmError(
      err.kind,
      `The first ${EARLY_STOP_AFTER} calls all failed the same way, so the run stops here: ${err.summary}`,
      {
        ...(err.advice ? { advice: err.advice } : {}),
        ...(err.afterAdvice ? { afterAdvice: err.afterAdvice } : {}),
        provider: err.provider,
        baseUrl: err.baseUrl,
        model: err.model,
        status: err.status,
        detail: err.detail,
        retryable: false,
        stopsRun: true,
      },
    );
    this.log('warn', this.stopped.message);
    return this.stopped;
  }

  counters(): UsageSnapshot {
    return this.usage.snapshot();
  }

  resetCounters(): void {
    this.usage.reset();
  }

  limitRequests(budget: RequestBudget | undefined): void {
    this.requestBudget = budget;
  }

  private errorContext() {
    return { provider: this.provider, model: this.model };
  }

  /** A retry's wait: in the log's detail, and said (warn) when it is long, once for calls that wait together. */
  private sayRetry(err: LlmError, endpoint: Endpoint, attempt: number, delayMs: number, maxAttempts: number): void {
    const detail =
      `retrying after ${err.kind} on ${redactUrl(endpoint.baseUrl)} ` +
      `(attempt ${attempt + 1} of ${maxAttempts}, in ${(delayMs / 1000).toFixed(1)} s): ${err.message}`;
    const until = Date.now() + delayMs;
    if (delayMs <= this.waitNoticeMs || until <= this.waitSaidUntil + 1000) {
      this.log('info', detail);
      return;
    }
    this.waitSaidUntil = until;
    const asked = err.retryAfterMs !== undefined ? ' (the server asked for it with Retry-After)' : '';
    this.log('warn', `waiting ${waitText(delayMs)} before retrying${asked}: ${err.summary}`);
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const byName = new Map<string, ModelInfo>();
    let firstError: unknown;
    for (const e of this.pool.endpoints) {
      try {
        for (const m of await e.client.listModels(signal)) if (!byName.has(m.name)) byName.set(m.name, m);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (byName.size === 0 && firstError) throw firstError;
    return [...byName.values()];
  }

  async checkConnection(signal?: AbortSignal): Promise<ConnectionReport> {
    const reports = await Promise.all(
      this.pool.endpoints.map(async (e): Promise<EndpointReport> => {
        const baseUrl = redactUrl(e.baseUrl);
        try {
          const check = await e.client.check(signal);
          const models = check.models.map((m) => m.name);
          const modelAvailable = models.some((m) => sameModel(this.provider, m, this.model));
          const report: EndpointReport = {
            baseUrl,
            ok: modelAvailable,
            version: check.version,
            models,
            modelAvailable,
          };
          if (!modelAvailable) {
            report.errorKind = 'not-found';
            report.error =
              this.provider === 'ollama'
                ? `Model "${this.model}" is not available on Ollama at ${baseUrl}. Pull it with \`ollama pull ${this.model}\`.`
                : `The server at ${baseUrl} does not list model "${this.model}" (it offers: ${models.slice(0, 10).join(', ') || 'none'}).`;
          }
          return report;
        } catch (err) {
          return {
            baseUrl,
            ok: false,
            error: errorMessage(err),
            errorKind: isLlmError(err) ? err.kind : undefined,
            ...(isLlmError(err) ? { failure: err } : {}),
          };
        }
      }),
    );
    return { ok: reports.some((r) => r.ok), endpoints: reports };
  }

  sizeContext(requests: readonly ChatRequest[], signal?: AbortSignal): Promise<ContextPlan | undefined> {
    if (this.provider !== 'ollama') return Promise.resolve(undefined);
    if (this.contextPlan) return Promise.resolve(this.contextPlan);
    // Concurrent first calls share one sizing.
    this.sizing ??= this.planContext(requests, signal).then(
      (plan) => {
        this.contextPlan = plan;
        return plan;
      },
      (err: unknown) => {
        this.sizing = undefined;
        throw err;
      },
    );
    return this.sizing;
  }

  private async planContext(requests: readonly ChatRequest[], signal: AbortSignal | undefined): Promise<ContextPlan> {
    let needed = 0;
    for (const r of requests)
      needed = Math.max(
        needed,
        estimateTokens(r.messages) + (outputCapOf(r, this.config.outputCaps) ?? DEFAULT_ANSWER_TOKENS),
      );
    const setting = this.config.numCtx;
    if (typeof setting === 'number')
      return { numCtx: setting, neededTokens: needed, source: 'setting', exceedsModel: false };
    // The model's trained length caps the size (/api/show); a server that cannot say leaves it uncapped.
    let modelContext: number | undefined;
    const first = this.pool.endpoints[0]?.client;
    if (first instanceof OllamaProvider) {
      modelContext = await first.showModel(this.model, signal).then(
        (d) => d.contextLength,
        () => undefined,
      );
    }
    const plan: ContextPlan = {
      numCtx: autoNumCtx(needed, modelContext),
      neededTokens: needed,
      ...(modelContext !== undefined ? { modelContext } : {}),
      source: 'sized',
      exceedsModel: modelContext !== undefined && needed > modelContext,
    };
    this.log(
      plan.exceedsModel ? 'warn' : 'debug',
      `num_ctx ${plan.numCtx} for this run: the largest prompt with its answer needs about ${needed} tokens` +
        (modelContext ? `; ${this.model} was trained for ${modelContext}` : '') +
        (plan.exceedsModel ? ': that prompt cannot fit, and Ollama will refuse it (or, before 0.12.6, cut it)' : ''),
    );
    return plan;
  }

  async estimate(
    requests: readonly ChatRequest[],
    options: { defaultCompletionTokens?: number } = {},
  ): Promise<RunEstimate> {
    const planned = [];
    for (const r of requests) {
      planned.push({ messages: r.messages, maxTokens: r.maxTokens, cached: await this.isCached(r) });
    }
    return estimateRun(planned, {
      model: this.model,
      prices: this.prices,
      defaultCompletionTokens: options.defaultCompletionTokens,
    });
  }

  endpoints(): EndpointStatus[] {
    return this.pool.status().map((s) => ({ ...s, baseUrl: redactUrl(s.baseUrl) }));
  }

  async cacheStats(): Promise<CacheStats | undefined> {
    return this.cache?.stats();
  }

  async dispose(): Promise<void> {
    this.life.abort();
    this.scheduler.dispose();
    await this.cache?.close();
  }

  /** One attempt on one endpoint, with the schema fallback for servers that refuse schemas. */
  private async attempt(
    endpoint: Endpoint,
    request: ChatRequest,
    signal: AbortSignal,
    isRetry: boolean,
  ): Promise<{ reply: ProviderReply; latencyMs: number; endpoint: Endpoint; sent: ChatMessage[] }> {
    const useSchema = request.schema !== undefined && !endpoint.schemaUnsupported;
    const features = await this.identities.features(endpoint.client, signal);
    let call = this.providerCall(request, useSchema, endpoint, features);
    let started = performance.now();
    // Ollama sends nothing while it loads a model, and a busy server queues calls: say so, or a run looks hung.
    const slow = setTimeout(() => {
      const last = this.slowSaid.get(endpoint) ?? -Infinity;
      if (performance.now() - last < 60_000) return;
      this.slowSaid.set(endpoint, performance.now());
      this.log(
        'warn',
        `waiting for the server at ${redactUrl(endpoint.baseUrl)}: no answer for ${Math.round(this.slowCallMs / 1000)} s ` +
          '(loading the model, or calls queued on the server?)',
      );
    }, this.slowCallMs);
    try {
      // A parameter the server refuses is dropped and remembered for the endpoint, as a refused schema is;
      // each parameter once, so a server that refuses everything still ends in its own error.
      for (;;) {
        try {
          const reply = await this.send(endpoint, call, signal, isRetry);
          return { reply, latencyMs: performance.now() - started, endpoint, sent: call.messages };
        } catch (err) {
          const param = isLlmError(err) ? err.refusedParam : undefined;
          // Refused though this call did not send it: the server refuses something else under that name.
          if (!param || call.omit?.has(param)) throw err;
          // Calls in flight together are refused together: the first says so, each goes again without it.
          const known = endpoint.refused.has(param);
          endpoint.refused.add(param);
          if (!known)
            this.log(
              'warn',
              `${redactUrl(endpoint.baseUrl)} refused the parameter "${param}" ` +
                `(${isLlmError(err) ? (err.detail ?? err.message) : ''}); sending calls without it from now on`,
            );
          isRetry = false;
          call = this.providerCall(request, useSchema, endpoint, features);
          started = performance.now();
        }
      }
    } catch (err) {
      if (!(useSchema && isLlmError(err) && err.schemaRejected)) throw err;
      endpoint.schemaUnsupported = true;
      this.log(
        'warn',
        `${redactUrl(endpoint.baseUrl)} does not accept JSON schemas (${err.detail ?? err.message}); ` +
          'asking for JSON in plain text and parsing it tolerantly from now on',
      );
      started = performance.now();
      const plain = this.providerCall(request, false, endpoint, features);
      const reply = await this.send(endpoint, plain, signal, false);
      return { reply, latencyMs: performance.now() - started, endpoint, sent: plain.messages };
    } finally {
      clearTimeout(slow);
    }
  }

  /**
   * One request to one endpoint under the per-call deadline. The provider sees the deadline as a
   * cancellation (its signal aborts, the connection closes); here it becomes the timeout it was.
   * Every request of a chat leaves here, so here it is counted and takes its place in the budget:
   * before it is sent, whether it is then answered, refused, or timed out.
   */
  private async send(
    endpoint: Endpoint,
    call: ProviderCall,
    signal: AbortSignal,
    isRetry: boolean,
  ): Promise<ProviderReply> {
    if (signal.aborted) throw abortedError({ provider: this.provider, baseUrl: endpoint.baseUrl, model: this.model });
    // A prompt clearly too long for the endpoint is refused before it is counted: it never leaves.
    const refused = endpoint.client.refuse?.(call);
    if (refused) throw refused;
    if (this.requestBudget && !this.requestBudget.reserve())
      throw budgetError(this.requestBudget.limit, { ...this.errorContext(), baseUrl: endpoint.baseUrl });
    this.usage.recordAttempt(isRetry);
    const deadline = new CallDeadline(signal, this.callDeadlineMs);
    try {
      return await endpoint.client.chat(call, deadline.signal);
    } catch (err) {
      if (deadline.expired && !signal.aborted)
        throw deadline.error({
          provider: this.provider,
          baseUrl: endpoint.baseUrl,
          model: this.model,
          purpose: call.purpose,
        });
      throw err;
    } finally {
      deadline.dispose();
    }
  }

  private providerCall(
    request: ChatRequest,
    useSchema: boolean,
    endpoint?: Endpoint,
    features?: ServerFeatures,
  ): ProviderCall {
    const think = this.config.think ?? 'off';
    // One salt per user: a user's calls share their cached prefix on the server, and no one else's do.
    const salt = features?.cacheSalt && request.affinity !== undefined ? this.saltOf(request.affinity) : undefined;
    const cap = outputCapOf(request, this.config.outputCaps);
    return {
      model: this.model,
      messages:
        request.schema && !useSchema ? withSchemaInstruction(request.messages, request.schema) : request.messages,
      schema: useSchema ? request.schema : undefined,
      temperature: request.temperature,
      seed: request.seed,
      // A thinking model writes its thinking inside the same budget: give it room.
      maxTokens:
        cap !== undefined && think !== 'off' && request.maxTokens === undefined ? cap * THINKING_CAP_FACTOR : cap,
      purpose: request.purpose,
      think,
      // A copy: what this call left out, whatever later calls learn.
      ...(endpoint?.refused.size ? { omit: new Set(endpoint.refused) } : {}),
      ...(this.contextPlan ? { numCtx: this.contextPlan.numCtx } : {}),
      ...(request.onText ? { onText: request.onText } : {}),
      ...(features ? { features } : {}),
      ...(salt ? { cacheSalt: salt } : {}),
      ...(request.choice ? { choice: request.choice } : {}),
      ...(request.affinity !== undefined ? { affinity: request.affinity } : {}),
      ...(request.label !== undefined ? { label: request.label } : {}),
    };
  }

  /** The prefix-cache salt of a user (vllm.ts cacheSaltOf), remembered: a user makes many calls. */
  private saltOf(user: string): string {
    let salt = this.salts.get(user);
    if (salt === undefined) {
      if (this.salts.size >= 100_000) this.salts.clear();
      salt = cacheSaltOf(this.saltScope, user);
      this.salts.set(user, salt);
    }
    return salt;
  }

  /** Each endpoint's key: by the model it serves when it says, else by its address. */
  private async keysFor(request: ChatRequest, signal: AbortSignal): Promise<string[]> {
    const keys: string[] = [];
    for (const e of this.pool.endpoints)
      keys.push(this.keyFor(e.baseUrl, request, await this.identities.of(e.client, signal)));
    return keys;
  }

  /** The keys to look under: the endpoints' own, then their address keys, which answers cached before identities have. */
  private lookupKeys(keys: readonly string[], request: ChatRequest): string[] {
    return [...new Set([...keys, ...this.pool.endpoints.map((e) => this.keyFor(e.baseUrl, request))])];
  }

  private keyFor(baseUrl: string, request: ChatRequest, identity?: string): string {
    return cacheKey({
      provider: this.provider,
      baseUrl,
      model: this.model,
      messages: request.messages,
      temperature: request.temperature,
      seed: request.seed,
      maxTokens: outputCapOf(request, this.config.outputCaps),
      ...(identity ? { identity } : {}),
      schema: request.schema,
      ...(request.choice ? { choice: request.choice } : {}),
      sample: request.sample,
      numCtx: this.provider === 'ollama' ? this.contextPlan?.numCtx : undefined,
      think: this.config.think ?? 'off',
    });
  }

  /**
   * Ollama's digest of the model: the name stays when `ollama pull` brings new weights. Unknown (an
   * OpenAI-compatible server, which names no digest, or a server that is down) means cached answers of any
   * digest are used. Asked once per run, failure included: a cached re-run against a server that cannot be
   * reached must not wait on it before every cache hit.
   */
  private modelDigest(signal: AbortSignal): Promise<string | undefined> {
    if (this.provider !== 'ollama') return Promise.resolve(undefined);
    const first = this.pool.endpoints[0]?.client;
    return first ? this.identities.of(first, signal) : Promise.resolve(undefined);
  }

  private async lookup(
    keys: readonly string[],
    request: ChatRequest,
    digest: string | undefined,
  ): Promise<ChatResult | undefined> {
    if (!this.cache) return undefined;
    for (const key of keys) {
      const hit = await this.cache.get(key);
      if (hit && digest && hit.digest && hit.digest !== digest) {
        if (!this.digestChangeSaid) {
          this.digestChangeSaid = true;
          this.log(
            'info',
            `${this.model} changed on the server since answers were cached ` +
              `(digest ${hit.digest.slice(0, 12)} -> ${digest.slice(0, 12)}): asking again`,
          );
        }
        continue;
      }
      // An answer that filled its cap was cut (cached before such answers were refused): not replayed as data.
      if (hit && request.wholeAnswer && filledCap(hit.text, hit.usage, this.sentCap(request))) continue;
      if (hit) return this.result(hit.text, hit.usage, hit.latencyMs, true, request.schema, key);
    }
    return undefined;
  }

  /** The output cap a request goes out with (its thinking room included). */
  private sentCap(request: ChatRequest): number | undefined {
    return this.providerCall(request, true).maxTokens;
  }

  private async isCached(request: ChatRequest): Promise<boolean> {
    if (!this.cache) return false;
    const keys = this.lookupKeys(await this.keysFor(request, this.life.signal), request);
    for (const key of keys) if (await this.cache.has(key)) return true;
    return false;
  }

  private result(
    text: string,
    usage: ChatResult['usage'],
    latencyMs: number,
    cached: boolean,
    schema: ResponseSchema | undefined,
    cacheKey: string,
  ): ChatResult {
    const { answer, thinking } = splitThinking(text);
    const out: ChatResult = {
      text: answer,
      usage,
      latencyMs,
      cached,
      model: this.model,
      ...(thinking ? { thinking } : {}),
      cacheKey,
    };
    if (schema) {
      const json = parseTolerantJson(answer, schema.schema);
      if (json !== undefined) out.json = json;
    }
    return out;
  }
}

function makeClient(config: LlmConfig, baseUrl: string, timeouts: CallTimeouts, options: LlmOptions): EndpointClient {
  if (options.batchClient) return options.batchClient(baseUrl, config.model);
  if (config.provider === 'vscode-lm') {
    if (!options.faceClient) throw new LlmError('bad-request', VSCODE_LM_ONLY);
    return options.faceClient(baseUrl, timeouts);
  }
  if (config.provider === 'ollama') {
    return new OllamaProvider(baseUrl, { timeouts, stream: config.stream, keepAlive: config.keepAlive });
  }
  return new OpenAIProvider(baseUrl, { timeouts, stream: config.stream, apiKey: options.apiKey });
}

/** What the CLI (or any caller without VS Code) says of the provider 'vscode-lm'. */
export const VSCODE_LM_ONLY =
  "The provider vscode-lm (VS Code's language models, such as GitHub Copilot's) exists only inside VS Code: " +
  'choose it with "SynthesizeMe: Select Provider and Model" in the extension. Here, use ollama or openai.';

function validateRequest(request: ChatRequest): void {
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw new LlmError('bad-request', `The ${request.purpose ?? 'chat'} request has no messages.`);
  }
  if (!Number.isFinite(request.temperature)) {
    throw new LlmError('bad-request', `The ${request.purpose ?? 'chat'} request has no temperature.`);
  }
  // A server constrains an answer one way at a time (vLLM refuses two kinds of structured output).
  if (request.choice && (request.schema || request.choice.length === 0)) {
    throw new LlmError('bad-request', `The ${request.purpose ?? 'chat'} request has a choice with a schema, or empty.`);
  }
}

/**
 * Without structured output the model only knows the format from the prompt: state the schema
 * in the system message, so that the tolerant parser has an object to find.
 */
export function withSchemaInstruction(messages: readonly ChatMessage[], schema: ResponseSchema): ChatMessage[] {
  const instruction = `Answer with only a JSON object that follows this JSON schema:\n${JSON.stringify(schema.schema)}`;
  const out = messages.map((m) => ({ role: m.role, content: m.content }));
  const system = out.find((m) => m.role === 'system');
  if (system) system.content = `${system.content}\n\n${instruction}`;
  else out.unshift({ role: 'system', content: instruction });
  return out;
}

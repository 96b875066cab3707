// Run accounting: what a run cost in calls, tokens, time and, for priced APIs, dollars.
// Cache hits are counted but cost nothing; failed calls are counted as errors.
import type { Usage } from './types';

export interface Price {
  /** US dollars per million prompt tokens. */
  inputPerMTok: number;
  /** US dollars per million completion tokens. */
  outputPerMTok: number;
  /** US dollars per million prompt tokens served from the provider's prompt cache (OpenAI bills them at a discount). */
  cachedInputPerMTok?: number;
}

/** Prices by model name, as the server names the model. Local models simply have no entry. */
export type PriceTable = Readonly<Record<string, Price>>;

/** Cost of some usage, or undefined when the model has no price. */
export function costUsd(prices: PriceTable | undefined, model: string, usage: Usage): number | undefined {
  const price = prices?.[model];
  if (!price) return undefined;
  const cached = Math.min(usage.cachedPromptTokens ?? 0, usage.promptTokens);
  return (
    ((usage.promptTokens - cached) * price.inputPerMTok +
      cached * (price.cachedInputPerMTok ?? price.inputPerMTok) +
      usage.completionTokens * price.outputPerMTok) /
    1e6
  );
}

export interface UsageSnapshot {
  /** Requests answered by a server (each counted once, however many attempts it took). */
  calls: number;
  /** Requests answered by the cache. */
  cacheHits: number;
  /**
   * HTTP requests sent to a server: every attempt, retries, fallbacks and requests that timed out included
   * (counted where a request leaves, client.ts send). Cache hits send none.
   */
  attempts: number;
  retries: number;
  /** Requests that failed for good (after retries). Cancellations are not errors. */
  errors: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  /** Of promptTokens, those the server served from its prompt cache. */
  cachedPromptTokens: number;
  /** From the start of the first request to the end of the last one. */
  wallMs: number;
  /** Sum of server latencies of the calls (not of cache hits). */
  latencyMs: number;
  /** Undefined when the model has no price in the table. */
  costUsd: number | undefined;
}

export class UsageCounters {
  private calls = 0;
  private cacheHits = 0;
  private attempts = 0;
  private retries = 0;
  private errors = 0;
  private cancelled = 0;
  private promptTokens = 0;
  private completionTokens = 0;
  private cachedPromptTokens = 0;
  private latencyMs = 0;
  private firstStart: number | undefined;
  private lastEnd: number | undefined;
  private active = 0;

  constructor(
    private readonly model: string,
    private readonly prices: PriceTable | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A request starts (cache lookup included). */
  begin(): void {
    if (this.firstStart === undefined) this.firstStart = this.now();
    this.active++;
  }

  /** A request ends, however it ended. */
  end(): void {
    this.active = Math.max(0, this.active - 1);
    this.lastEnd = this.now();
  }

  recordCall(usage: Usage, latencyMs: number): void {
    this.calls++;
    this.promptTokens += usage.promptTokens;
    this.completionTokens += usage.completionTokens;
    this.cachedPromptTokens += usage.cachedPromptTokens ?? 0;
    this.latencyMs += latencyMs;
  }

  recordCacheHit(): void {
    this.cacheHits++;
  }

  recordAttempt(isRetry: boolean): void {
    this.attempts++;
    if (isRetry) this.retries++;
  }

  recordError(): void {
    this.errors++;
  }

  recordCancelled(): void {
    this.cancelled++;
  }

  snapshot(): UsageSnapshot {
    const end = this.active > 0 ? this.now() : this.lastEnd;
    const usage = {
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      cachedPromptTokens: this.cachedPromptTokens,
    };
    return {
      calls: this.calls,
      cacheHits: this.cacheHits,
      attempts: this.attempts,
      retries: this.retries,
      errors: this.errors,
      cancelled: this.cancelled,
      ...usage,
      wallMs: this.firstStart === undefined || end === undefined ? 0 : Math.round(end - this.firstStart),
      latencyMs: Math.round(this.latencyMs),
      costUsd: costUsd(this.prices, this.model, usage),
    };
  }

  reset(): void {
    this.calls = this.cacheHits = this.attempts = this.retries = this.errors = this.cancelled = 0;
    this.promptTokens = this.completionTokens = this.cachedPromptTokens = this.latencyMs = 0;
    this.firstStart = this.lastEnd = undefined;
  }
}

/**
 * A run's usage in one sentence (the CLI's closing line, the bench reports). Requests are what the server
 * received: every attempt, retries and timed-out ones included; a cache hit sends none.
 */
export function usageSentence(c: UsageSnapshot): string {
  const cost = c.costUsd !== undefined ? `, $${c.costUsd.toFixed(4)}` : '';
  return (
    `${c.calls} call(s), ${c.cacheHits} from cache, ${c.attempts} request(s) sent to the server (retries included), ` +
    `${c.promptTokens} prompt + ${c.completionTokens} completion tokens, ` +
    `${(c.wallMs / 1000).toFixed(1)} s${cost}${c.errors ? `, ${c.errors} failed call(s)` : ''}`
  );
}

/**
 * What a model did between two snapshots (a session's model serves many runs). The wall time is the growth
 * of the model's active span, so it is exact for a model the run opened.
 */
export function usageSince(before: UsageSnapshot, after: UsageSnapshot): UsageSnapshot {
  const cost = after.costUsd === undefined ? undefined : after.costUsd - (before.costUsd ?? 0);
  return {
    calls: after.calls - before.calls,
    cacheHits: after.cacheHits - before.cacheHits,
    attempts: after.attempts - before.attempts,
    retries: after.retries - before.retries,
    errors: after.errors - before.errors,
    cancelled: after.cancelled - before.cancelled,
    promptTokens: after.promptTokens - before.promptTokens,
    completionTokens: after.completionTokens - before.completionTokens,
    cachedPromptTokens: after.cachedPromptTokens - before.cachedPromptTokens,
    wallMs: after.wallMs - before.wallMs,
    latencyMs: after.latencyMs - before.latencyMs,
    costUsd: cost,
  };
}

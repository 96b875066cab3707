// What the clients of the server's other endpoints share (a reward model's /classify or /pooling, the embeddings
// endpoints): one JSON POST with its failures mapped to LlmErrors, the retry loop, and the cached call with its
// usage counted. A chat call has its own scheduler (client.ts); these are single requests of one kind each.
import type { ResponseCache } from './cache';
import {
  abortedError,
  connectionError,
  type ErrorContext,
  isLlmError,
  type LlmError,
  networkCode,
  retryAfterFromHeaders,
  timeoutError,
} from './errors';
import { httpFetch } from './http-fetch';
import { backoffDelay, type RetryPolicy, sleep } from './scheduler';
import type { ChatMessage } from './types';
import type { UsageCounters } from './usage';

/** JSON in and out; the API key only in the Authorization header. */
export function jsonHeaders(apiKey: string | undefined): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}),
  };
}

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  ctx: ErrorContext;
  /** The endpoint's own reading of an HTTP error (what a 404 or a 400 means there). */
  httpError: (status: number, text: string, retryAfterMs: number | undefined) => LlmError;
}

/** POSTs `body` and returns the answer's text; a network failure, a timeout or an HTTP error is an LlmError. */
export async function postJson(url: string, body: unknown, o: PostOptions): Promise<string> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await httpFetch(url, {
      method: 'POST',
      headers: o.headers,
      body: JSON.stringify(body),
      signal: AbortSignal.any([o.signal, timeout]),
    });
    text = await res.text();
  } catch (err) {
    if (o.signal.aborted) throw abortedError(o.ctx);
    if (timeout.aborted) throw timeoutError(o.ctx, 'first-byte', o.timeoutMs);
    throw connectionError(o.ctx, networkCode(err), err);
  }
  if (!res.ok)
    throw o.httpError(
      res.status,
      text,
      retryAfterFromHeaders((n) => res.headers.get(n)),
    );
  return text;
}

/** `once` again after a retryable LlmError, with the policy's backoff; every attempt counted. */
export async function retrying<T>(
  r: { policy: RetryPolicy; usage: UsageCounters; what: string; log?: (level: 'info', message: string) => void },
  signal: AbortSignal,
  once: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      r.usage.recordAttempt(attempt > 1);
      return await once();
    } catch (err) {
      const last = attempt >= r.policy.maxAttempts || !isLlmError(err) || !err.retryable || signal.aborted;
      if (isLlmError(err)) err.attempts = attempt;
      if (last) throw err;
      r.log?.('info', `retrying the ${r.what} call after ${err.kind} (attempt ${attempt + 1}): ${err.message}`);
      await sleep(backoffDelay(r.policy, attempt, err.retryAfterMs), signal);
    }
  }
}

export interface CachedCall<T> {
  usage: UsageCounters;
  cache: ResponseCache | undefined;
  key: string;
  signal: AbortSignal;
  context: () => ErrorContext;
  /** The cached answer's value, or undefined when it is not one (then the call is made again). */
  decode: (text: string) => T | undefined;
  encode: (value: T) => string;
  /** The call itself (with its retries and its concurrency limit). */
  call: () => Promise<{ value: T; promptTokens: number }>;
  /** What the cache entry records besides the answer (the model, the server, the messages). */
  entry: { model: string; server: string; messages?: ChatMessage[] };
}

/** The value from the cache, else from the call (then cached); usage, cancellation and errors counted once. */
export async function cachedCall<T>(c: CachedCall<T>): Promise<{ value: T; cached: boolean }> {
  c.usage.begin();
  try {
    const hit = await c.cache?.get(c.key);
    const fromCache = hit ? c.decode(hit.text) : undefined;
    if (fromCache !== undefined) {
      c.usage.recordCacheHit();
      return { value: fromCache, cached: true };
    }
    const started = performance.now();
    const { value, promptTokens } = await c.call();
    const latencyMs = performance.now() - started;
    const usage = { promptTokens, completionTokens: 0 };
    c.usage.recordCall(usage, latencyMs);
    await c.cache?.put(c.key, { text: c.encode(value), usage, latencyMs, ...c.entry });
    return { value, cached: false };
  } catch (err) {
    if (c.signal.aborted) {
      c.usage.recordCancelled();
      throw abortedError(c.context());
    }
    c.usage.recordError();
    throw err;
  } finally {
    c.usage.end();
  }
}

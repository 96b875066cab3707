// Every LLM call of a process goes through one scheduler: it holds calls in a queue until an
// endpoint has a free slot, retries what is worth retrying, and stops everything at once when
// the run is cancelled (queued calls are rejected immediately; in-flight ones get the abort).
import { abortedError, LlmError, retryAfterTooLong } from './errors';
import type { Endpoint, EndpointPool } from './endpoints';

/** How deep dispatch looks for a waiter whose server has room (serveOne). */
const SCAN_LIMIT = 256;
export interface RetryPolicy {
  /** Attempts per call, the first included. Default 5. */
  maxAttempts: number;
  /** Backoff before the first retry; doubles each attempt. Default 1000 ms. */
  baseDelayMs: number;
  /** Ceiling of the backoff. Default 30 s. */
  maxDelayMs: number;
  /**
   * The longest Retry-After a run waits for. A server that asks for more fails the call at once, with its
   * wait in the message, and the run stops resumable: a bogus header cannot stall a run for hours, and a
   * retry sooner than asked would only be refused again. Default 120 s.
   */
  maxRetryAfterMs: number;
  /** Source of jitter; seeded in tests. */
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  // Jitter only decorrelates clients; it does not need to be reproducible.
  random: Math.random,
};

/** Delay before retry number `retry` (1 = first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) {
    // The server said when: go then, plus a little spread so that waiting calls do not all return at once.
    const wait = Math.min(retryAfterMs, policy.maxRetryAfterMs);
    return wait + policy.random() * Math.min(wait * 0.1, 1000);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  // "Equal jitter": at least half the backoff, so retries never come back immediately.
  return ceiling / 2 + policy.random() * (ceiling / 2);
}

export interface SchedulerHooks {
  /** A user's first call goes alone (PrefixWarmup). Default true. */
  prefixWarmup?: boolean;
  onAttempt?(endpoint: Endpoint, attempt: number): void;
  onRetry?(error: LlmError, endpoint: Endpoint, attempt: number, delayMs: number): void;
  /** Before a retry is waited for: an error returned ends the call with it instead (a budget with no room). */
  beforeRetry?(error: LlmError): LlmError | undefined;
}

interface Waiter {
  /** See ChatRequest.affinity. */
  affinity?: string;
  resolve(endpoint: Endpoint): void;
  reject(err: unknown): void;
  settled: boolean;
}

/**
 * A user's first call goes alone. A user's prompts share their first part (the system prompt, the persona and the
 * demonstrations: the prompt layout puts it first), and a server caches a prefix only once a request has computed
 * it: calls of one user sent together each compute it again (llama-server's slots, vLLM's batch of one step). So
 * while a user's first call is in flight its other calls wait, and once it has been answered they all go, finding the
 * prefix cached. Only calls with an affinity (a user) wait; a failed first call lets the next one go first instead.
 */
class PrefixWarmup {
  /** Users with an answered call on this scheduler. */
  private readonly warm = new Set<string>();
  /** Users whose first call is in flight. */
  private readonly warming = new Set<string>();

  constructor(private readonly on: boolean) {}

  /** Whether a call of this user may start now: none of the user's is in flight before the first is answered. */
  mayStart(affinity: string | undefined): boolean {
    return !this.on || affinity === undefined || this.warm.has(affinity) || !this.warming.has(affinity);
  }

  /** A call of this user started: the user's first, until one is answered. */
  started(affinity: string | undefined): void {
    if (affinity !== undefined && !this.warm.has(affinity)) this.warming.add(affinity);
  }

  /** A call of this user ended: answered, the user is warm; failed, the next call of the user goes first. */
  ended(affinity: string | undefined, answered: boolean): void {
    if (affinity === undefined || this.warm.has(affinity)) return;
    this.warming.delete(affinity);
    if (answered) this.warm.add(affinity);
  }
}

export class Scheduler {
  private readonly warmup: PrefixWarmup;
  private readonly queue: Waiter[] = [];
  private head = 0;
  /** Retries go first: a call that has already waited should not queue behind a whole run. */
  private readonly priority: Waiter[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly pool: EndpointPool,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
    private readonly hooks: SchedulerHooks = {},
  ) {
    this.warmup = new PrefixWarmup(hooks.prefixWarmup ?? true);
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.queue.length - this.head + this.priority.length;
  }

  /**
   * Runs `task` on an endpoint with a free slot, retrying on other (or the same) endpoints as
   * the policy allows. The task gets the caller's signal and must abort its request with it.
   */
  async run<T>(
    task: (endpoint: Endpoint, attempt: number) => Promise<T>,
    signal?: AbortSignal,
    affinity?: string,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError();
      // A retry keeps its affinity: when its home server is the one failing (cooling down, paused by a 429), the
      // home is now the next server in the user's rendezvous order, where the user's other calls go too.
      const endpoint = await this.acquire(signal, attempt > 1, affinity);
      const epoch = endpoint.limit.epoch;
      let failure: LlmError;
      let answered = false;
      try {
        this.hooks.onAttempt?.(endpoint, attempt);
        const started = performance.now();
        const result = await task(endpoint, attempt);
        endpoint.limit.onSuccess(performance.now() - started);
        this.pool.markSuccess(endpoint);
        answered = true;
        return result;
      } catch (err) {
        failure =
          err instanceof LlmError
            ? err
            : new LlmError('server', (err as Error)?.message ?? String(err), { cause: err, retryable: false });
        if (signal?.aborted || failure.kind === 'aborted') throw signalled(failure);
        this.noteFailure(endpoint, failure, epoch);
      } finally {
        endpoint.outstanding--;
        this.warmup.ended(affinity, answered);
        this.dispatch();
      }
      if (
        failure.retryable &&
        failure.retryAfterMs !== undefined &&
        failure.retryAfterMs > this.policy.maxRetryAfterMs
      ) {
        failure = retryAfterTooLong(failure, this.policy.maxRetryAfterMs);
      }
      if (failure.retryable && attempt < this.policy.maxAttempts)
        failure = this.hooks.beforeRetry?.(failure) ?? failure;
      if (!failure.retryable || attempt >= this.policy.maxAttempts) {
        failure.attempts = attempt;
        throw failure;
      }
      const delay = backoffDelay(this.policy, attempt, failure.retryAfterMs);
      this.hooks.onRetry?.(failure, endpoint, attempt, delay);
      await sleep(delay, signal);
    }
  }

  /** Rejects every queued call; in-flight calls are ended by their own signals. */
  dispose(): void {
    this.disposed = true;
    for (const w of [...this.priority, ...this.queue.slice(this.head)]) settle(w, () => w.reject(abortedError()));
    this.priority.length = 0;
    this.queue.length = 0;
    this.head = 0;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
  }

  private noteFailure(endpoint: Endpoint, err: LlmError, epoch: number): void {
    // Refused before it was sent: the endpoint did nothing wrong.
    if (err.kind === 'budget' || err.kind === 'deferred') return;
    if (err.kind === 'rate-limit') {
      endpoint.limit.onRateLimit(epoch);
      if (err.retryAfterMs !== undefined)
        this.pool.pause(endpoint, Math.min(err.retryAfterMs, this.policy.maxRetryAfterMs));
    } else if (err.kind === 'connection' || err.kind === 'server' || err.kind === 'timeout') {
      this.pool.markFailure(endpoint);
    } else {
      endpoint.failed++;
    }
  }

  private acquire(signal: AbortSignal | undefined, isRetry: boolean, affinity?: string): Promise<Endpoint> {
    if (this.disposed) return Promise.reject(abortedError());
    // Fast path: nobody waiting and a slot is free.
    if (this.waiting === 0) {
      const e = this.warmup.mayStart(affinity) ? this.pool.pick(affinity) : undefined;
      if (e) {
        e.outstanding++;
        this.warmup.started(affinity);
        return Promise.resolve(e);
      }
    }
    return new Promise<Endpoint>((resolve, reject) => {
      const onAbort = () => settle(waiter, () => reject(abortedError()));
      const waiter: Waiter = {
        settled: false,
        ...(affinity !== undefined ? { affinity } : {}),
        resolve: (e) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      // An aborted waiter is settled at once and skipped (lazily) when its turn comes.
      signal?.addEventListener('abort', onAbort, { once: true });
      (isRetry ? this.priority : this.queue).push(waiter);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting > 0 && this.pool.hasRoom() && this.serveOne()) {
      // serveOne gave a waiter its endpoint; look again.
    }
    this.scheduleWake();
  }

  /**
   * Gives an endpoint to the first waiter (retries first, then in order) that one can take now. A call waiting for
   * its user's home server (EndpointPool.pick) must not hold up the calls behind it whose server has room, so the
   * scan looks past it, at most SCAN_LIMIT waiters deep (a queue of 300,000 calls is not scanned on every call).
   */
  private serveOne(): boolean {
    while (this.priority[0]?.settled) this.priority.shift();
    while (this.head < this.queue.length && this.queue[this.head]!.settled) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    let looked = 0;
    for (const [list, from] of [
      [this.priority, 0],
      [this.queue, this.head],
    ] as const) {
      for (let i = from; i < list.length && looked < SCAN_LIMIT; i++) {
        const waiter = list[i]!;
        if (waiter.settled) continue;
        looked++;
        const endpoint = this.warmup.mayStart(waiter.affinity) ? this.pool.pick(waiter.affinity) : undefined;
        if (!endpoint) continue;
        endpoint.outstanding++;
        this.warmup.started(waiter.affinity);
        // Served from the front: advance past it; from further back: it stays in the list, settled, and is
        // dropped when the front reaches it.
        if (list === this.priority && i === 0) this.priority.shift();
        else if (list === this.queue && i === this.head) this.head++;
        settle(waiter, () => waiter.resolve(endpoint));
        return true;
      }
    }
    return false;
  }

  /** Paused or cooling endpoints come back on a clock, not on a finished call: wake up then. */
  private scheduleWake(): void {
    if (this.wakeTimer) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
    }
    if (this.waiting === 0) return;
    const at = this.pool.nextChangeAt();
    if (at === undefined) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.dispatch();
      },
      Math.max(1, at - Date.now()),
    );
  }
}

function settle(w: Waiter, fn: () => void): void {
  if (w.settled) return;
  w.settled = true;
  fn();
}

function signalled(err: LlmError): LlmError {
  return err.kind === 'aborted'
    ? err
    : abortedError({ provider: err.provider, baseUrl: err.baseUrl, model: err.model });
}

/** Waits, or rejects as aborted when the signal fires (shared by the non-chat clients' retry loops). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

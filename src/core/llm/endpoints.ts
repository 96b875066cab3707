// Several base URLs for one provider (Ollama on several GPU hosts, vLLM replicas with no load
// balancer in front). Calls go to the endpoint with the fewest outstanding requests, each
// endpoint has its own adaptive concurrency limit, and an endpoint that fails is taken out of
// rotation for a cool-down that grows while it keeps failing.
import type { EndpointClient } from './provider';
import type { ProviderKind } from './types';
import { rendezvousOrder } from './affinity';

// VS Code's models are shared with the user's own chat, and Copilot limits requests per minute: few at once.
export const DEFAULT_CONCURRENCY: Readonly<Record<ProviderKind, number>> = { ollama: 4, openai: 8, 'vscode-lm': 2 };

/**
 * Additive increase, multiplicative decrease, as TCP does: halve on a 429, then one more slot
 * after a window's worth of successes. Only the first 429 of a window halves: the other calls
 * that were already in flight when the server started refusing are answers to the same news.
 */
export class AdaptiveLimit {
  private value: number;
  private streak = 0;
  /** Bumped at every decrease; a call remembers the epoch it started in. */
  epoch = 0;

  constructor(readonly max: number) {
    this.value = Math.max(1, Math.floor(max));
  }

  get current(): number {
    return this.value;
  }

  onRateLimit(startedInEpoch: number): void {
    if (startedInEpoch !== this.epoch) return;
    this.value = Math.max(1, Math.floor(this.value / 2));
    this.streak = 0;
    this.epoch++;
  }

  onSuccess(latencyMs?: number, now: number = performance.now()): void {
    // With latencies, the limit moves once per measuring window (observe); without, one slot per window of
    // `current` successes.
    if (latencyMs !== undefined) return this.observe(latencyMs, now);
    if (this.value >= this.max) return;
    if (++this.streak >= this.value) {
      this.value++;
      this.streak = 0;
    }
  }

  // Latency against throughput. A server that runs fewer calls at once than we send (Ollama's one slot)
  // queues the rest: latency grows with our concurrency while throughput stays flat. Windows of completed
  // calls measure both at each level; one level lower is tried now and then, and kept when it is as fast.
  private window = { count: 0, latency: 0, start: undefined as number | undefined, level: 0 };
  private readonly measured = new Map<number, { tput: number; lat: number }>();
  private probingFrom: number | undefined;
  private ceiling = Infinity;
  private hold = 0;
  private cooldown = 0;

  private observe(latencyMs: number, now: number): void {
    // A window measures one level: a change of level (a 429's cut) starts a new one.
    if (this.window.level !== this.value) this.window = { count: 0, latency: 0, start: undefined, level: this.value };
    const w = this.window;
    w.start ??= now - latencyMs;
    w.count++;
    w.latency += latencyMs;
    if (w.count < Math.max(WINDOW_MIN_CALLS, 2 * this.value)) return;
    const here = { tput: w.count / Math.max(1, now - w.start), lat: w.latency / w.count };
    const level = this.value;
    this.window = { count: 0, latency: 0, start: undefined, level };
    this.measured.set(level, here);
    if (this.hold > 0) this.hold--;
    else this.ceiling = Infinity;
    if (this.probingFrom !== undefined) {
      const up = this.measured.get(this.probingFrom)!;
      if (here.tput >= up.tput * FLAT_THROUGHPUT && grew(here.lat, up.lat)) this.settle(level);
      else {
        this.value = this.probingFrom; // the lower level was slower: back up, and try again later
        this.cooldown = PROBE_EVERY;
      }
      this.probingFrom = undefined;
      return;
    }
    const lower = this.measured.get(level - 1);
    if (lower && here.tput < lower.tput / FLAT_THROUGHPUT && grew(lower.lat, here.lat)) {
      this.value = level - 1; // more at once bought only waiting
      this.settle(level - 1);
      return;
    }
    if (level > 1 && --this.cooldown <= 0 && !lower) {
      this.probingFrom = level;
      this.value = level - 1;
      return;
    }
    // Otherwise one more at once, up to the maximum and to a level found to be enough.
    if (level < Math.min(this.max, this.ceiling)) this.value = level + 1;
  }

  private settle(level: number): void {
    this.value = level;
    this.ceiling = level;
    this.hold = HOLD_WINDOWS;
    this.streak = 0;
    this.epoch++;
  }
}

/** Completed calls in one measuring window (at least; twice the limit when that is more). */
const WINDOW_MIN_CALLS = 8;
/** Throughput within 10% counts as flat; latency up by 30% counts as grown. */
const FLAT_THROUGHPUT = 0.9;
const LATENCY_GROWTH = 1.3;
/** Below this, a difference in latency is noise (an event loop, a GC), not a queue on the server. */
const LATENCY_MIN_GROWTH_MS = 100;
function grew(from: number, to: number): boolean {
  return to > from * LATENCY_GROWTH && to - from > LATENCY_MIN_GROWTH_MS;
}
/** Windows a level found to be enough is kept as the ceiling; windows between two tries of a lower level. */
const HOLD_WINDOWS = 20;
const PROBE_EVERY = 10;

export interface EndpointStatus {
  baseUrl: string;
  outstanding: number;
  limit: number;
  maxLimit: number;
  /** Taken out of rotation after failures, until this time (ms since epoch); 0 when healthy. */
  coolingUntil: number;
  /** Paused by a Retry-After until this time; 0 when not paused. */
  pausedUntil: number;
  consecutiveFailures: number;
  /** The server refused a JSON schema once: this endpoint gets plain-text requests. */
  schemaUnsupported: boolean;
  served: number;
  failed: number;
}

export class Endpoint {
  outstanding = 0;
  coolUntil = 0;
  pausedUntil = 0;
  consecutiveFailures = 0;
  schemaUnsupported: boolean;
  /** Parameters this endpoint refused with a 400: sent no more (see LlmError.refusedParam). */
  readonly refused = new Set<string>();
  served = 0;
  failed = 0;
  readonly limit: AdaptiveLimit;

  constructor(
    readonly client: EndpointClient,
    maxConcurrency: number,
  ) {
    this.limit = new AdaptiveLimit(maxConcurrency);
    this.schemaUnsupported = client.takesSchemas === false;
  }

  get baseUrl(): string {
    return this.client.baseUrl;
  }

  status(): EndpointStatus {
    return {
      baseUrl: this.baseUrl,
      outstanding: this.outstanding,
      limit: this.limit.current,
      maxLimit: this.limit.max,
      coolingUntil: this.coolUntil,
      pausedUntil: this.pausedUntil,
      consecutiveFailures: this.consecutiveFailures,
      schemaUnsupported: this.schemaUnsupported,
      served: this.served,
      failed: this.failed,
    };
  }
}

export interface PoolOptions {
  /** First cool-down after a failure; doubles with each further consecutive failure. Default 15 s. */
  coolDownMs?: number;
  /** Ceiling of the cool-down. Default 5 min. */
  maxCoolDownMs?: number;
  now?: () => number;
}

export class EndpointPool {
  readonly endpoints: readonly Endpoint[];
  private readonly coolDownMs: number;
  private readonly maxCoolDownMs: number;
  private readonly now: () => number;
  private turn = 0;
  /** Each affinity's rendezvous order of the endpoints (see affinity.ts). */
  private readonly orders = new Map<string, readonly Endpoint[]>();

  constructor(endpoints: readonly Endpoint[], options: PoolOptions = {}) {
    if (endpoints.length === 0) throw new Error('EndpointPool needs at least one endpoint');
    this.endpoints = endpoints;
    this.coolDownMs = options.coolDownMs ?? 15_000;
    this.maxCoolDownMs = options.maxCoolDownMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The endpoint the next call should use, or undefined when it must wait. Healthy endpoints
   * are preferred even when they are busy: a cooling endpoint is used only when no endpoint is
   * healthy, so that a run on a single failing server still makes progress through retries.
   */
  /** Whether some endpoint could take a call now (pick() would return one). */
  hasRoom(): boolean {
    const now = this.now();
    const anyHealthy = this.endpoints.some((e) => e.coolUntil <= now && e.pausedUntil <= now);
    return this.endpoints.some(
      (e) => e.pausedUntil <= now && e.outstanding < e.limit.current && !(anyHealthy && e.coolUntil > now),
    );
  }

  pick(affinity?: string): Endpoint | undefined {
    const now = this.now();
    const usable = (e: Endpoint) => e.pausedUntil <= now && e.outstanding < e.limit.current;
    const anyHealthy = this.endpoints.some((e) => e.coolUntil <= now && e.pausedUntil <= now);
    let spillOnly = false;
    if (affinity !== undefined && this.endpoints.length > 1) {
      // The affinity's home is the first healthy server in its rendezvous order: a server cooling down or paused
      // hands its users each to their next one, and nobody else moves. A full home is waited for: its prefix
      // cache holds this user's prompt, and another server would compute it again (on a fleet where every
      // replica is busy, spilling sent every user's prefix to every replica: npm run bench -- scale). Only a
      // server left more than half idle takes the call instead, so that a skewed load does not waste it.
      const home = this.homeOf(affinity, now);
      if (home && usable(home)) return home;
      spillOnly = home !== undefined;
    }
    let best: Endpoint | undefined;
    const n = this.endpoints.length;
    // Start the scan at a rotating index so that ties spread round-robin.
    for (let i = 0; i < n; i++) {
      const e = this.endpoints[(this.turn + i) % n]!;
      if (!usable(e)) continue;
      if (anyHealthy && e.coolUntil > now) continue;
      if (spillOnly && e.outstanding * 2 >= e.limit.current) continue;
      if (!best || e.outstanding < best.outstanding) best = e;
    }
    if (best) this.turn = (this.endpoints.indexOf(best) + 1) % n;
    return best;
  }

  /** The first healthy endpoint (neither cooling nor paused) in the affinity's rendezvous order, if any. */
  homeOf(affinity: string, now: number = this.now()): Endpoint | undefined {
    let order = this.orders.get(affinity);
    if (!order) {
      order = rendezvousOrder(affinity, this.endpoints, (e) => e.baseUrl);
      // One order per user of a run; a long session forgets them now and then rather than growing.
      if (this.orders.size >= MAX_REMEMBERED_ORDERS) this.orders.clear();
      this.orders.set(affinity, order);
    }
    return order.find((e) => e.coolUntil <= now && e.pausedUntil <= now);
  }

  /** When waiting callers should look again even if no call finishes (a pause or cool-down ends). */
  nextChangeAt(): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const e of this.endpoints) {
      for (const t of [e.pausedUntil, e.coolUntil]) {
        if (t > now && (next === undefined || t < next)) next = t;
      }
    }
    return next;
  }

  markSuccess(e: Endpoint): void {
    e.served++;
    e.consecutiveFailures = 0;
    e.coolUntil = 0;
  }

  /** The endpoint itself misbehaved (refused, reset, 5xx, timed out): cool it down. */
  markFailure(e: Endpoint): void {
    e.failed++;
    const now = this.now();
    // Calls that were in flight together fail together: that is one failure of the endpoint,
    // not several. Only a failure after the cool-down ended (a failed probe) lengthens it.
    if (e.coolUntil > now) return;
    e.consecutiveFailures++;
    const ms = Math.min(this.maxCoolDownMs, this.coolDownMs * 2 ** (e.consecutiveFailures - 1));
    e.coolUntil = now + ms;
  }

  /** The server asked us to wait (Retry-After on a 429/503): no call goes there before then. */
  pause(e: Endpoint, ms: number): void {
    e.pausedUntil = Math.max(e.pausedUntil, this.now() + ms);
  }

  status(): EndpointStatus[] {
    return this.endpoints.map((e) => e.status());
  }
}

/** Rendezvous orders remembered by an endpoint pool (one per user); past this many they are computed afresh. */
const MAX_REMEMBERED_ORDERS = 100_000;

// The fleet half of `npm run bench -- scale` (issue 25, item 4): a simulated fit plus eval of many users through
// the engine's client against N loopback OpenAI-compatible replicas that model continuous batching (each call takes
// a base time plus an increment per call running beside it on the same replica, up to its slots) and keep a
// prefix cache per replica (a user's prefix is computed once per replica that serves that user).
//
// The calls are the engine's own path (createLlm, its endpoint pool, its rendezvous affinity by user), only the
// prompts are made up: each user's calls share that user's stable prefix (persona, demos, context: the part the
// prompt layout puts first), then a short tail of their own, in the stages of a fit and an eval (each stage
// waits for the previous one, as the method does; users run side by side, as `--all` does).

import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { BrainRequest, LoopbackServer } from '../support/loopback-llm';
import { createLlm } from '../../src/core/llm/client';
import { rendezvousOrder } from '../../src/core/llm/affinity';

const MODEL = 'gpt-4o-mini';
const CHARS_PER_TOKEN = 4;

/** The size of the simulated run and of the replicas' latency model. */
export interface FleetShape {
  users: number;
  /** Calls per user in each stage, in order: bootstrap (one per context pair), persona, selection, eval. */
  stages: readonly number[];
  prefixTokens: number;
  tailTokens: number;
  /** Latency of a call: baseMs + perCallMs x the calls running on its replica (at most `slots`). */
  baseMs: number;
  perCallMs: number;
  slots: number;
}

export interface FleetRun {
  endpoints: number;
  wallMs: number;
  calls: number;
  /** Prefix tokens sent (calls x prefix), those computed again on a second replica, and the ideal of the latter. */
  prefixTokens: number;
  recomputedTokens: number;
  idealRecomputedTokens: number;
  /**
   * Prefix tokens computed by a call that found its user's prefix not cached yet on its replica although another
   * call of the user had computed it or was computing it there: calls of one user in flight together. A prefix is
   * cached when a call computing it is answered (vLLM caches a block once computed, llama-server a slot's prompt).
   */
  duplicateTokens: number;
  failedCalls: number;
}

export interface FleetOptions {
  endpoints: number;
  /** Kill replica 0 (every request to it is reset) once this share of the calls is answered. */
  failAt?: number;
  /** Send no affinity: every call goes to the least busy replica. */
  noAffinity?: boolean;
  /** The client's prefix warm-up (a user's first call alone); default on, as in the product. */
  prefixWarmup?: boolean;
}

const userId = (u: number) => `prism-user-${String(u).padStart(4, '0')}`;

/** A user's stable prefix: the same bytes on every call of the user, as the engine's prompt layout keeps them. */
function prefixOf(user: string, tokens: number): string {
  const head = `${user}\n`;
  return (
    head +
    `persona and demonstrations of ${user}. `
      .repeat(Math.ceil((tokens * CHARS_PER_TOKEN) / 40))
      .slice(0, tokens * CHARS_PER_TOKEN - head.length)
  );
}

interface Replica {
  server: LoopbackServer;
  /** Users whose prefix this replica has computed. */
  seen: Set<string>;
  /** Users whose prefix is in this replica's cache: a call computing it was answered. */
  cached: Set<string>;
  /** Calls that arrived with their user's prefix not cached here. */
  computing: number;
  dead: boolean;
}

/** Per user, how many replicas computed its prefix. */
type Computed = Map<string, number>;

const userOf = (req: BrainRequest) => req.messages[0]!.content.slice(0, req.messages[0]!.content.indexOf('\n'));

async function startReplica(shape: FleetShape, computed: Computed, onAnswer: () => void): Promise<Replica> {
  const replica: Replica = {
    server: undefined as unknown as LoopbackServer,
    seen: new Set(),
    cached: new Set(),
    computing: 0,
    dead: false,
  };
  const brain = (req: BrainRequest): string => {
    const user = userOf(req);
    if (!replica.seen.has(user)) {
      replica.seen.add(user);
      computed.set(user, (computed.get(user) ?? 0) + 1);
    }
    replica.cached.add(user);
    onAnswer();
    return 'A';
  };
  replica.server = await startLoopbackOpenAI({
    brain,
    models: [MODEL],
    slots: shape.slots,
    // A dead replica resets every connection; a live one answers after the load-dependent latency.
    faultFor: (req) => {
      if (replica.dead) return { type: 'reset-before-response' };
      if (!replica.cached.has(userOf(req))) replica.computing++;
      return {
        type: 'latency',
        ms: shape.baseMs + shape.perCallMs * Math.min(replica.server.stats.inFlight, shape.slots),
      };
    },
  });
  return replica;
}

/** One simulated fit plus eval of every user across `opts.endpoints` replicas. */
export async function runFleet(shape: FleetShape, opts: FleetOptions, quick: boolean): Promise<FleetRun> {
  const computed: Computed = new Map();
  const perUser = shape.stages.reduce((s, n) => s + n, 0);
  const total = shape.users * perUser;
  let answered = 0;
  const unfinished = new Set<string>();
  let unfinishedAtFailure: Set<string> | undefined;
  const replicas: Replica[] = [];
  const onAnswer = () => {
    answered++;
    if (opts.failAt !== undefined && !replicas[0]!.dead && answered >= opts.failAt * total) {
      replicas[0]!.dead = true;
      unfinishedAtFailure = new Set(unfinished);
    }
  };
  for (let i = 0; i < opts.endpoints; i++) replicas.push(await startReplica(shape, computed, onAnswer));
  const urls = replicas.map((r) => r.server.url);
  const llm = createLlm(
    { provider: 'openai', baseUrls: urls, model: MODEL, stream: false, concurrency: shape.slots },
    // The smoke run's latencies are milliseconds: its retries and cool-downs shrink alike.
    {
      noCache: true,
      apiKey: 'sk-bench',
      prefixWarmup: opts.prefixWarmup ?? true,
      ...(quick ? { retry: { baseDelayMs: 5 }, coolDownMs: 50 } : {}),
    },
  );
  let failedCalls = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: shape.users }, async (_, u) => {
        const user = userId(u);
        const prefix = prefixOf(user, shape.prefixTokens);
        unfinished.add(user);
        let call = 0;
        for (const size of shape.stages) {
          await Promise.all(
            Array.from({ length: size }, () => {
              const tail = `call ${call++}: ${'which answer would this user prefer? '.repeat(Math.ceil((shape.tailTokens * CHARS_PER_TOKEN) / 37))}`;
              return llm
                .chat({
                  messages: [
                    { role: 'system', content: prefix },
                    { role: 'user', content: tail },
                  ],
                  temperature: 0,
                  ...(opts.noAffinity ? {} : { affinity: user }),
                })
                .catch(() => void failedCalls++);
            }),
          );
        }
        unfinished.delete(user);
      }),
    );
    const wallMs = performance.now() - t0;
    let recomputed = 0;
    for (const n of computed.values()) recomputed += Math.max(0, n - 1);
    // The ideal: only the users whose home was the failed replica, and who still had calls then, compute again.
    let idealUsers = 0;
    for (const user of unfinishedAtFailure ?? []) {
      if (rendezvousOrder(user, urls, (url) => url)[0] === urls[0]) idealUsers++;
    }
    return {
      endpoints: opts.endpoints,
      wallMs,
      calls: total,
      prefixTokens: total * shape.prefixTokens,
      recomputedTokens: recomputed * shape.prefixTokens,
      idealRecomputedTokens: idealUsers * shape.prefixTokens,
      // Every computation past the first of a user on a replica: the moves are counted above, these are the rest.
      duplicateTokens:
        (replicas.reduce((n, r) => n + r.computing, 0) - replicas.reduce((n, r) => n + r.seen.size, 0)) *
        shape.prefixTokens,
      failedCalls,
    };
  } finally {
    await llm.dispose();
    for (const r of replicas) await r.server.close();
  }
}

// Concurrency limits, adaptive concurrency under 429s, backoff, and cancellation that really
// stops work: queued calls at once, calls in flight down to the socket.
// No assertion here is about elapsed time (a loaded CI machine would fail it, and speed is for
// `npm run bench`): the tests wait for conditions (server counters, log lines, a held answer)
// and assert orders and counts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { AdaptiveLimit } from '../../src/core/llm/endpoints';
import { LlmError } from '../../src/core/llm/errors';
import { backoffDelay, DEFAULT_RETRY } from '../../src/core/llm/scheduler';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const retry = { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 };
const ask = (i: number) => ({ messages: [{ role: 'user' as const, content: `question ${i}` }], temperature: 0 });

/** Waits for a condition; the deadline only keeps a broken test from hanging. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether a promise settles in the current turn of the event loop: before any timer or I/O can run. */
function settlesThisTurn(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
}

describe('adaptive limit and backoff', () => {
  test('halves once per window of 429s and creeps back one slot per window of successes', () => {
    const l = new AdaptiveLimit(8);
    const epoch = l.epoch;
    for (let i = 0; i < 8; i++) l.onRateLimit(epoch); // eight calls of the same window all refused
    assert.equal(l.current, 4);
    l.onRateLimit(l.epoch); // a call started after the cut: halves again
    assert.equal(l.current, 2);
    for (let i = 0; i < 2; i++) l.onSuccess();
    assert.equal(l.current, 3);
    for (let i = 0; i < 100; i++) l.onSuccess();
    assert.equal(l.current, 8, 'never above the configured maximum');
    const one = new AdaptiveLimit(1);
    one.onRateLimit(one.epoch);
    assert.equal(one.current, 1, 'never below one');
  });

  // A simulated server on a simulated clock: `slots` calls run at once, each takes `serviceMs`; the client
  // keeps `limit.current` calls outstanding. Returns the share of the last half of the calls made at each level.
  const simulate = (slots: number, serviceMs: number, calls: number) => {
    const limit = new AdaptiveLimit(4);
    const at = new Map<number, number>();
    let now = 0;
    for (let i = 0; i < calls; i++) {
      const inFlight = limit.current;
      // With more calls than slots, a call waits for the ones ahead of it: latency grows, throughput does not.
      const latency = serviceMs * Math.max(1, inFlight / slots);
      now += serviceMs / Math.min(inFlight, slots);
      limit.onSuccess(latency, now);
      if (i >= calls / 2) at.set(inFlight, (at.get(inFlight) ?? 0) + 1 / (calls / 2));
    }
    return (level: number) => at.get(level) ?? 0;
  };

  test('latency that grows while throughput stays flat (one slot on the server) brings the limit down to 1', () => {
    const share = simulate(1, 2000, 600);
    assert.ok(share(1) >= 0.8, `at 1 for ${(100 * share(1)).toFixed(0)}% of the calls`);
  });

  test('a server with room for the calls keeps the full limit (a lower level is tried now and then, found slower, and left)', () => {
    const share = simulate(4, 2000, 600);
    assert.ok(share(4) >= 0.8, `at 4 for ${(100 * share(4)).toFixed(0)}% of the calls`);
  });

  test('two slots: the limit settles at 2', () => {
    const share = simulate(2, 2000, 600);
    assert.ok(share(2) >= 0.7, `at 2 for ${(100 * share(2)).toFixed(0)}% of the calls`);
  });

  test('exponential backoff with equal jitter; Retry-After wins and is capped', () => {
    const low = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000, random: () => 0 };
    const high = { ...low, random: () => 0.999999 };
    assert.equal(backoffDelay(low, 1, undefined), 50);
    assert.ok(backoffDelay(high, 1, undefined) <= 100);
    assert.equal(backoffDelay(low, 3, undefined), 200);
    assert.equal(backoffDelay(low, 10, undefined), 500, 'capped at maxDelayMs');
    assert.equal(backoffDelay(low, 1, 3000), 3000);
    assert.ok(backoffDelay(high, 1, 3000) <= 3300, 'a little jitter on top of Retry-After');
    assert.equal(backoffDelay(low, 1, 60_000), 5000, 'capped at maxRetryAfterMs');
  });
});

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: scheduling`, () => {
    let server: LoopbackServer;
    before(async () => {
      server = kind === 'ollama' ? await startLoopbackOllama() : await startLoopbackOpenAI();
    });
    after(() => server.close());

    const make = (
      concurrency: number,
      extra: Partial<Parameters<typeof createLlm>[0]> = {},
      log?: (l: string, m: string) => void,
    ): Llm =>
      createLlm({ provider: kind, baseUrls: [server.url], model: MODEL[kind], concurrency, ...extra }, { retry, log });

    test('never more calls in flight than the concurrency limit', async () => {
      server.reset();
      // The server holds every answer until the test lets them go, so the calls pile up at the limit.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      server.options.brain = async () => {
        await gate;
        return 'ok';
      };
      const llm = make(3);
      try {
        const calls = Array.from({ length: 15 }, (_, i) => llm.chat(ask(i)));
        await until(() => server.stats.inFlight >= 3);
        assert.equal(llm.endpoints()[0]!.outstanding, 3, 'the client sent more calls than its limit');
        assert.equal(server.stats.chat, 3, 'the other calls wait in the client, not on the server');
        release();
        const results = await Promise.all(calls);
        assert.equal(results.length, 15);
        assert.equal(server.stats.maxInFlight, 3);
        assert.equal(server.stats.chat, 15);
      } finally {
        release();
        server.options.brain = undefined;
        await llm.dispose();
      }
    });

    test("a user's first call goes alone, so the server computes the user's prefix once; then the user's calls go together", async () => {
      server.reset();
      // The server holds each user's answers until the test lets that user's go.
      const gates = new Map<string, { open: Promise<void>; release: () => void }>();
      const gateOf = (user: string) => {
        let g = gates.get(user);
        if (!g) {
          let release!: () => void;
          g = { open: new Promise<void>((r) => (release = r)), release };
          gates.set(user, g);
        }
        return g;
      };
      const userOf = (text: string) => /user (\w+)/.exec(text)?.[1] ?? '';
      // A user's first answer waits for the user's gate, the later ones for "<user>-rest".
      const arrived = new Map<string, number>();
      server.options.brain = async (req) => {
        const user = userOf(req.messages.map((m) => m.content).join(' '));
        arrived.set(user, (arrived.get(user) ?? 0) + 1);
        await gateOf(arrived.get(user) === 1 ? user : `${user}-rest`).open;
        return 'ok';
      };
      // bob's first call is refused (a 400: not retried): the next call of bob goes first in its place.
      let bobAsked = 0;
      server.options.faultFor = (req) =>
        userOf(req.messages[0]?.content ?? '') === 'bob' && bobAsked++ === 0
          ? { type: 'server-error', status: 400, message: 'planted' }
          : undefined;
      const llm = make(8);
      const of = (user: string, i: number) =>
        llm.chat({ ...ask(i), messages: [{ role: 'user', content: `user ${user} question ${i}` }], affinity: user });
      try {
        const ann = Array.from({ length: 5 }, (_, i) => of('ann', i));
        const bob = Array.from({ length: 5 }, (_, i) => of('bob', i).catch((e: unknown) => e));
        // With room for 8: ann's first call, bob's first (refused) and then bob's second: one at a time a user.
        await until(() => server.stats.chat === 3 && server.stats.inFlight === 2);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(server.stats.chat, 3, "no user's other calls went while its first was in flight");
        assert.equal(llm.endpoints()[0]!.outstanding, 2);
        // ann's first answer: her four other calls go together, bob's second still alone.
        gateOf('ann').release();
        await until(() => server.stats.inFlight === 5);
        assert.equal(server.stats.chat, 7);
        assert.equal(llm.endpoints()[0]!.outstanding, 5);
        gateOf('ann-rest').release();
        assert.equal((await Promise.all(ann)).length, 5);
        gateOf('bob').release();
        gateOf('bob-rest').release();
        const bobDone = await Promise.all(bob);
        assert.equal(bobDone.filter((r) => r instanceof Error).length, 1, "bob's first call failed, the rest answered");
        assert.equal(server.stats.chat, 10);
      } finally {
        for (const g of gates.values()) g.release();
        server.options.brain = undefined;
        server.options.faultFor = undefined;
        await llm.dispose();
      }
    });

    test('a burst of 429s halves the limit once, then it creeps back to the maximum', async () => {
      server.reset();
      server.options.latencyMs = 10;
      const seen: number[] = [];
      // Only the retry lines: the client logs other things too (the context it sized for Ollama).
      const llm: Llm | undefined = make(
        8,
        {},
        (_level, message) => void (message.startsWith('retrying') && seen.push(llm!.endpoints()[0]!.limit)),
      );
      try {
        for (let i = 0; i < 8; i++) server.inject({ type: 'rate-limit', retryAfterMs: 30 });
        await Promise.all(Array.from({ length: 8 }, (_, i) => llm!.chat(ask(i))));
        assert.equal(seen.length, 8, 'each refused call was retried once');
        assert.equal(Math.min(...seen), 4, 'halved once for the whole burst, not eight times');
        assert.ok(llm.endpoints()[0]!.limit < 8);
        await Promise.all(Array.from({ length: 60 }, (_, i) => llm!.chat(ask(100 + i))));
        assert.equal(llm.endpoints()[0]!.limit, 8);
        assert.equal(llm.counters().calls, 68);
        assert.equal(llm.counters().retries, 8);
      } finally {
        server.options.latencyMs = 0;
        await llm.dispose();
      }
    });

    test('cancelling rejects queued calls at once and aborts the one in flight (socket closed)', async () => {
      server.reset();
      server.options.latencyMs = 2000;
      // The brain runs once the server's latency is over: if it ran, the server had answered.
      let answered = 0;
      server.options.brain = () => {
        answered++;
        return 'late';
      };
      const llm = make(1);
      const controller = new AbortController();
      try {
        const calls = Array.from({ length: 5 }, (_, i) =>
          llm.chat(ask(i), controller.signal).then(
            () => 'done',
            (e: unknown) => e,
          ),
        );
        await until(() => server.stats.chat === 1);
        const queued = calls.slice(1);
        controller.abort();
        for (const q of queued) assert.ok(await settlesThisTurn(q), 'a queued call outlived the cancellation');
        const outcomes = await Promise.all(calls);
        assert.equal(answered, 0, 'cancellation waited for the server to answer');
        for (const o of outcomes) assert.ok(o instanceof LlmError && o.kind === 'aborted', String(o));
        await until(() => server.stats.clientAborts === 1);
        assert.equal(server.stats.chat, 1, 'queued calls never reached the server');
        assert.equal(llm.counters().cancelled, 5);
        assert.equal(llm.counters().errors, 0, 'a cancellation is not an error');
      } finally {
        server.options.latencyMs = 0;
        server.options.brain = undefined;
        await llm.dispose();
      }
    });

    test('cancelling mid-stream aborts the HTTP request', async () => {
      server.reset();
      // The server writes its first chunk as soon as the brain has answered, then one every 40 ms.
      let answered = false;
      server.options.brain = () => {
        answered = true;
        return 'z'.repeat(600);
      };
      server.options.chunkIntervalMs = 40;
      const llm = make(2);
      const controller = new AbortController();
      try {
        const call = llm.chat(ask(1), controller.signal);
        await until(() => answered); // the stream is under way
        assert.equal(server.stats.inFlight, 1);
        assert.equal(server.stats.completed, 0);
        controller.abort();
        const err = await call.then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof LlmError && err.kind === 'aborted');
        await until(() => server.stats.clientAborts === 1 && server.stats.inFlight === 0);
        assert.equal(server.stats.completed, 0);
      } finally {
        server.options.brain = undefined;
        server.options.chunkIntervalMs = undefined;
        await llm.dispose();
      }
    });

    test('cancelling during a retry backoff stops at once', async () => {
      server.reset();
      const lines: string[] = [];
      const llm = createLlm(
        { provider: kind, baseUrls: [server.url], model: MODEL[kind] },
        { retry: { baseDelayMs: 5000, maxDelayMs: 5000, random: () => 0.5 }, log: (_l, m) => void lines.push(m) },
      );
      const controller = new AbortController();
      server.inject({ type: 'server-error' });
      const call = llm.chat(ask(1), controller.signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      // The retry is logged just before its backoff starts.
      await until(() => lines.some((l) => l.startsWith('retrying')));
      controller.abort();
      // Settled before any timer could fire: the backoff's timer was cleared, not waited out.
      assert.ok(await settlesThisTurn(call), 'the call was still waiting out its backoff after the abort');
      const err = await call;
      assert.ok(err instanceof LlmError && err.kind === 'aborted');
      assert.equal(server.stats.chat, 1);
      await llm.dispose();
    });

    test('dispose() ends everything: in flight and queued', async () => {
      server.reset();
      server.options.latencyMs = 2000;
      const llm = make(1);
      try {
        const calls = [llm.chat(ask(1)), llm.chat(ask(2))].map((p) =>
          p.then(
            () => undefined,
            (e: unknown) => e,
          ),
        );
        await until(() => server.stats.chat === 1);
        await llm.dispose();
        for (const e of await Promise.all(calls)) assert.ok(e instanceof LlmError && e.kind === 'aborted');
        await until(() => server.stats.clientAborts === 1);
      } finally {
        server.options.latencyMs = 0;
      }
    });
  });
}

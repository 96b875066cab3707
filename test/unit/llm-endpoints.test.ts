// Several endpoints for one provider: least-outstanding spreading, failover with a cool-down,
// and the per-endpoint memory that a server rejects JSON schemas.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createLlm } from '../../src/core/llm/client';
import { Endpoint, EndpointPool } from '../../src/core/llm/endpoints';
import type { EndpointClient } from '../../src/core/llm/provider';
import { rendezvousOrder } from '../../src/core/llm/affinity';
import type { ServerProviderKind, ResponseSchema } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackOptions, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const retry = { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 };
const ask = (i: number) => ({ messages: [{ role: 'user' as const, content: `question ${i}` }], temperature: 0 });
const verdict: ResponseSchema = {
  name: 'verdict',
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, preference: { type: 'string', enum: ['A', 'B'] } },
    required: ['reasoning', 'preference'],
  },
};

function start(kind: ServerProviderKind, options: LoopbackOptions = {}): Promise<LoopbackServer> {
  return kind === 'ollama' ? startLoopbackOllama(options) : startLoopbackOpenAI(options);
}

async function deadUrl(kind: ServerProviderKind): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return kind === 'ollama' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1`;
}

describe('endpoint pool', () => {
  const fake = (url: string): EndpointClient => ({
    kind: 'ollama',
    baseUrl: url,
    chat: () => Promise.reject(new Error('unused')),
    listModels: () => Promise.resolve([]),
    check: () => Promise.resolve({ models: [] }),
  });

  test('least outstanding first; a cooling endpoint only when none is healthy', () => {
    let now = 1000;
    const a = new Endpoint(fake('http://a'), 2);
    const b = new Endpoint(fake('http://b'), 2);
    const pool = new EndpointPool([a, b], { coolDownMs: 100, now: () => now });
    a.outstanding = 1;
    assert.equal(pool.pick(), b);
    b.outstanding = 2;
    assert.equal(pool.pick(), a);
    a.outstanding = 2;
    assert.equal(pool.pick(), undefined, 'both full: wait');
    a.outstanding = 0;
    b.outstanding = 0;
    pool.markFailure(a);
    assert.equal(pool.pick(), b);
    b.outstanding = 2;
    assert.equal(pool.pick(), undefined, 'b is healthy but busy: do not fall back to the cooling a');
    pool.markFailure(b);
    b.outstanding = 0;
    assert.ok(pool.pick(), 'nothing healthy: use a cooling one rather than stall');
    now += 100;
    assert.equal(a.coolUntil, 1100);
    pool.markFailure(a);
    assert.equal(a.coolUntil, now + 200, 'the cool-down doubles while failures continue');
    pool.markSuccess(a);
    assert.equal(a.coolUntil, 0);
  });

  test('a pause from Retry-After is hard: nothing goes there until it ends', () => {
    let now = 0;
    const a = new Endpoint(fake('http://a'), 2);
    const pool = new EndpointPool([a], { now: () => now });
    pool.pause(a, 50);
    assert.equal(pool.pick(), undefined);
    assert.equal(pool.nextChangeAt(), 50);
    now = 50;
    assert.equal(pool.pick(), a);
  });
});

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: several endpoints`, () => {
    test('calls spread by least outstanding requests', async () => {
      const [s1, s2] = await Promise.all([start(kind, { latencyMs: 30 }), start(kind, { latencyMs: 30 })]);
      const llm = createLlm(
        { provider: kind, baseUrls: [s1!.url, s2!.url], model: MODEL[kind], concurrency: 2 },
        { retry },
      );
      try {
        await Promise.all(Array.from({ length: 20 }, (_, i) => llm.chat(ask(i))));
        assert.equal(s1!.stats.chat + s2!.stats.chat, 20);
        assert.ok(s1!.stats.chat >= 8 && s2!.stats.chat >= 8, `${s1!.stats.chat} / ${s2!.stats.chat}`);
        assert.equal(s1!.stats.maxInFlight, 2);
        assert.equal(s2!.stats.maxInFlight, 2);
      } finally {
        await llm.dispose();
        await Promise.all([s1!.close(), s2!.close()]);
      }
    });

    test('a dead endpoint is taken out and the run goes on on the others', async () => {
      const live = await start(kind);
      const dead = await deadUrl(kind);
      const llm = createLlm(
        { provider: kind, baseUrls: [dead, live.url], model: MODEL[kind], concurrency: 2 },
        { retry, coolDownMs: 60_000 },
      );
      try {
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => llm.chat(ask(i))));
        assert.equal(results.length, 12);
        assert.equal(live.stats.chat, 12);
        const [d, l] = llm.endpoints();
        assert.ok(d!.failed >= 1 && d!.failed <= 2, `dead endpoint tried ${d!.failed} times`);
        assert.ok(d!.coolingUntil > Date.now());
        assert.equal(l!.served, 12);
        assert.equal(llm.counters().errors, 0);
      } finally {
        await llm.dispose();
        await live.close();
      }
    });

    test('an endpoint answering 500s is cooled down: no call goes there while a healthy one exists', async () => {
      const good = await start(kind);
      const bad = await start(kind, { faultFor: () => ({ type: 'server-error' }) });
      const llm = createLlm(
        { provider: kind, baseUrls: [bad.url, good.url], model: MODEL[kind], concurrency: 4 },
        { retry, coolDownMs: 60_000 },
      );
      try {
        await Promise.all(Array.from({ length: 10 }, (_, i) => llm.chat(ask(i))));
        // Only the calls already in flight when it first failed (one window) reach it.
        assert.ok(bad.stats.chat >= 1 && bad.stats.chat <= 4, `the failing endpoint got ${bad.stats.chat} calls`);
        assert.equal(llm.counters().errors, 0);
        const cooled = bad.stats.chat;
        await Promise.all(Array.from({ length: 10 }, (_, i) => llm.chat(ask(50 + i))));
        assert.equal(bad.stats.chat, cooled);
        assert.equal(good.stats.chat, 20);
        assert.equal(llm.endpoints()[0]!.consecutiveFailures, 1, 'failures of one window count once');
      } finally {
        await llm.dispose();
        await Promise.all([good.close(), bad.close()]);
      }
    });

    test('a cooled endpoint is tried again once its cool-down ends', async () => {
      const good = await start(kind);
      let failing = true;
      const bad = await start(kind, { faultFor: () => (failing ? { type: 'server-error' } : undefined) });
      const llm = createLlm(
        { provider: kind, baseUrls: [bad.url, good.url], model: MODEL[kind], concurrency: 4 },
        { retry, coolDownMs: 150 },
      );
      try {
        await Promise.all(Array.from({ length: 10 }, (_, i) => llm.chat(ask(i))));
        assert.ok(llm.endpoints()[0]!.failed >= 1);
        failing = false;
        const until = llm.endpoints()[0]!.coolingUntil;
        await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 20));
        const before = bad.stats.chat;
        await Promise.all(Array.from({ length: 10 }, (_, i) => llm.chat(ask(100 + i))));
        assert.ok(bad.stats.chat > before, 'the healed endpoint is back in rotation');
        assert.equal(llm.endpoints()[0]!.coolingUntil, 0);
      } finally {
        await llm.dispose();
        await Promise.all([good.close(), bad.close()]);
      }
    });

    test('a server that rejects schemas: plain text + tolerant parser, remembered for that endpoint only', async () => {
      const brain = (r: { schema?: unknown }) =>
        r.schema ? '{"reasoning":"structured","preference":"A"}' : 'Thinking it over.\nPreference: B';
      const old = await start(kind, { rejectSchemas: true, brain });
      const modern = await start(kind, { brain });
      const logs: string[] = [];
      const llm = createLlm(
        { provider: kind, baseUrls: [old.url, modern.url], model: MODEL[kind], concurrency: 1 },
        { retry, log: (_l, m) => logs.push(m) },
      );
      try {
        const first = await llm.chat({ ...ask(1), schema: verdict });
        assert.equal(old.stats.chat, 2, 'schema refused, then the plain-text attempt');
        assert.deepEqual(first.json, { preference: 'B', reasoning: 'Thinking it over.\nPreference: B' });
        const plain = old.chats[1]!.request;
        assert.equal(plain.schema, undefined);
        assert.match(plain.messages[0]!.content, /Answer with only a JSON object that follows this JSON schema/);
        assert.equal(llm.endpoints()[0]!.schemaUnsupported, true);
        assert.equal(llm.endpoints()[1]!.schemaUnsupported, false);
        assert.ok(logs.some((l) => /does not accept JSON schemas/.test(l)));

        // Both endpoints busy in turn: the old one gets no schema any more, the modern one still does.
        await Promise.all([llm.chat({ ...ask(2), schema: verdict }), llm.chat({ ...ask(3), schema: verdict })]);
        assert.equal(old.stats.chat, 3, 'no second refusal: the fallback is remembered');
        assert.equal(old.chats[2]!.request.schema, undefined);
        assert.equal(modern.stats.chat, 1);
        assert.deepEqual(modern.chats[0]!.request.schema, verdict.schema);
      } finally {
        await llm.dispose();
        await Promise.all([old.close(), modern.close()]);
      }
    });
  });
}

describe("one user's calls on one server", () => {
  test('a full home is waited for while the other server is busy too; a server left idle takes the overflow', async () => {
    const a = await startLoopbackOllama({ brain: () => 'A', latencyMs: 20 });
    const b = await startLoopbackOllama({ brain: () => 'A', latencyMs: 20 });
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [a.url, b.url], model: 'llama3.1:8b', concurrency: 2 },
      { noCache: true },
    );
    const home = (u: string) => rendezvousOrder(u, [a.url, b.url], (url) => url)[0];
    const u1 = 'ada';
    const u2 = ['bruno', 'chen', 'dana', 'emil', 'fritz'].find((u) => home(u) !== home(u1))!;
    const calls = (u: string, n: number) =>
      Array.from({ length: n }, (_, i) =>
        llm.chat({ messages: [{ role: 'user', content: `${u} ${i}` }], temperature: 0, affinity: u }),
      );
    const who = (s: LoopbackServer) =>
      [...new Set(s.chats.map((c) => String(c.request.messages[0]!.content).split(' ')[0]))].sort();
    try {
      // Both homes full (2 slots each, 8 calls each, asked in turn): no call moves, so no prefix is computed twice.
      const both = Array.from({ length: 8 }, () => [u1, u2]).flat();
      await Promise.all(
        both.map((u, i) =>
          llm.chat({ messages: [{ role: 'user', content: `${u} ${i}` }], temperature: 0, affinity: u }),
        ),
      );
      assert.deepEqual([who(a), who(b)].flat().sort(), [u1, u2].sort(), `A saw ${who(a)}, B saw ${who(b)}`);
      // One user alone: the other server is idle, and takes what the home cannot (the check above can fail).
      a.chats.length = 0;
      b.chats.length = 0;
      await Promise.all(calls('gus', 12));
      assert.equal(a.chats.length + b.chats.length, 12);
      assert.ok(
        a.chats.length > 0 && b.chats.length > 0,
        `A ${a.chats.length}, B ${b.chats.length}: the idle one helped`,
      );
    } finally {
      await llm.dispose();
      await a.close();
      await b.close();
    }
  });

  test('calls with the same affinity go to the same server while it has room', async () => {
    const a = await startLoopbackOllama({ brain: () => 'A', latencyMs: 5 });
    const b = await startLoopbackOllama({ brain: () => 'A', latencyMs: 5 });
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [a.url, b.url], model: 'llama3.1:8b', concurrency: 16 },
      { noCache: true },
    );
    try {
      // Two users whose home servers differ.
      const users = ['ada', 'bruno', 'chen', 'dana', 'emil'];
      const u1 = users[0]!;
      const home = (u: string) => rendezvousOrder(u, [a.url, b.url], (url) => url)[0];
      const u2 = users.find((u) => home(u) !== home(u1))!;
      await Promise.all(
        [u1, u2].flatMap((u) =>
          Array.from({ length: 10 }, (_, i) =>
            llm.chat({ messages: [{ role: 'user', content: `${u} ${i}` }], temperature: 0, affinity: u }),
          ),
        ),
      );
      const who = (s: LoopbackServer) =>
        new Set(s.chats.map((c) => String(c.request.messages[0]!.content).split(' ')[0]));
      assert.equal(a.stats.chat + b.stats.chat, 20);
      assert.deepEqual([...who(a)].length, 1, `server A saw ${[...who(a)]}`);
      assert.deepEqual([...who(b)].length, 1, `server B saw ${[...who(b)]}`);
    } finally {
      await llm.dispose();
      await a.close();
      await b.close();
    }
  });
});

// One user's calls on one replica, and a replica that leaves hands over only its own users: rendezvous hashing
// (src/core/llm/affinity.ts) behind the endpoint pool's pick.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm } from '../../src/core/llm/client';
import { rendezvousOrder } from '../../src/core/llm/affinity';
import { Endpoint, EndpointPool } from '../../src/core/llm/endpoints';
import type { EndpointClient } from '../../src/core/llm/provider';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const URLS = ['http://gpu0:8000/v1', 'http://gpu1:8000/v1', 'http://gpu2:8000/v1', 'http://gpu3:8000/v1'];
const USERS = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
const fake = (url: string): EndpointClient => ({
  kind: 'openai',
  baseUrl: url,
  chat: async () => ({ text: '', usage: { promptTokens: 0, completionTokens: 0 } }),
  listModels: async () => [],
  check: async () => ({ models: [] }),
});

function pool(urls: readonly string[], now: () => number = () => 0): EndpointPool {
  return new EndpointPool(
    urls.map((u) => new Endpoint(fake(u), 8)),
    { now, coolDownMs: 1000 },
  );
}

const homes = (p: EndpointPool) => new Map(USERS.map((u) => [u, p.pick(u)!.baseUrl]));

describe('rendezvous routing over four replicas and 1,000 users', () => {
  test('each replica is home to a balanced share: within 20% of 250 users', () => {
    const count = new Map<string, number>();
    for (const url of homes(pool(URLS)).values()) count.set(url, (count.get(url) ?? 0) + 1);
    assert.equal(count.size, 4);
    for (const [url, n] of count) assert.ok(n >= 200 && n <= 300, `${url} is home to ${n} users`);
  });

  test('a replica that dies hands over only its own users, each to its second choice, and they return', () => {
    let t = 0;
    const p = pool(URLS, () => t);
    const before = homes(p);
    const dead = p.endpoints[2]!;
    p.markFailure(dead);
    const during = homes(p);
    const moved = USERS.filter((u) => during.get(u) !== before.get(u));
    // Exactly the dead replica's users moved, and nobody else.
    assert.deepEqual(
      moved,
      USERS.filter((u) => before.get(u) === dead.baseUrl),
    );
    assert.ok(moved.length > 0);
    assert.equal(
      USERS.filter((u) => before.get(u) !== dead.baseUrl && during.get(u) !== before.get(u)).length,
      0,
      'users of the healthy replicas stayed',
    );
    // Each moved user goes to its own second choice, so the dead replica's load spreads over all three others.
    for (const u of moved) assert.equal(during.get(u), rendezvousOrder(u, URLS, (x) => x)[1]);
    assert.equal(new Set(moved.map((u) => during.get(u))).size, 3);
    // The cool-down ends and the replica answers again: its users come back, everyone else stays.
    t = 2000;
    p.markSuccess(dead);
    assert.deepEqual(homes(p), before);
  });

  test('a replica taken out of the list moves only its users; the order of the list does not matter', () => {
    const before = homes(pool(URLS));
    const three = homes(pool([URLS[3]!, URLS[0]!, URLS[1]!]));
    for (const u of USERS) {
      if (before.get(u) === URLS[2]) assert.notEqual(three.get(u), URLS[2]);
      else assert.equal(three.get(u), before.get(u), `${u} moved though its replica stayed`);
    }
  });

  test("a dead replica's users keep one new home for all their calls, retries included", async () => {
    const servers = await Promise.all([0, 1, 2].map(() => startLoopbackOpenAI({ brain: () => 'A' })));
    const dead = servers[1]!;
    const urls = servers.map((s) => s.url);
    await dead.close();
    const llm = createLlm(
      { provider: 'openai', baseUrls: urls, model: 'gpt-4o-mini', concurrency: 64 },
      { noCache: true, retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 }, coolDownMs: 60_000 },
    );
    try {
      const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
      const ofDead = users.filter((u) => rendezvousOrder(u, urls, (x) => x)[0] === dead.url);
      assert.ok(ofDead.length > 0);
      for (let round = 0; round < 4; round++)
        await Promise.all(
          users.map((u) =>
            llm.chat({ messages: [{ role: 'user', content: `${u} ${round}` }], temperature: 0, affinity: u }),
          ),
        );
      const sawUser = (s: (typeof servers)[number], u: string) =>
        s.chats.some((c) => String(c.request.messages[0]!.content).split(' ')[0] === u);
      for (const u of users) {
        const where = servers.filter((s) => s !== dead && sawUser(s, u));
        assert.equal(where.length, 1, `${u}'s calls went to ${where.length} replicas`);
        const expected = rendezvousOrder(u, urls, (x) => x).find((x) => x !== dead.url);
        assert.equal(where[0]!.url, expected);
      }
    } finally {
      await llm.dispose();
      await Promise.all(servers.filter((s) => s !== dead).map((s) => s.close()));
    }
  });
});

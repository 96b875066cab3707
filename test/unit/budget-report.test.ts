// A run's report says the requests the server received (issue 20, class 4), not only the calls it
// answered: `eval` against a loopback server where every distinct request is refused once (a 429 with a
// short Retry-After) and one in six then comes after the client's timeout. The usage it prints counts
// every attempt (the server's own count); a re-run answered by the cache sends none and says so. Its
// --dry-run estimate says what it leaves out (retries).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLoopbackOllama, type BrainRequest, type Fault, type LoopbackServer } from '../support/loopback-ollama';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';
import { hashString } from '../../src/core/random';

function failingOnce(): (req: BrainRequest) => Fault | undefined {
  const seen = new Map<string, number>();
  return (req) => {
    const key = `${req.model}\n${req.seed}\n${JSON.stringify(req.messages)}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n === 1)
      return hashString(key) % 6 === 0
        ? { type: 'slow-first-byte', ms: 1500 }
        : { type: 'rate-limit', retryAfterMs: 20 };
    return undefined;
  };
}

describe('eval reports the requests the server received', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({
      brain: () => JSON.stringify({ reasoning: 'r', preference: 'A' }),
      models: ['llama3.1:8b'],
    });
  });
  after(() => server?.close());

  test('every attempt is counted (retries and timed-out requests), cache hits are not', async () => {
    const sim = simulatedWorkspace(1);
    const argv = [
      'eval',
      'ws',
      '--user',
      'sim-ana',
      '--method',
      'default',
      '--base-url',
      server.url,
      '--timeout',
      '1',
      '--json',
    ];

    const dry = cli(sim.dir);
    assert.equal(await dry.call(...argv, '--dry-run'), 0, dry.err());
    assert.deepEqual(JSON.parse(dry.out()).excludes, ['retries']);

    server.reset();
    server.options.faultFor = failingOnce();
    const first = cli(sim.dir);
    assert.equal(await first.call(...argv), 0, first.err());
    const usage = JSON.parse(first.out()).usage;
    assert.ok(server.stats.clientAborts > 0, 'no request timed out');
    assert.equal(usage.requests, server.stats.chat);
    assert.equal(usage.requests, 2 * usage.calls, JSON.stringify(usage));

    server.reset();
    const again = cli(sim.dir);
    // Another run (a label of its own), the same requests: answered by the cache.
    assert.equal(await again.call(...argv, '--label', 'again'), 0, again.err());
    const cached = JSON.parse(again.out()).usage;
    assert.equal(server.stats.chat, 0);
    assert.equal(cached.requests, 0);
    assert.ok(cached.cacheHits > 0);
  });
});

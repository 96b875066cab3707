// The cache knows what a model is, not only what it is called: after `ollama pull` brings new weights under
// the same name (a new digest in /api/tags), old answers are not served as the new model's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlm } from '../../src/core/llm/client';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';

describe('cache identity', () => {
  let server: LoopbackServer;
  let dir: string;
  before(async () => {
    server = await startLoopbackOllama({
      models: ['llama3.1:8b'],
      brain: () => 'A',
      digests: { 'llama3.1:8b': 'sha256:' + '1'.repeat(64) },
    });
    dir = mkdtempSync(join(tmpdir(), 'cache-identity-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (logs: string[] = []) => {
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' },
      { cacheDir: dir, log: (_l, m) => void logs.push(m) },
    );
    try {
      return await llm.chat({ messages: [{ role: 'user', content: 'Pick A or B.' }], temperature: 0 });
    } finally {
      await llm.dispose();
    }
  };

  test('same digest: from the cache; a re-pulled model (new digest): asked again, and said so; then cached', async () => {
    const first = await run();
    assert.equal(first.cached, false);
    assert.equal((await run()).cached, true);
    const calls = server.stats.chat;
    server.options.digests = { 'llama3.1:8b': 'sha256:' + '2'.repeat(64) };
    const logs: string[] = [];
    const repulled = await run(logs);
    assert.equal(repulled.cached, false, 'not the old weights answer');
    assert.equal(server.stats.chat, calls + 1);
    assert.ok(
      logs.some((l) =>
        /changed on the server since answers were cached \(digest sha256:11111 -> sha256:22222\)/.test(l),
      ),
      logs.join('\n'),
    );
    assert.equal((await run()).cached, true, 'the new answer is cached under the new digest');
  });
});

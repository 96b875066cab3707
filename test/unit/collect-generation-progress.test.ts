// Collect's generation says how far it has come (issue 23): on a slow model the panel sat on "Generating the
// first pair..." for minutes. The session reports the tokens so far and the tokens a second, from the streamed
// answer when the client streams (both protocols), else from each finished call's usage.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { LoopbackServer } from '../support/loopback-llm';
import { collect, type Asker } from '../../src/core/collect/session';
import { generationText, type GenerationProgress } from '../../src/core/collect/generate';
import { createLlm, type Llm } from '../../src/core/llm/client';
import type { ProviderKind } from '../../src/core/llm/types';
import { allowWritesUnder } from '../../src/core/write-guard';
import { workspace } from './revalidate-fixture';

const MODEL = 'llama3.1:8b';
/** About 240 characters each: 60 chunks of 4 characters, 20 ms apart, a little over a second a response. */
const brain = (req: { messages: { role: string; content: string }[] }) =>
  `${req.messages[0]!.content.includes('BRIEF') ? 'Brief' : 'Plain'} answer: ` + 'word '.repeat(46);

async function session(llm: Llm, ws: string): Promise<{ seen: GenerationProgress[]; asked: number }> {
  const seen: GenerationProgress[] = [];
  let atFirstAsk = -1;
  const asker: Asker = {
    scripted: true,
    ask: async () => {
      if (atFirstAsk < 0) atFirstAsk = seen.length;
      return undefined;
    },
  };
  await collect({
    userId: 'ada',
    file: join(ws, 'ada.prefs.jsonl'),
    fileName: 'ada.prefs.jsonl',
    root: ws,
    items: [{ kind: 'prompt', context: [{ role: 'user', content: 'How do I sort a list?' }] }],
    sources: [
      { label: 'brief', model: llm, system: 'Be BRIEF.' },
      { label: 'plain', model: llm, system: 'You are a helpful assistant.' },
    ],
    asker,
    seed: 1,
    temperature: 0,
    retestRate: 0,
    onGeneration: (g) => seen.push(g),
  });
  return { seen, asked: atFirstAsk };
}

describe('collect: generation progress', () => {
  const servers: LoopbackServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  for (const provider of ['ollama', 'openai'] as ProviderKind[])
    test(`${provider}: a slow stream says its tokens and tokens a second before the pair is shown`, async () => {
      const opts = { models: [MODEL], brain, chunkChars: 4, chunkIntervalMs: 20 };
      const server = provider === 'ollama' ? await startLoopbackOllama(opts) : await startLoopbackOpenAI(opts);
      servers.push(server);
      const { ws } = workspace();
      allowWritesUnder(ws);
      const llm = createLlm({ provider, baseUrls: [server.url], model: MODEL, concurrency: 2 }, { noCache: true });
      try {
        const { seen, asked } = await session(llm, ws);
        assert.equal(asked, seen.length, 'every progress event came before the pair was asked');
        const streaming = seen.filter((g) => g.finished === 0);
        assert.ok(streaming.length >= 3, `progress while the answers stream: ${JSON.stringify(seen)}`);
        for (let i = 1; i < streaming.length; i++) assert.ok(streaming[i]!.tokens >= streaming[i - 1]!.tokens);
        assert.ok(streaming.at(-1)!.tokens > 0);
        const last = seen.at(-1)!;
        assert.equal(last.finished, 2);
        assert.ok(last.tokensPerSecond !== undefined && last.tokensPerSecond > 0, JSON.stringify(last));
        assert.match(generationText(last), /^generating the responses: 2 of 2 done, \d+ tokens, \d+\.\d tokens\/s$/);
      } finally {
        await llm.dispose();
      }
    });

  test('an unstreamed answer is counted from its usage when each call ends', async () => {
    const server = await startLoopbackOllama({ models: [MODEL], brain, latencyMs: 1100 });
    servers.push(server);
    const { ws } = workspace();
    allowWritesUnder(ws);
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: MODEL, concurrency: 2, stream: false },
      { noCache: true },
    );
    try {
      const { seen } = await session(llm, ws);
      assert.deepEqual(
        seen.map((g) => g.finished),
        [1, 2],
      );
      assert.ok(seen[1]!.tokens > seen[0]!.tokens && seen[0]!.tokens > 0);
      assert.ok(seen[1]!.tokensPerSecond! > 0);
    } finally {
      await llm.dispose();
    }
  });

  test('the text before the speed is known', () => {
    assert.equal(
      generationText({ tokens: 12, finished: 0, elapsedMs: 400 }),
      'generating the responses: 0 of 2 done, 12 tokens',
    );
  });
});

// One answer cannot hold a run or its memory: a stream past 1 MiB is cut there and reported, and a
// structured answer that is complete but padded with whitespace is taken as soon as the padding starts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { MAX_ANSWER_CHARS } from '../../src/core/llm/answer-guard';
import { JUDGMENT_SCHEMA } from '../../src/core/method/schemas';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const ANSWER = '{"reasoning": "A is direct", "preference": "A"}';

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: answer limits`, () => {
    let server: LoopbackServer;
    let llm: Llm;
    let reply = '';
    const warnings: string[] = [];
    before(async () => {
      const opts = { models: [MODEL[kind]], brain: () => reply, chunkChars: 4096 };
      server = kind === 'ollama' ? await startLoopbackOllama(opts) : await startLoopbackOpenAI(opts);
      llm = createLlm(
        { provider: kind, baseUrls: [server.url], model: MODEL[kind], timeoutSeconds: 10 },
        { noCache: true, log: (level, m) => void (level === 'warn' && warnings.push(m)) },
      );
    });
    after(async () => {
      await llm.dispose();
      await server.close();
    });

    test('an answer of 5 MB that ignores the output cap is cut at 1 MiB and reported', async () => {
      reply = 'x'.repeat(5 * 1024 * 1024);
      // maxTokens large enough that the loopback does not cut it: a server that ignores caps.
      const r = await llm.chat({
        messages: [{ role: 'user', content: 'talk' }],
        temperature: 0,
        maxTokens: 10_000_000,
      });
      assert.equal(r.text.length, MAX_ANSWER_CHARS);
      assert.ok(
        warnings.some((w) => /passed 1 MiB and was cut/.test(w)),
        warnings.join('\n'),
      );
    });

    test('a complete JSON answer followed by whitespace is taken at once', async () => {
      reply = ANSWER + ' '.repeat(400_000);
      const r = await llm.chat({
        messages: [{ role: 'user', content: 'judge' }],
        schema: JUDGMENT_SCHEMA,
        temperature: 0,
        maxTokens: 10_000_000,
      });
      assert.equal(r.text, ANSWER);
      assert.deepEqual(r.json, { reasoning: 'A is direct', preference: 'A' });
    });

    test('whitespace inside an unfinished object is not mistaken for the end', async () => {
      reply = '{"reasoning": "' + ' '.repeat(2000) + 'done", "preference": "B"}';
      const r = await llm.chat({
        messages: [{ role: 'user', content: 'judge 2' }],
        schema: JUDGMENT_SCHEMA,
        temperature: 0,
        maxTokens: 10_000_000,
      });
      assert.deepEqual((r.json as { preference: string }).preference, 'B');
    });
  });
}

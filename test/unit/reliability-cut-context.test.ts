// Issue 20 (medium): a prompt that the client's own estimate puts well over the model's context is not
// sent. On an Ollama before 0.12.6 (no `truncate: false`) such prompts were sent, cut from the front
// without a word, and only the reply's prompt_eval_count showed it: 14 of them reached the server before a
// fit failed. Now a prompt estimated above 1.5 times num_ctx fails as a context-length error (which stops
// the run: judge.ts isFatal) and no request reaches the server; one nearer the line is still sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import { judgeOrder, isFatal } from '../../src/core/method/judge';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { samplePair } from '../support/pair-fixture';

const NUM_CTX = 2048;
/** A reply of about `tokens` tokens by the estimate (4 characters a token). */
const replyOf = (tokens: number) => ({ role: 'assistant' as const, content: 'word '.repeat(Math.round(tokens * 0.8)) });

describe('a prompt clearly over num_ctx, on an Ollama that would cut it silently', () => {
  let server: LoopbackServer;
  let llm: Llm;
  before(async () => {
    server = await startLoopbackOllama({
      models: ['llama3.1:8b'],
      ollamaVersion: '0.12.5',
      brain: () => JSON.stringify({ reasoning: 'r', preference: 'A' }),
    });
    llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b', numCtx: NUM_CTX, maxAttempts: 2 },
      { noCache: true, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
    );
  });
  after(async () => {
    await llm.dispose();
    await server.close();
  });

  test('is refused before it is sent, as a context-length error that stops the run', async () => {
    server.reset();
    const pair = samplePair({ chosen: replyOf(2 * NUM_CTX) });
    const err = await judgeOrder(llm, 'Judge.', pair, 'AB', { temperature: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof LlmError, String(err));
    assert.equal(err.kind, 'context-length');
    assert.equal(isFatal(err), true);
    assert.match(err.message, /well over the context of 2,048 \(num_ctx\) it would be sent with, so it was not sent/);
    // Nothing reached /api/chat, however many attempts the call was allowed.
    assert.equal(server.stats.chat, 0);
  });

  test('a prompt near the line is still sent (the server decides; a silent cut shows in the reply)', async () => {
    server.reset();
    const pair = samplePair({ chosen: replyOf(1.2 * NUM_CTX) });
    await assert.rejects(
      judgeOrder(llm, 'Judge.', pair, 'AB', { temperature: 0 }),
      /cut the prompt of the judge call from the front/,
    );
    assert.equal(server.stats.chat, 1);
  });
});

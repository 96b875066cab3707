// A run whose first calls all fail the same way stops, instead of recording every call as failed (or, before
// the failure/verdict split, scoring every order wrong and exiting 0).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, EARLY_STOP_AFTER } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import { judgePair } from '../../src/core/method/judge';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOpenAI } from '../support/loopback-openai';

describe('early stop', () => {
  test(`the first ${EARLY_STOP_AFTER} calls fail alike: the run stops with one error saying so; later calls are not sent`, async () => {
    const server = await startLoopbackOpenAI({
      models: ['m'],
      faultFor: () => ({
        type: 'server-error',
        status: 400,
        message: "Invalid value for 'response_format': proxy says no",
      }),
    });
    const llm = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'm', concurrency: 2 },
      { noCache: true },
    );
    try {
      const pairs = Array.from({ length: 20 }, (_, i) => samplePair({ pairId: `p${i}` }));
      let stop: unknown;
      for (const p of pairs) {
        try {
          await judgePair(llm, DEFAULT_PROMPTS.judge, p, { temperature: 0 });
        } catch (err) {
          stop = err;
          break;
        }
      }
      assert.ok(stop instanceof LlmError && stop.stopsRun, String(stop));
      assert.match((stop as Error).message, /The first 10 calls all failed the same way, so the run stops here/);
      const sent = server.stats.chat;
      assert.ok(sent <= EARLY_STOP_AFTER + 2, `${sent} calls sent`);
      await assert.rejects(
        llm.chat({ messages: [{ role: 'user', content: 'more' }], temperature: 0 }),
        (e: unknown) => e === stop,
      );
      assert.equal(server.stats.chat, sent, 'nothing more is sent');
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('failures of different kinds, or one success first, do not stop a run', async () => {
    let n = 0;
    const server = await startLoopbackOpenAI({
      models: ['m'],
      brain: () => 'A',
      faultFor: () => (n++ === 0 ? undefined : { type: 'server-error', status: 400, message: 'bad' }),
    });
    const llm = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'm', concurrency: 1 },
      { noCache: true },
    );
    try {
      await llm.chat({ messages: [{ role: 'user', content: 'ok' }], temperature: 0 });
      for (let i = 0; i < EARLY_STOP_AFTER + 2; i++) {
        await assert.rejects(
          llm.chat({ messages: [{ role: 'user', content: `x${i}` }], temperature: 0 }),
          (e: unknown) => e instanceof LlmError && !e.stopsRun,
        );
      }
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});

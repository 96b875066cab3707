// Busy servers and empty accounts, through the real clients and the whole stack.
// - Ollama past its queue (OLLAMA_MAX_QUEUE; server/sched.go) answers 503 "server busy, please try again.
//   maximum pending requests exceeded" with no Retry-After; vLLM and proxies answer 503 when overloaded. That
//   is a reason to send fewer calls and wait, like a 429, not to take the only server out of the pool.
// - OpenAI's 429 insufficient_quota, and a 402 from a paid gateway, do not pass with waiting: stop at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import { isFatal } from '../../src/core/method/judge';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const ask = (i: number) => ({
  messages: [{ role: 'user' as const, content: `Pick A or B (${i}).` }],
  temperature: 0,
  purpose: 'judge',
});
const BUSY = 'server busy, please try again.  maximum pending requests exceeded';

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: busy and out of quota`, () => {
    let server: LoopbackServer;
    before(async () => {
      server =
        kind === 'ollama'
          ? await startLoopbackOllama({ brain: () => 'A' })
          : await startLoopbackOpenAI({ brain: () => 'A' });
    });
    after(() => server.close());
    const make = () =>
      createLlm(
        { provider: kind, baseUrls: [server.url], model: MODEL[kind], concurrency: 8, timeoutSeconds: 5 },
        { noCache: true, retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 }, coolDownMs: 60_000 },
      );

    test('503 "server busy": retried after a wait, with fewer calls at once, and the only server stays in the pool', async () => {
      server.reset();
      server.options.latencyMs = 5;
      const llm = make();
      try {
        for (let i = 0; i < 4; i++) server.inject({ type: 'server-error', status: 503, message: BUSY });
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => llm.chat(ask(i))));
        assert.equal(results.length, 8, 'every call answered');
        const ep = llm.endpoints()[0]!;
        assert.ok(ep.limit < 8, `the limit shrank (${ep.limit})`);
        assert.equal(llm.counters().errors, 0);
        // A server taken out with a 60 s cool-down would have made this take a minute; it is still usable now.
        assert.equal((await llm.chat(ask(99))).text, 'A');
      } finally {
        server.options.latencyMs = 0;
        await llm.dispose();
      }
    });

    test(`${kind === 'openai' ? '429 insufficient_quota' : '402'}: not retried, a message that says what to do, and fatal for a run`, async () => {
      server.reset();
      const llm = make();
      try {
        server.inject({ type: 'quota' });
        const err = await llm.chat(ask(1)).then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof LlmError);
        assert.equal(err.kind, 'quota');
        assert.equal(server.stats.chat, 1, 'sent once');
        assert.match(err.message, /out of credit or over its quota/);
        assert.ok(isFatal(err), 'a run stops on it instead of scoring every call wrong');
      } finally {
        await llm.dispose();
      }
    });
  });
}

describe('a server that takes long to answer', () => {
  test('after the slow-call threshold the run says it is waiting for the server (once, not per call)', async () => {
    const server = await startLoopbackOllama({ brain: () => 'A', latencyMs: 250 });
    const warnings: string[] = [];
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' },
      { noCache: true, slowCallMs: 100, log: (level, m) => void (level === 'warn' && warnings.push(m)) },
    );
    try {
      await Promise.all([llm.chat(ask(1)), llm.chat(ask(2)), llm.chat(ask(3))]);
      const waiting = warnings.filter((w) =>
        /waiting for the server at .*: no answer for 0 s \(loading the model/.test(w),
      );
      assert.equal(waiting.length, 1, warnings.join('\n'));
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});

describe('Ollama with one slot, a short queue and a model to load (OLLAMA_NUM_PARALLEL=1, OLLAMA_MAX_QUEUE)', () => {
  test('16 calls at concurrency 8: the queue overflows into 503s, the client backs off and every call is answered once', async () => {
    const server = await startLoopbackOllama({
      brain: () => 'A',
      slots: 1,
      maxQueue: 2,
      loadDelayMs: 150,
      latencyMs: 20,
    });
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b', concurrency: 8 },
      { noCache: true, retry: { baseDelayMs: 20, maxDelayMs: 200, random: () => 0.5 }, slowCallMs: 100 },
    );
    try {
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => llm.chat(ask(i))));
      assert.equal(results.length, 16);
      assert.ok(server.stats.busyRefusals > 0, 'the queue limit was reached (otherwise this test shows nothing)');
      assert.equal(server.stats.completed - server.stats.busyRefusals, 16, 'each call answered once');
      assert.ok(llm.endpoints()[0]!.limit < 8, `concurrency shrank (${llm.endpoints()[0]!.limit})`);
      assert.equal(llm.counters().errors, 0);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});

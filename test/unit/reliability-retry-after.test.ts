// Retry-After (issue 20): a server that asks for a wait far beyond what a run waits (RetryPolicy
// maxRetryAfterMs) ends the call at once, with the server's wait in the message and the run stopped
// resumable; it is not retried early and then again, each time after the capped wait. A wait that is
// kept but long is said as it starts: no run waits without a message. Both protocols, through the
// real clients (429 with Retry-After in seconds; OpenAI also sends retry-after-ms).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type LogLevel } from '../../src/core/llm/client';
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

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: Retry-After`, () => {
    let server: LoopbackServer;
    const logs: { level: LogLevel; message: string }[] = [];
    before(async () => {
      server =
        kind === 'ollama'
          ? await startLoopbackOllama({ brain: () => 'A' })
          : await startLoopbackOpenAI({ brain: () => 'A' });
    });
    after(() => server.close());
    // A run waits at most 2 s here (120 s by default); waits past 100 ms are said (5 s by default).
    const make = () =>
      createLlm(
        { provider: kind, baseUrls: [server.url], model: MODEL[kind], timeoutSeconds: 5 },
        {
          noCache: true,
          retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000, random: () => 0.5 },
          waitNoticeMs: 100,
          log: (level, message) => logs.push({ level, message }),
        },
      );

    test('a Retry-After of an hour: the call fails at once naming the wait, and the run stops resumable', async () => {
      server.reset();
      const llm = make();
      try {
        for (let i = 0; i < 5; i++) server.inject({ type: 'rate-limit', retryAfterSeconds: 3600 });
        const err = await llm.chat(ask(1)).then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof LlmError);
        assert.equal(server.stats.chat, 1, 'retried before the server said it would answer');
        assert.equal(err.kind, 'rate-limit');
        assert.match(
          err.message,
          /asked to wait 60 min before the next request \(Retry-After on a 429\), longer than the 2\.0 s a run waits/,
        );
        assert.match(err.message, /run the same command again after that to resume/);
        assert.ok(isFatal(err), 'a run must stop on it (incomplete), not score the call as a wrong answer');
      } finally {
        await llm.dispose();
      }
    });

    test('a Retry-After within the cap but long is waited for, and said as the wait starts', async () => {
      server.reset();
      logs.length = 0;
      const llm = make();
      try {
        server.inject({ type: 'rate-limit', retryAfterMs: 300 });
        assert.equal((await llm.chat(ask(2))).text, 'A');
        assert.equal(server.stats.chat, 2);
        const said = logs.filter(
          (l) =>
            l.level === 'warn' &&
            /^waiting 0\.3 s before retrying \(the server asked for it with Retry-After\)/.test(l.message),
        );
        assert.equal(said.length, 1, JSON.stringify(logs));
      } finally {
        await llm.dispose();
      }
    });
  });
}

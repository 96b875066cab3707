// Issue 20, class 3: a protocol-invalid reply (no message; a message whose content is null) is a failed
// call on both protocols, streamed or not: the judge's verdict is `failed`, never unparseable (which would
// count as a wrong answer). Before, Ollama's such reply read as an empty answer, scored wrong.
// Ollama always sends `message` with a string `content` (api.ChatResponse); OpenAI's chat completion has
// `choices[].message.content`, null only with a refusal or a tool call, neither of which is a verdict.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm } from '../../src/core/llm/client';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { judgeOrder, orderFailed, orderUnparseable } from '../../src/core/method/judge';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import { samplePair } from '../support/pair-fixture';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const ATTEMPTS = 2;

describe('a protocol-invalid reply is a failed call', () => {
  const servers: Partial<Record<ServerProviderKind, LoopbackServer>> = {};
  const verdict = () => JSON.stringify({ reasoning: 'The one-liner works.', preference: 'A' });
  before(async () => {
    servers.ollama = await startLoopbackOllama({ brain: verdict, models: [MODEL.ollama] });
    servers.openai = await startLoopbackOpenAI({ brain: verdict, models: [MODEL.openai] });
  });
  after(async () => {
    await servers.ollama?.close();
    await servers.openai?.close();
  });

  for (const provider of ['ollama', 'openai'] as const) {
    for (const stream of [true, false]) {
      for (const shape of ['no-message', 'null-content'] as const) {
        test(`${provider}, ${stream ? 'streamed' : 'whole'}, ${shape}: failed, not unparseable`, async () => {
          const server = servers[provider]!;
          server.reset();
          server.options.faultFor = () => ({ type: 'protocol-invalid', shape });
          const llm = createLlm(
            {
              provider,
              baseUrls: [server.url],
              model: MODEL[provider],
              stream,
              maxAttempts: ATTEMPTS,
              timeoutSeconds: 5,
              idleTimeoutSeconds: 5,
            },
            { retry: { baseDelayMs: 1, maxDelayMs: 2, random: () => 0.5 }, coolDownMs: 1 },
          );
          try {
            const v = await judgeOrder(llm, 'Judge.', samplePair(), 'AB', { temperature: 0 });
            assert.equal(v.failed, true, JSON.stringify(v));
            assert.equal(orderFailed(v), true);
            assert.equal(orderUnparseable(v), false);
            assert.equal(v.preference, null);
            assert.match(v.error ?? '', /could not be read \(a (?:reply|message|stream)/);
            // Retried as a bad reply is, then given up: every attempt reached the server.
            assert.equal(server.stats.chat, ATTEMPTS);
            // The same server answering properly gives a verdict: the fault alone made the failure.
            server.options.faultFor = undefined;
            const ok = await judgeOrder(llm, 'Judge.', samplePair(), 'BA', { temperature: 0 });
            assert.equal(ok.preference, 'A');
          } finally {
            server.options.faultFor = undefined;
            await llm.dispose();
          }
        });
      }
    }
  }

  test('judge on the command line: both calls failed is no verdict, exit 1, said in one line', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { cli } = await import('./revalidate-fixture');
    const dir = mkdtempSync(join(tmpdir(), 'sm-judge-failed-'));
    writeFileSync(
      join(dir, 'a.prefs.jsonl'),
      JSON.stringify({ user_id: 'ada', pair_id: 'a1', context: 'q?', chosen: 'yes', rejected: 'no' }) + '\n',
    );
    const server = servers.ollama!;
    server.options.faultFor = () => ({ type: 'protocol-invalid', shape: 'null-content' });
    try {
      const c = cli(dir);
      assert.equal(
        await c.run('judge', 'a.prefs.jsonl', '--line', '1', '--base-url', server.url, '--no-cache'),
        1,
        c.err(),
      );
      assert.match(
        c.err(),
        /judge: 2 of 2 call\(s\) failed .*no verdict for order AB and order BA\. Run the same command again\./,
      );
    } finally {
      server.options.faultFor = undefined;
    }
  });
});

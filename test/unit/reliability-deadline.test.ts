// A server that never stops streaming: every chunk arrives well inside the idle timeout, so neither the
// first-byte nor the idle timer fires, and before the per-call deadline one such call held an evaluation
// for as long as the server kept going. The deadline ends the request (the server sees the client close
// the connection), fails it as a timeout that is not retried, not cached, and not scored as an answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { judgeOrder } from '../../src/core/method/judge';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const ask = { messages: [{ role: 'user' as const, content: 'Pick A or B.' }], temperature: 0, purpose: 'judge' };
const DEADLINE_S = 0.6;
/** Generous: what is checked is that the call ends near its deadline, not after the server's stream. */
const SLACK_MS = 2500;
/** Without a deadline these calls never end: fail them instead of hanging the suite. */
const ENDS = { timeout: 15_000 };

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: the per-call deadline`, () => {
    let server: LoopbackServer;
    let llm: Llm;
    let cacheDir: string;
    before(async () => {
      const brain = () => JSON.stringify({ reasoning: 'short', preference: 'A' });
      server =
        kind === 'ollama'
          ? await startLoopbackOllama({ brain, models: [MODEL.ollama] })
          : await startLoopbackOpenAI({ brain, models: [MODEL.openai] });
      cacheDir = mkdtempSync(join(tmpdir(), 'sm-deadline-'));
      // Idle 0.3 s against a chunk every 20 ms: only the deadline can end the stream.
      llm = createLlm(
        {
          provider: kind,
          baseUrls: [server.url],
          model: MODEL[kind],
          timeoutSeconds: 5,
          idleTimeoutSeconds: 0.3,
          callDeadlineSeconds: DEADLINE_S,
          numCtx: 8192,
        },
        { cacheDir, retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 }, coolDownMs: 5 },
      );
    });
    // The server hears of a closed connection a moment after the client has moved on: count from quiet.
    const fresh = async () => {
      await until(() => server.stats.inFlight === 0);
      server.reset();
    };
    after(async () => {
      await llm.dispose();
      await server.close();
      rmSync(cacheDir, { recursive: true, force: true });
    });

    test('an endless stream fails with the deadline timeout, once, and the connection is closed', ENDS, async () => {
      await fresh();
      server.inject({ type: 'endless-stream', intervalMs: 20 });
      const t0 = Date.now();
      const err = await llm.chat(ask).then(
        () => assert.fail('an endless stream cannot succeed'),
        (e: unknown) => e,
      );
      const took = Date.now() - t0;
      assert.ok(err instanceof LlmError, String(err));
      assert.equal(err.kind, 'timeout');
      assert.match(
        err.message,
        /kept streaming for 0\.6 s without finishing the judge call .*; the per-call deadline is 0\.6 s/,
      );
      assert.ok(took >= DEADLINE_S * 1000 - 50, `ended after ${took} ms, before its deadline`);
      assert.ok(took < DEADLINE_S * 1000 + SLACK_MS, `ended after ${took} ms`);
      // Not retried: the same prompt and seed loop again, and each attempt would cost the whole budget.
      assert.equal(server.stats.chat, 1);
      await until(() => server.stats.clientAborts === 1);
      assert.equal(server.stats.inFlight, 0);
    });

    test(
      'the timed-out call is not cached: the same call asks the server again, and a slow stream that ends is answered',
      ENDS,
      async () => {
        await fresh();
        server.inject({ type: 'endless-stream' });
        await assert.rejects(llm.chat(ask), (e: unknown) => e instanceof LlmError && e.kind === 'timeout');
        // Chunks spread in time, and the stream ends inside the deadline: that call is untouched.
        server.options.chunkIntervalMs = 30;
        try {
          const r = await llm.chat(ask);
          assert.equal(r.cached, false);
          assert.match(r.text, /preference/);
        } finally {
          server.options.chunkIntervalMs = undefined;
        }
        assert.equal(server.stats.chat, 2);
      },
    );

    test('a judged order that hits the deadline is a failed call, not an answer', ENDS, async () => {
      await fresh();
      server.inject({ type: 'endless-stream' });
      const pair = samplePair({ pairId: `deadline-${kind}` });
      const v = await judgeOrder(llm, DEFAULT_PROMPTS.judge, pair, 'AB', { temperature: 0 });
      assert.equal(v.preference, null);
      assert.equal(v.correct, false);
      assert.match(v.error ?? '', /per-call deadline is 0\.6 s/);
    });
  });
}

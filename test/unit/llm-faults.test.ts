// Every server failure the loopback servers can inject, through the real clients and the whole
// stack (createLlm): what is retried, what is not, how long the retry waits, and what message
// a researcher reads when it finally fails.
// Speed is for `npm run bench`, not for tests: nothing here asserts that something was fast. The
// only clock readings are lower bounds on a wait the client owes the server (Retry-After), which a
// slow machine can only lengthen; everything else waits for conditions and checks counts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createLlm, type Llm, type LlmConfig, type LlmOptions } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
const ask = { messages: [{ role: 'user' as const, content: 'Pick A or B.' }], temperature: 0, purpose: 'judge' };

function llmFor(kind: ServerProviderKind, url: string, config: Partial<LlmConfig> = {}, options: LlmOptions = {}): Llm {
  return createLlm(
    { provider: kind, baseUrls: [url], model: MODEL[kind], timeoutSeconds: 3, idleTimeoutSeconds: 3, ...config },
    { retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 }, coolDownMs: 5, ...options },
  );
}

async function rejection(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LlmError, `expected an LlmError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

/** Waits for a condition; the deadline only keeps a broken test from hanging. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const LONG = 'The first response answers the question directly and briefly, which this user values. ';

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: faults`, () => {
    let server: LoopbackServer;
    let llm: Llm;
    before(async () => {
      server =
        kind === 'ollama'
          ? await startLoopbackOllama({ brain: () => LONG })
          : await startLoopbackOpenAI({ brain: () => LONG });
      llm = llmFor(kind, server.url);
    });
    after(async () => {
      await llm.dispose();
      await server.close();
    });
    const fresh = () => {
      server.reset();
      llm.resetCounters();
    };

    test('429 is retried after the Retry-After the server asked for', async () => {
      fresh();
      server.inject({ type: 'rate-limit', retryAfterMs: 250 });
      const r = await llm.chat(ask);
      assert.equal(r.text, LONG);
      assert.equal(server.stats.chat, 2);
      const gap = server.chats[1]!.receivedAt - server.chats[0]!.receivedAt;
      assert.ok(gap >= 250, `retried after ${gap} ms, before the 250 ms the server asked for`);
      assert.equal(llm.counters().retries, 1);
    });

    test('500 is retried; a server that keeps failing fails after maxAttempts', async () => {
      fresh();
      server.inject({ type: 'server-error' });
      assert.equal((await llm.chat(ask)).text, LONG);
      assert.equal(server.stats.chat, 2);

      const three = llmFor(kind, server.url, { maxAttempts: 3 });
      server.reset();
      server.inject(
        { type: 'server-error' },
        { type: 'server-error', status: 503 },
        { type: 'server-error' },
        { type: 'server-error' },
      );
      const err = await rejection(three.chat(ask));
      await three.dispose();
      assert.equal(err.kind, 'server');
      assert.equal(err.attempts, 3);
      assert.equal(server.stats.chat, 3);
      assert.equal(three.counters().errors, 1);
    });

    test('400, 401 and 404 are never retried', async () => {
      const cases = [
        [{ type: 'server-error', status: 400, message: 'invalid options' }, 'bad-request'],
        [{ type: 'unauthorized' }, 'auth'],
        [{ type: 'model-not-found' }, 'not-found'],
      ] as const;
      for (const [fault, kind] of cases) {
        fresh();
        server.inject(fault, fault);
        const err = await rejection(llm.chat(ask));
        assert.equal(server.stats.chat, 1, `${fault.type} was retried`);
        assert.equal(err.kind, kind);
        assert.equal(err.retryable, false);
        assert.equal(err.attempts, 1);
        assert.equal(err.expected, true, 'expected failures are reported without a stack');
      }
    });

    test('a connection reset before the response is retried', async () => {
      fresh();
      server.inject({ type: 'reset-before-response' });
      assert.equal((await llm.chat(ask)).text, LONG);
      assert.equal(server.stats.chat, 2);
    });

    test('a connection reset mid-stream is retried and the answer is whole', async () => {
      fresh();
      server.inject({ type: 'reset-mid-stream', afterChunks: 2 });
      const r = await llm.chat(ask);
      assert.equal(r.text, LONG);
      assert.equal(server.stats.chat, 2);
      assert.equal(llm.counters().retries, 1);
    });

    test('an error event in the middle of a stream is retried', async () => {
      fresh();
      server.inject({ type: 'error-mid-stream', afterChunks: 2 });
      assert.equal((await llm.chat(ask)).text, LONG);
      assert.equal(server.stats.chat, 2);
      const once = llmFor(kind, server.url, { maxAttempts: 1 });
      server.inject({ type: 'error-mid-stream', message: 'CUDA error: out of memory' });
      const err = await rejection(once.chat(ask));
      await once.dispose();
      assert.equal(err.kind, 'server');
      assert.match(err.message, /CUDA error: out of memory/);
    });

    for (const stream of [true, false]) {
      test(`malformed JSON (${stream ? 'in the stream' : 'whole body'}) is retried`, async () => {
        const l = llmFor(kind, server.url, { stream });
        fresh();
        server.inject({ type: 'malformed-json' });
        try {
          assert.equal((await l.chat(ask)).text, LONG);
          assert.equal(server.stats.chat, 2);
          const once = llmFor(kind, server.url, { stream, maxAttempts: 1 });
          server.inject({ type: 'malformed-json' });
          const err = await rejection(once.chat(ask));
          await once.dispose();
          assert.equal(err.kind, 'parse');
          assert.match(err.message, /could not be read/);
        } finally {
          await l.dispose();
        }
      });
    }

    test('first-byte timeout: a server that says nothing is abandoned and retried', async () => {
      const l = llmFor(kind, server.url, { timeoutSeconds: 0.3 });
      fresh();
      // The brain runs when the server ends its silence: the slow exchange must never get that far.
      let answered = 0;
      server.options.brain = () => {
        answered++;
        return LONG;
      };
      server.inject({ type: 'slow-first-byte', ms: 5000 });
      try {
        assert.equal((await l.chat(ask)).text, LONG);
        assert.equal(server.stats.chat, 2, 'the answer came from the retry');
        assert.equal(answered, 1, 'the timed-out attempt was not cut short: the client waited for its answer');
      } finally {
        server.options.brain = () => LONG;
      }
      await until(() => server.stats.clientAborts === 1);
      const once = llmFor(kind, server.url, { timeoutSeconds: 0.2, maxAttempts: 1 });
      server.inject({ type: 'slow-first-byte', ms: 5000 });
      const err = await rejection(once.chat(ask));
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /raise --timeout/);
      await once.dispose();
      await l.dispose();
    });

    test('a slow first byte within the first-byte timeout is not cut by the idle timeout', async () => {
      const l = llmFor(kind, server.url, { timeoutSeconds: 3, idleTimeoutSeconds: 0.15 });
      fresh();
      server.inject({ type: 'slow-first-byte', ms: 400 });
      assert.equal((await l.chat(ask)).text, LONG);
      assert.equal(server.stats.chat, 1);
      await l.dispose();
    });

    test('idle timeout: a stream that stalls is abandoned and retried', async () => {
      const l = llmFor(kind, server.url, { idleTimeoutSeconds: 0.2 });
      fresh();
      server.inject({ type: 'stall-mid-stream', afterChunks: 2 });
      assert.equal((await l.chat(ask)).text, LONG);
      assert.equal(server.stats.chat, 2);
      await until(() => server.stats.clientAborts === 1);
      const once = llmFor(kind, server.url, { idleTimeoutSeconds: 0.1, maxAttempts: 1 });
      server.inject({ type: 'stall-mid-stream', afterChunks: 1 });
      const err = await rejection(once.chat(ask));
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /stalled/);
      await once.dispose();
      await l.dispose();
    });

    test('context length exceeded: says which call and how long, not retried', async () => {
      fresh();
      server.options.contextLength = 50;
      try {
        const big = { ...ask, messages: [{ role: 'user' as const, content: 'word '.repeat(200) }] };
        const err = await rejection(llm.chat(big));
        assert.equal(err.kind, 'context-length');
        assert.equal(server.stats.chat, 1);
        assert.match(err.message, /judge call/);
        // The sizes the server named (OpenAI/vLLM wording), else our estimate (Ollama names none).
        assert.match(
          err.message,
          kind === 'openai' ? /\(2\d\d tokens against a context of 50\)/ : /about 2\d\d tokens, 1,000 characters/,
        );
      } finally {
        server.options.contextLength = undefined;
      }
    });

    test('model not found names the model and, for Ollama, the pull command', async () => {
      fresh();
      server.inject({ type: 'model-not-found' });
      const err = await rejection(llm.chat(ask));
      assert.equal(err.kind, 'not-found');
      if (kind === 'ollama') assert.match(err.message, /`ollama pull llama3\.1:8b`/);
      else assert.match(err.message, /gpt-4o-mini/);
    });

    test('connection refused says what to start', async () => {
      const port = await freePort();
      const url = kind === 'ollama' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1`;
      const l = llmFor(kind, url, { maxAttempts: 2 });
      const err = await rejection(l.chat(ask));
      await l.dispose();
      assert.equal(err.kind, 'connection');
      assert.equal(err.attempts, 2, 'connection errors are retried');
      if (kind === 'ollama') assert.match(err.message, /Is Ollama running\? Start it with `ollama serve`/);
      else assert.match(err.message, /Check --base-url \/ OPENAI_BASE_URL/);
      assert.match(err.message, /connection refused/);
    });
  });
}

describe('openai: keys and Retry-After in seconds', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOpenAI({ apiKey: 'sk-right-key-0000' });
  });
  after(() => server.close());

  test('401 talks about the API key and never prints it', async () => {
    const lines: string[] = [];
    const llm = llmFor('openai', server.url, {}, { apiKey: 'sk-wrong-key-9999', log: (_l, m) => lines.push(m) });
    const err = await rejection(llm.chat(ask));
    await llm.dispose();
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /API key/);
    assert.match(err.message, /OPENAI_API_KEY/);
    assert.equal(server.stats.chat, 1);
    for (const text of [err.message, err.detail ?? '', ...lines]) assert.ok(!text.includes('sk-wrong-key-9999'));
  });

  test('Retry-After given in whole seconds is honoured', async () => {
    server.reset();
    const llm = llmFor('openai', server.url, {}, { apiKey: 'sk-right-key-0000' });
    server.inject({ type: 'rate-limit', retryAfterSeconds: 1 });
    await llm.chat(ask);
    await llm.dispose();
    const gap = server.chats[1]!.receivedAt - server.chats[0]!.receivedAt;
    assert.ok(gap >= 1000, `retried after ${gap} ms`);
  });
});

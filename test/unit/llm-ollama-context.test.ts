// Ollama and the context: from the runner's source (runner/ollamarunner, NewSequence), a prompt longer than
// num_ctx is cut from the FRONT with HTTP 200 (the system message with the instructions, the persona and the
// demonstrations is what goes), and prompt_eval_count is the length after the cut; the default num_ctx is
// 4096 from 0.6.7; from 0.12.6, `truncate: false` makes the overflow a 400 ("the input length exceeds the
// context length"). The loopback Ollama reproduces all three; these tests fail without the client's sizing,
// the truncate flag and the prompt_eval_count check.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { autoNumCtx, createLlm, MIN_AUTO_NUM_CTX, type LlmConfig } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import { versionAtLeast } from '../../src/core/llm/ollama-provider';
import { parseNumCtx } from '../../src/core/workspace/settings';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';

const PERSONA = 'PERSONA-MARKER: this user wants one-line answers. ';
// About 6,000 tokens (chars/4): longer than Ollama's default context of 4,096.
const long = () => [
  { role: 'system' as const, content: PERSONA + 'Instructions and demonstrations. '.repeat(720) },
  { role: 'user' as const, content: 'Which reply, A or B?' },
];

describe('Ollama: no prompt is silently cut', () => {
  let server: LoopbackServer;
  const seen: BrainRequest[] = [];
  before(async () => {
    server = await startLoopbackOllama({ brain: (r) => (seen.push(r), 'A') });
  });
  after(() => server.close());
  afterEach(() => {
    seen.length = 0;
    server.reset();
    server.options.ollamaVersion = undefined;
  });
  const llm = (config: Partial<LlmConfig> = {}) =>
    createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b', timeoutSeconds: 5, ...config },
      { noCache: true, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
    );

  test('auto: one num_ctx sized for the run is sent on every call, and the model sees the whole prompt', async () => {
    const l = llm();
    try {
      const plan = await l.sizeContext([{ messages: long(), temperature: 0 }]);
      assert.ok(plan && plan.numCtx >= MIN_AUTO_NUM_CTX && plan.numCtx % 1024 === 0, JSON.stringify(plan));
      await l.chat({ messages: long(), temperature: 0 });
      await l.chat({ messages: [{ role: 'user', content: 'short' }], temperature: 0 });
      const sent = server.chats.map((c) => (c.body['options'] as Record<string, unknown>)['num_ctx']);
      assert.deepEqual(
        sent,
        [plan.numCtx, plan.numCtx],
        'the same value on every call: a change of options reloads the model',
      );
      assert.ok(seen[0]!.messages[0]!.content.startsWith(PERSONA), 'the system message arrived whole');
    } finally {
      await l.dispose();
    }
  });

  test('auto without sizeContext: the first call sizes it (at least 8192)', async () => {
    const l = llm();
    try {
      await l.chat({ messages: long(), temperature: 0 });
      assert.equal((server.chats[0]!.body['options'] as Record<string, unknown>)['num_ctx'], MIN_AUTO_NUM_CTX);
      assert.ok(seen[0]!.messages[0]!.content.startsWith(PERSONA));
    } finally {
      await l.dispose();
    }
  });

  test('from 0.12.6, truncate:false turns an overflow into the named context-length error, sent once', async () => {
    // Over num_ctx, but within 1.5 times it: sent (one clearly over is refused unsent: reliability-cut-context.test.ts).
    const l = llm({ numCtx: 4096 });
    try {
      await assert.rejects(
        l.chat({ messages: long(), temperature: 0, purpose: 'judge' }),
        (err: unknown) => err instanceof LlmError && err.kind === 'context-length' && /too long/.test(err.message),
      );
      assert.equal(server.chats.length, 1, 'not retried');
      assert.equal(server.chats[0]!.body['truncate'], false);
      assert.equal(seen.length, 0, 'the model never answered');
    } finally {
      await l.dispose();
    }
  });

  test('an older Ollama cuts the prompt silently: the low prompt_eval_count is caught and named', async () => {
    server.options.ollamaVersion = '0.12.5';
    const l = llm({ numCtx: 4096 });
    try {
      await assert.rejects(l.chat({ messages: long(), temperature: 0, purpose: 'judge' }), (err: unknown) => {
        assert.ok(err instanceof LlmError && err.kind === 'context-length', String(err));
        assert.match(
          err.message,
          /cut the prompt of the judge call from the front: it read 4,096 of about [\d,]+ tokens \(num_ctx 4,096\)/,
        );
        return true;
      });
      assert.equal(server.chats[0]!.body['truncate'], undefined, 'an old server is not sent a flag it does not know');
      assert.ok(
        !seen[0]!.messages.some((m) => m.content.includes('PERSONA-MARKER')),
        'the loopback did cut the front, as Ollama does',
      );
    } finally {
      await l.dispose();
    }
  });

  test('a prompt that fits passes the check', async () => {
    server.options.ollamaVersion = '0.12.5';
    const l = llm({ numCtx: 8192 });
    try {
      const r = await l.chat({ messages: long(), temperature: 0 });
      assert.equal(r.text, 'A');
    } finally {
      await l.dispose();
    }
  });
});

describe('num_ctx values', () => {
  test('auto: at least 8192, a quarter of headroom in steps of 1024, at most the trained length', () => {
    assert.equal(autoNumCtx(100, undefined), 8192);
    assert.equal(autoNumCtx(10_000, undefined), 13_312);
    assert.equal(autoNumCtx(10_000, 8192), 8192);
    assert.equal(autoNumCtx(100, 4096), 4096);
  });
  test('settings and flags: auto or a whole number from 256', () => {
    assert.equal(parseNumCtx('auto'), 'auto');
    assert.equal(parseNumCtx(16384), 16384);
    assert.equal(parseNumCtx('16384'), 16384);
    for (const bad of ['big', 0, 100, 1.5, -4096, '', null]) assert.equal(parseNumCtx(bad), undefined, String(bad));
  });
  test('versions compare numerically', () => {
    assert.ok(versionAtLeast('0.12.10', '0.12.6'));
    assert.ok(versionAtLeast('0.12.6', '0.12.6'));
    assert.ok(!versionAtLeast('0.12.5', '0.12.6'));
    assert.ok(versionAtLeast('v0.13.0-rc1', '0.12.6'));
    assert.ok(!versionAtLeast(undefined, '0.12.6'));
  });
});

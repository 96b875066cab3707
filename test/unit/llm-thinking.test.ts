// Reasoning models (Qwen3, DeepSeek-R1) put their thinking in `<think>` blocks inside the content when the
// server does not split it out, and that thinking often drafts an answer of its own. The judge must read the
// answer after the thinking, keep the thinking apart, and call an answer that never left its thinking
// unparseable. Before this, the tolerant parser found the draft's {"preference": ...} inside the thinking.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { splitThinking } from '../../src/core/llm/thinking';
import { judgeOrder } from '../../src/core/method/judge';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

describe('splitThinking', () => {
  test('closed blocks are taken out; the answer is what is left', () => {
    assert.deepEqual(splitThinking('<think>\nhmm, B?\n</think>\n\n{"preference": "A"}'), {
      answer: '{"preference": "A"}',
      thinking: 'hmm, B?',
    });
    assert.deepEqual(splitThinking('<think>one</think>x<think>two</think>y'), { answer: 'xy', thinking: 'one\n\ntwo' });
    assert.deepEqual(splitThinking('<thinking>t</thinking>ok'), { answer: 'ok', thinking: 't' });
  });
  test('an unclosed block is all thinking; a lone close ends a block the template opened', () => {
    assert.deepEqual(splitThinking('<think>still thinking {"preference": "B"'), {
      answer: '',
      thinking: 'still thinking {"preference": "B"',
    });
    assert.deepEqual(splitThinking('drafting...</think>{"preference": "A"}'), {
      answer: '{"preference": "A"}',
      thinking: 'drafting...',
    });
  });
  test('text without blocks is left exactly as it is', () => {
    assert.deepEqual(splitThinking('  {"preference": "A"} '), { answer: '  {"preference": "A"} ' });
  });
});

const pair = samplePair();

const MODEL: Record<ServerProviderKind, string> = { ollama: 'qwen3:30b-a3b', openai: 'qwen3' };

for (const kind of ['ollama', 'openai'] as const) {
  describe(`${kind}: a thinking model's answer`, () => {
    let server: LoopbackServer;
    let llm: Llm;
    let reply = '';
    before(async () => {
      const opts = { models: [MODEL[kind]], brain: () => reply };
      server = kind === 'ollama' ? await startLoopbackOllama(opts) : await startLoopbackOpenAI(opts);
      llm = createLlm(
        { provider: kind, baseUrls: [server.url], model: MODEL[kind], timeoutSeconds: 5 },
        { noCache: true },
      );
    });
    after(async () => {
      await llm.dispose();
      await server.close();
    });

    test('the verdict comes from the answer, not from the draft in the thinking, which is kept apart', async () => {
      reply =
        '<think>Maybe {"reasoning": "draft", "preference": "B"}? No: the user wants it short.</think>\n{"reasoning": "A is direct", "preference": "A"}';
      const v = await judgeOrder(llm, DEFAULT_PROMPTS.judge, pair, 'AB', { temperature: 0 });
      assert.equal(v.preference, 'A');
      assert.equal(v.correct, true);
      assert.equal(v.reasoning, 'A is direct');
      assert.match(v.thinking ?? '', /the user wants it short/);
    });

    test('an answer that never left its thinking (cut by the cap) is unparseable, not the draft', async () => {
      reply = '<think>I lean to {"preference": "B"} because';
      const v = await judgeOrder(llm, DEFAULT_PROMPTS.judge, pair, 'AB', { temperature: 0 });
      assert.equal(v.preference, null);
      assert.equal(v.correct, false);
      assert.match(v.thinking ?? '', /I lean to/);
    });
  });
}

describe('Ollama: a thinking answer ended early by the answer guard', () => {
  test('the thinking is folded in once, not twice', async () => {
    const server = await startLoopbackOllama({
      models: ['qwen3:30b-a3b'],
      thinkingModels: ['qwen3:30b-a3b'],
      chunkChars: 64,
      brain: () => '{"reasoning": "ok", "preference": "A"}' + ' '.repeat(2000),
    });
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'qwen3:30b-a3b', think: 'on' },
      { noCache: true },
    );
    try {
      const r = await llm.chat({
        messages: [{ role: 'user', content: 'judge' }],
        schema: { name: 'judgment', schema: { type: 'object' } },
        temperature: 0,
      });
      assert.equal(r.text, '{"reasoning": "ok", "preference": "A"}');
      assert.equal(r.thinking, 'Let me weigh both replies against what this user wants.');
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});

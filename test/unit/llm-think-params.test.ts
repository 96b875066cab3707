// Reasoning models and parameters servers refuse, against the loopback servers (which reproduce Ollama's
// `think` and its "does not support thinking", vLLM's Qwen3 template thinking unless enable_thinking is
// false, OpenAI's reasoning models refusing temperature with 400 unsupported_value, and OpenAI's
// "Unrecognized request argument supplied"). Before: thinking was never turned off, and a refused
// parameter failed every call, each scored as a wrong answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, THINKING_CAP_FACTOR, type LlmConfig } from '../../src/core/llm/client';
import { JUDGMENT_SCHEMA } from '../../src/core/method/schemas';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const ANSWER = '{"reasoning": "A is direct", "preference": "A"}';
const judge = {
  messages: [{ role: 'user' as const, content: 'Which reply, A or B?' }],
  schema: JUDGMENT_SCHEMA,
  temperature: 0,
  purpose: 'judge',
};

describe('Ollama: think', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({
      models: ['qwen3:30b-a3b', 'llama3.1:8b'],
      thinkingModels: ['qwen3:30b-a3b'],
      brain: () => ANSWER,
    });
  });
  after(() => server.close());
  const make = (model: string, config: Partial<LlmConfig> = {}) =>
    createLlm({ provider: 'ollama', baseUrls: [server.url], model, ...config }, { noCache: true });

  test('off by default: think:false is sent, and the model answers without thinking', async () => {
    server.reset();
    const llm = make('qwen3:30b-a3b');
    try {
      const r = await llm.chat(judge);
      assert.equal(server.chats[0]!.body['think'], false);
      assert.equal(r.thinking, undefined);
      assert.deepEqual(r.json, { reasoning: 'A is direct', preference: 'A' });
    } finally {
      await llm.dispose();
    }
  });

  test('--think on: the thinking arrives apart (message.thinking), and the output cap grows for it', async () => {
    server.reset();
    const llm = make('qwen3:30b-a3b', { think: 'on' });
    try {
      const r = await llm.chat(judge);
      assert.equal(server.chats[0]!.body['think'], true);
      assert.match(r.thinking ?? '', /weigh both replies/);
      assert.equal(r.text, ANSWER);
      assert.equal(
        (server.chats[0]!.body['options'] as Record<string, unknown>)['num_predict'],
        512 * THINKING_CAP_FACTOR,
      );
    } finally {
      await llm.dispose();
    }
  });

  test('a model that cannot think refuses `think`: dropped once for the server, remembered, said once', async () => {
    server.reset();
    server.options.thinkStrict = true;
    const warnings: string[] = [];
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' },
      { noCache: true, log: (l, m) => void (l === 'warn' && warnings.push(m)) },
    );
    try {
      for (let i = 0; i < 3; i++)
        assert.equal((await llm.chat({ ...judge, messages: [{ role: 'user', content: `pair ${i}` }] })).text, ANSWER);
      assert.deepEqual(
        server.chats.map((c) => c.body['think']),
        [false, undefined, undefined, undefined],
      );
      assert.equal(warnings.filter((w) => /refused the parameter "think"/.test(w)).length, 1);
      assert.equal(llm.counters().errors, 0);
    } finally {
      server.options.thinkStrict = undefined;
      await llm.dispose();
    }
  });
});

describe('OpenAI-compatible: thinking templates and refused parameters', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOpenAI({
      models: ['qwen3', 'o4-mini'],
      thinkingModels: ['qwen3'],
      reasoningModels: ['o4-mini'],
      brain: () => ANSWER,
    });
  });
  after(() => server.close());

  test('vLLM/llama-server with a Qwen3 template: enable_thinking false by default; with --think on the <think> block is kept apart', async () => {
    server.reset();
    const off = createLlm({ provider: 'openai', baseUrls: [server.url], model: 'qwen3' }, { noCache: true });
    const on = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'qwen3', think: 'on' },
      { noCache: true },
    );
    try {
      const a = await off.chat(judge);
      assert.deepEqual(server.chats[0]!.body['chat_template_kwargs'], { enable_thinking: false });
      assert.equal(a.thinking, undefined);
      const b = await on.chat(judge);
      assert.match(b.thinking ?? '', /weigh both replies/);
      assert.deepEqual(b.json, { reasoning: 'A is direct', preference: 'A' });
    } finally {
      await off.dispose();
      await on.dispose();
    }
  });

  test('a reasoning model refusing temperature 0: dropped and remembered, every call answered', async () => {
    server.reset();
    server.options.strictParams = true;
    const warnings: string[] = [];
    const llm = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'o4-mini', think: 'low' },
      { noCache: true, log: (l, m) => void (l === 'warn' && warnings.push(m)) },
    );
    try {
      for (let i = 0; i < 3; i++)
        assert.equal((await llm.chat({ ...judge, messages: [{ role: 'user', content: `pair ${i}` }] })).text, ANSWER);
      const sent = server.chats.map((c) => [
        c.body['temperature'],
        c.body['max_tokens'],
        c.body['max_completion_tokens'],
        c.body['reasoning_effort'],
      ]);
      // 1: max_tokens refused ("use max_completion_tokens"); 2: temperature refused; then neither, every time.
      const cap = 512 * THINKING_CAP_FACTOR;
      assert.deepEqual(sent[0], [0, cap, undefined, 'low']);
      assert.deepEqual(sent[1], [0, undefined, cap, 'low']);
      assert.deepEqual(sent.slice(2), [
        [undefined, undefined, cap, 'low'],
        [undefined, undefined, cap, 'low'],
        [undefined, undefined, cap, 'low'],
      ]);
      assert.equal(warnings.filter((w) => /refused the parameter "temperature"/.test(w)).length, 1);
      assert.equal(warnings.filter((w) => /refused the parameter "max_tokens"/.test(w)).length, 1);
    } finally {
      server.options.strictParams = undefined;
      await llm.dispose();
    }
  });

  test("a server that knows no chat_template_kwargs (OpenAI's own strictness) gets calls without it", async () => {
    server.reset();
    server.options.strictParams = true;
    const llm = createLlm({ provider: 'openai', baseUrls: [server.url], model: 'qwen3' }, { noCache: true });
    try {
      await llm.chat(judge);
      await llm.chat({ ...judge, messages: [{ role: 'user', content: 'again' }] });
      assert.deepEqual(
        server.chats.map((c) => c.body['chat_template_kwargs']),
        [{ enable_thinking: false }, undefined, undefined],
      );
    } finally {
      server.options.strictParams = undefined;
      await llm.dispose();
    }
  });
});

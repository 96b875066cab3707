// The real `ollama` and `openai` clients against the loopback servers: both protocols, streamed
// and not, structured output, sampling options on the wire, usage, model listing and details.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm } from '../../src/core/llm/client';
import { OllamaProvider } from '../../src/core/llm/ollama-provider';
import { OpenAIProvider } from '../../src/core/llm/openai-provider';
import type { ResponseSchema } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

const judgeSchema: ResponseSchema = {
  name: 'verdict',
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, preference: { type: 'string', enum: ['A', 'B'] } },
    required: ['reasoning', 'preference'],
    additionalProperties: false,
  },
};
const timeouts = { firstByteMs: 5000, idleMs: 5000 };
const ask = [{ role: 'user' as const, content: 'Which response is better, A or B?' }];

describe('ollama provider', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({
      brain: (r) => (r.schema ? '{"reasoning":"short and kind","preference":"B"}' : 'plain answer from the loopback'),
    });
  });
  after(() => server.close());

  for (const stream of [true, false]) {
    test(`chat ${stream ? 'streamed (NDJSON)' : 'in one JSON object'} carries schema, options and usage`, async () => {
      server.reset();
      const p = new OllamaProvider(server.url, { timeouts, stream, keepAlive: '30m' });
      const reply = await p.chat(
        {
          model: 'llama3.1:8b',
          messages: ask,
          schema: judgeSchema,
          temperature: 0,
          seed: 7,
          maxTokens: 300,
          numCtx: 8192,
        },
        undefined,
      );
      assert.equal(reply.text, '{"reasoning":"short and kind","preference":"B"}');
      assert.ok(reply.usage.promptTokens > 0);
      assert.equal(reply.usage.completionTokens, Math.ceil(reply.text.length / 4));
      assert.equal(reply.finishReason, 'stop');
      const body = server.chats[0]!.body;
      assert.equal(body['stream'], stream);
      assert.deepEqual(body['format'], judgeSchema.schema);
      assert.deepEqual(body['options'], { temperature: 0, seed: 7, num_predict: 300, num_ctx: 8192 });
      assert.equal(body['keep_alive'], '30m');
      // The loopback says it is Ollama 0.12.6: the first release that refuses an overlong prompt when asked.
      assert.equal(body['truncate'], false);
    });
  }

  test('a long answer arrives whole across many stream chunks', async () => {
    const long = 'x'.repeat(5000);
    server.options.brain = () => long;
    try {
      const p = new OllamaProvider(server.url, { timeouts });
      const reply = await p.chat({ model: 'llama3.1:8b', messages: ask, temperature: 0 }, undefined);
      assert.equal(reply.text, long);
    } finally {
      server.options.brain = undefined;
    }
  });

  test('num_predict cuts the answer and done_reason says length', async () => {
    server.options.brain = () => 'y'.repeat(400);
    try {
      const p = new OllamaProvider(server.url, { timeouts });
      const reply = await p.chat({ model: 'llama3.1:8b', messages: ask, temperature: 0, maxTokens: 10 }, undefined);
      assert.equal(reply.text.length, 40);
      assert.equal(reply.finishReason, 'length');
    } finally {
      server.options.brain = undefined;
    }
  });

  test('list, show (context length) and version', async () => {
    const p = new OllamaProvider(server.url, { timeouts });
    const models = await p.listModels();
    assert.deepEqual(
      models.map((m) => m.name),
      ['llama3.1:8b', 'qwen3:30b-a3b'],
    );
    const details = await p.showModel('llama3.1:8b');
    assert.equal(details.contextLength, 131072);
    assert.equal(details.numCtx, 8192);
    const check = await p.check();
    assert.equal(check.version, '0.12.6');
    await assert.rejects(
      p.showModel('nope:1b'),
      (e: Error & { kind?: string }) => e.kind === 'not-found' && /ollama pull nope:1b/.test(e.message),
    );
  });
});

describe('openai-compatible provider', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOpenAI({
      apiKey: 'sk-loopback-secret-1234',
      brain: (r) => (r.schema ? '{"reasoning":"r","preference":"A"}' : 'hello there'),
    });
  });
  after(() => server.close());

  for (const stream of [true, false]) {
    test(`chat ${stream ? 'streamed (SSE)' : 'non-streamed'} sends response_format, seed, max_tokens and the key`, async () => {
      server.reset();
      const p = new OpenAIProvider(server.url, { timeouts, stream, apiKey: 'sk-loopback-secret-1234' });
      const reply = await p.chat(
        { model: 'gpt-4o-mini', messages: ask, schema: judgeSchema, temperature: 0.2, seed: 3, maxTokens: 100 },
        undefined,
      );
      assert.equal(reply.text, '{"reasoning":"r","preference":"A"}');
      assert.equal(reply.finishReason, 'stop');
      assert.ok(reply.usage.promptTokens > 0 && reply.usage.completionTokens > 0);
      const { body, headers } = server.chats[0]!;
      assert.equal(headers.authorization, 'Bearer sk-loopback-secret-1234');
      assert.deepEqual(body['response_format'], {
        type: 'json_schema',
        json_schema: { name: 'verdict', schema: judgeSchema.schema, strict: false },
      });
      assert.equal(body['seed'], 3);
      assert.equal(body['max_tokens'], 100);
      assert.equal(body['temperature'], 0.2);
      if (stream) assert.deepEqual(body['stream_options'], { include_usage: true });
    });
  }

  test('usage is estimated when a streaming server sends none', async () => {
    const p = new OpenAIProvider(server.url, { timeouts, apiKey: 'sk-loopback-secret-1234', streamUsage: false });
    const reply = await p.chat({ model: 'gpt-4o-mini', messages: ask, temperature: 0 }, undefined);
    assert.equal(reply.text, 'hello there');
    assert.equal(reply.usage.completionTokens, Math.ceil('hello there'.length / 4));
  });

  test('lists models', async () => {
    const p = new OpenAIProvider(server.url, { timeouts, apiKey: 'sk-loopback-secret-1234' });
    assert.deepEqual(
      (await p.listModels()).map((m) => m.name),
      ['gpt-4o-mini', 'llama3.1:8b'],
    );
  });

  test('no key configured: no Authorization header at all', async () => {
    const open = await startLoopbackOpenAI();
    try {
      const p = new OpenAIProvider(open.url, { timeouts });
      await p.chat({ model: 'gpt-4o-mini', messages: ask, temperature: 0 }, undefined);
      assert.equal(open.chats[0]!.headers.authorization, undefined);
    } finally {
      await open.close();
    }
  });
});

describe('createLlm end to end', () => {
  test('ollama: parsed JSON, counters, connection check', async () => {
    const server = await startLoopbackOllama({
      brain: () => 'Sure! ```json\n{"reasoning": "tone", "preference": "A",}\n```',
    });
    const llm = createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' });
    try {
      const r = await llm.chat({ messages: ask, schema: judgeSchema, temperature: 0, purpose: 'judge' });
      assert.deepEqual(r.json, { reasoning: 'tone', preference: 'A' });
      assert.equal(r.cached, false);
      const c = llm.counters();
      assert.equal(c.calls, 1);
      assert.equal(c.attempts, 1);
      assert.equal(c.errors, 0);
      assert.equal(c.costUsd, undefined);
      const report = await llm.checkConnection();
      assert.equal(report.ok, true);
      assert.equal(report.endpoints[0]!.version, '0.12.6');
      assert.equal(report.endpoints[0]!.modelAvailable, true);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('openai: price table turns usage into cost', async () => {
    const server = await startLoopbackOpenAI({ brain: () => 'abcd'.repeat(25) });
    const llm = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'gpt-4o-mini' },
      { prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } } },
    );
    try {
      await llm.chat({ messages: ask, temperature: 0 });
      const c = llm.counters();
      assert.equal(c.completionTokens, 25);
      const expected = (c.promptTokens * 0.15 + 25 * 0.6) / 1e6;
      assert.ok(Math.abs((c.costUsd ?? -1) - expected) < 1e-12);
      assert.ok(c.wallMs >= 0);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('checkConnection names the missing model and how to get it', async () => {
    const server = await startLoopbackOllama({ models: ['qwen3:30b-a3b'] });
    const llm = createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' });
    try {
      const report = await llm.checkConnection();
      assert.equal(report.ok, false);
      assert.match(report.endpoints[0]!.error ?? '', /ollama pull llama3\.1:8b/);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});

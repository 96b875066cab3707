// Configuration from the environment, run accounting, estimates and error classification:
// the parts of the LLM layer that need no server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ollamaHostToUrl, resolveLlmConfig } from '../../src/core/llm/config-from-env';
import { httpError, LlmError, redactUrl, retryAfterFromHeaders } from '../../src/core/llm/errors';
import { estimateRun, estimateTokens } from '../../src/core/llm/estimate';
import { UsageCounters } from '../../src/core/llm/usage';

describe('configuration from the environment', () => {
  test('nothing set: Ollama on 127.0.0.1:11434 with the default model', () => {
    const r = resolveLlmConfig({}, {});
    assert.deepEqual(r.config, { provider: 'ollama', baseUrls: ['http://127.0.0.1:11434'], model: 'llama3.1:8b' });
    assert.equal(r.apiKey, undefined);
    assert.equal(r.sources.provider, 'default');
  });

  test('OLLAMA_HOST in the forms Ollama accepts', () => {
    assert.equal(ollamaHostToUrl('0.0.0.0'), 'http://127.0.0.1:11434');
    assert.equal(ollamaHostToUrl(':12000'), 'http://127.0.0.1:12000');
    assert.equal(ollamaHostToUrl('gpu1:11434'), 'http://gpu1:11434');
    assert.equal(ollamaHostToUrl('https://ollama.example.org'), 'https://ollama.example.org');
    const r = resolveLlmConfig({}, { OLLAMA_HOST: 'gpu1,gpu2:11500' });
    assert.deepEqual(r.config.baseUrls, ['http://gpu1:11434', 'http://gpu2:11500']);
    assert.equal(r.sources.baseUrls, 'OLLAMA_HOST');
  });

  test('OPENAI_BASE_URL selects the OpenAI protocol and the key comes from OPENAI_API_KEY', () => {
    const r = resolveLlmConfig({}, { OPENAI_BASE_URL: 'http://vllm:8000/v1', OPENAI_API_KEY: 'sk-abc' });
    assert.equal(r.config.provider, 'openai');
    assert.deepEqual(r.config.baseUrls, ['http://vllm:8000/v1']);
    assert.equal(r.config.model, 'gpt-4o-mini');
    assert.equal(r.apiKey, 'sk-abc');
    assert.equal(r.sources.apiKey, 'OPENAI_API_KEY');
    assert.ok(!JSON.stringify(r.sources).includes('sk-abc'), 'sources name the variable, never the key');
    assert.ok(!JSON.stringify(r.config).includes('sk-abc'), 'the config never holds the key');
  });

  test('OPENAI_API_KEY alone does not switch a run to a paid API', () => {
    const r = resolveLlmConfig({}, { OPENAI_API_KEY: 'sk-abc' });
    assert.equal(r.config.provider, 'ollama');
    assert.equal(r.apiKey, undefined);
  });

  test('explicit options win; a named key variable must exist', () => {
    const r = resolveLlmConfig(
      { provider: 'openai', baseUrls: 'http://a/v1, http://b/v1', model: 'm', apiKeyEnv: 'GROQ_KEY', concurrency: 3 },
      { OLLAMA_HOST: 'x', GROQ_KEY: 'gsk-1' },
    );
    assert.deepEqual(r.config, {
      provider: 'openai',
      baseUrls: ['http://a/v1', 'http://b/v1'],
      model: 'm',
      concurrency: 3,
    });
    assert.equal(r.apiKey, 'gsk-1');
    assert.throws(
      () => resolveLlmConfig({ provider: 'openai', apiKeyEnv: 'MISSING' }, {}),
      (e: LlmError) => /MISSING/.test(e.message),
    );
  });
});

describe('usage and estimates', () => {
  test('counters add calls, hits, tokens, cost and wall time', () => {
    let now = 1000;
    const u = new UsageCounters('gpt-4o-mini', { 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 2 } }, () => now);
    u.begin();
    u.recordAttempt(false);
    u.recordAttempt(true);
    u.recordCall({ promptTokens: 1000, completionTokens: 500 }, 120);
    now = 1250;
    u.end();
    u.begin();
    u.recordCacheHit();
    now = 1300;
    u.end();
    const s = u.snapshot();
    assert.equal(s.calls, 1);
    assert.equal(s.cacheHits, 1);
    assert.equal(s.attempts, 2);
    assert.equal(s.retries, 1);
    assert.equal(s.wallMs, 300);
    assert.equal(s.latencyMs, 120);
    assert.equal(s.costUsd, (1000 * 1 + 500 * 2) / 1e6);
    u.reset();
    assert.equal(u.snapshot().calls, 0);
  });

  test("prompt tokens served from the provider's cache are billed at the cached price, and reported", async () => {
    const prices = { 'gpt-4o-mini': { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 } };
    const u = new UsageCounters('gpt-4o-mini', prices);
    u.recordCall({ promptTokens: 10_000, cachedPromptTokens: 8_000, completionTokens: 100 }, 1);
    const s = u.snapshot();
    assert.equal(s.cachedPromptTokens, 8_000);
    assert.ok(Math.abs(s.costUsd! - (2_000 * 0.15 + 8_000 * 0.075 + 100 * 0.6) / 1e6) < 1e-12);
    // Through the real client: the server's usage.prompt_tokens_details.cached_tokens reaches the counters.
    const { startLoopbackOpenAI } = await import('../support/loopback-openai');
    const { createLlm } = await import('../../src/core/llm/client');
    const server = await startLoopbackOpenAI({ cachedPromptTokens: 5 });
    const llm = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'gpt-4o-mini' },
      { noCache: true, prices },
    );
    try {
      await llm.chat({
        messages: [{ role: 'user', content: 'a question long enough to have a cached prefix of five tokens' }],
        temperature: 0,
      });
      assert.equal(llm.counters().cachedPromptTokens, 5);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('a model without a price has no cost rather than a zero one', () => {
    const u = new UsageCounters('llama3.1:8b', { 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 2 } });
    u.recordCall({ promptTokens: 10, completionTokens: 10 }, 1);
    assert.equal(u.snapshot().costUsd, undefined);
  });

  test('token estimate is about four characters per token plus framing', () => {
    const messages = [
      { role: 'system' as const, content: 'x'.repeat(400) },
      { role: 'user' as const, content: 'y'.repeat(40) },
    ];
    assert.equal(estimateTokens(messages), 3 + (4 + 100) + (4 + 10));
  });

  test('run estimate counts cached calls apart and prices the rest', () => {
    const m = [{ role: 'user' as const, content: 'z'.repeat(396) }];
    const e = estimateRun(
      [
        { messages: m, maxTokens: 100 },
        { messages: m, expectedCompletionTokens: 50 },
        { messages: m, cached: true },
        { messages: m },
      ],
      { model: 'p', prices: { p: { inputPerMTok: 10, outputPerMTok: 20 } }, defaultCompletionTokens: 200 },
    );
    assert.equal(e.calls, 3);
    assert.equal(e.cachedCalls, 1);
    assert.equal(e.promptTokens, 3 * 106);
    assert.equal(e.completionTokens, 350);
    assert.equal(e.costUsd, (318 * 10 + 350 * 20) / 1e6);
  });
});

describe('error classification', () => {
  const ctx = { provider: 'ollama' as const, baseUrl: 'http://u:p@gpu1:11434', model: 'llama3.1:8b', purpose: 'judge' };

  test('status codes map to kinds and retry decisions', () => {
    const cases: Array<[number, string, string, boolean]> = [
      [400, 'bad thing', 'bad-request', false],
      [401, 'unauthorized', 'auth', false],
      [404, 'model not found', 'not-found', false],
      [429, 'slow down', 'rate-limit', true],
      [500, 'boom', 'server', true],
      // 503 is busy or still loading (llama-server: "Loading model"; Ollama: "server busy"): wait and send fewer.
      [503, 'Loading model', 'rate-limit', true],
      [402, 'payment required', 'quota', false],
      [400, 'the input length exceeds the context length', 'context-length', false],
    ];
    for (const [status, message, kind, retryable] of cases) {
      const e = httpError(ctx, status, message);
      assert.equal(e.kind, kind, `${status} ${message}`);
      assert.equal(e.retryable, retryable, `${status} retryable`);
    }
  });

  test('a schema complaint is flagged only when the request carried a schema', () => {
    const msg = 'json: cannot unmarshal object into Go struct field ChatRequest.format of type string';
    assert.equal(httpError({ ...ctx, requestedSchema: true }, 400, msg).schemaRejected, true);
    assert.equal(httpError(ctx, 400, msg).schemaRejected, false);
  });

  test('messages never show credentials of a base URL', () => {
    assert.equal(redactUrl('http://u:p@gpu1:11434'), 'http://gpu1:11434');
    // A key in the query string is a secret too: its value never reaches a message, a log or a run header.
    assert.equal(redactUrl('http://127.0.0.1:11434/?key=SECRET-TOKEN-123'), 'http://127.0.0.1:11434/?key=***');
    assert.equal(
      redactUrl('https://x.example/v1?api-version=1&code=SECRET'),
      'https://x.example/v1?api-version=***&code=***',
    );
    assert.doesNotMatch(redactUrl('http://u:SECRET@h:1/?k=SECRET'), /SECRET/);
    assert.ok(!httpError(ctx, 500, 'x').message.includes('u:p@'));
  });

  test('Retry-After in seconds, as a date, and retry-after-ms', () => {
    const h = (map: Record<string, string>) => (n: string) => map[n];
    assert.equal(retryAfterFromHeaders(h({ 'retry-after': '2' })), 2000);
    assert.equal(retryAfterFromHeaders(h({ 'retry-after-ms': '150', 'retry-after': '1' })), 150);
    const at = retryAfterFromHeaders(h({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }))!;
    assert.ok(at > 3000 && at <= 5000, String(at));
    assert.equal(retryAfterFromHeaders(h({})), undefined);
  });
});

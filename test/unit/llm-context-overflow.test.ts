// A prompt longer than the server's context is a failure, never a wrong answer: the error is named as a
// context-length error with both sizes, it is not retried, and an evaluation stops on it without scoring.
// The llama-server wording was seen on the real server (xllamacpp 2026.10.11549, --ctx-size 1024):
//   400 {"error":{"code":400,"message":"request (3024 tokens) exceeds the available context size (1024 tokens),
//   try increasing it","type":"exceed_context_size_error","n_prompt_tokens":3024,"n_ctx":1024}}
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { contextSizes, httpError, LlmError } from '../../src/core/llm/errors';
import { evaluate } from '../../src/core/eval/evaluate';
import { judgeOrder } from '../../src/core/method/judge';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { hashString } from '../../src/core/random';
import type { Pair } from '../../src/core/data/pair';
import type { Prompt } from '../../src/core/method/prompt-store';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOpenAI, type LoopbackServer } from '../support/loopback-openai';

const ctx = { provider: 'openai' as const, baseUrl: 'http://127.0.0.1:8080/v1', model: 'gemma', purpose: 'judge' };

describe('context-length errors from each server', () => {
  test("llama-server's exceed_context_size_error names both sizes", () => {
    const body = {
      code: 400,
      message: 'request (3024 tokens) exceeds the available context size (1024 tokens), try increasing it',
      type: 'exceed_context_size_error',
      n_prompt_tokens: 3024,
      n_ctx: 1024,
    };
    const e = httpError(ctx, 400, body.message, { type: body.type, body });
    assert.equal(e.kind, 'context-length');
    assert.equal(e.retryable, false);
    assert.match(e.message, /too long for gemma \(3,024 tokens against a context of 1,024\)/);
    assert.match(e.message, /--ctx-size/);
  });
  test("the message alone is enough (a proxy that drops the type), and vLLM's wording too", () => {
    assert.equal(
      httpError(ctx, 400, 'request (3024 tokens) exceeds the available context size (1024 tokens), try increasing it')
        .kind,
      'context-length',
    );
    const vllm =
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4800 in the messages, 200 in the completion).";
    assert.equal(httpError(ctx, 400, vllm).kind, 'context-length');
    assert.deepEqual(
      contextSizes("This model's maximum context length is 50 tokens. However, your messages resulted in 257 tokens."),
      { promptTokens: 257, contextTokens: 50 },
    );
  });
  test('an unrelated 400 stays a bad request', () => {
    assert.equal(httpError(ctx, 400, "'temperature' is not supported with this model").kind, 'bad-request');
  });
});

function pair(id: string, n: number, split: 'test' | 'context'): Pair {
  return samplePair({
    pairId: id,
    split,
    context: [{ role: 'user', content: `Question ${n}: ${'tell me about it '.repeat(40)}` }],
    source: { file: 'u.prefs.jsonl', line: n, column: 1, endLine: n } as Pair['source'],
  });
}

describe('an overflow through the whole stack (loopback llama-server)', () => {
  let server: LoopbackServer;
  let llm: Llm;
  let dir: string;
  before(async () => {
    server = await startLoopbackOpenAI({
      flavor: 'llama-server',
      models: ['gemma'],
      contextLength: 200,
      brain: () => JSON.stringify({ reasoning: 'short', preference: 'A' }),
    });
    llm = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: 'gemma', timeoutSeconds: 5 },
      { retry: { baseDelayMs: 1, maxDelayMs: 2, random: () => 0.5 } },
    );
    dir = mkdtempSync(join(tmpdir(), 'ctx-overflow-'));
  });
  after(async () => {
    await llm.dispose();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('judging an order throws the context-length error (sent once, not retried) instead of returning a wrong verdict', async () => {
    const before = server.stats.chat;
    await assert.rejects(
      judgeOrder(llm, DEFAULT_PROMPTS.judge, pair('p1', 1, 'test'), 'AB', { temperature: 0 }),
      (err: unknown) => err instanceof LlmError && err.kind === 'context-length',
    );
    assert.equal(server.stats.chat - before, 1);
  });

  test('an evaluation stops on it: no verdict is written, nothing is scored', async () => {
    const target = [pair('p1', 1, 'test'), pair('p2', 2, 'test')];
    const prompt: Prompt = {
      name: 'judge',
      text: DEFAULT_PROMPTS.judge,
      hash: `sha256:${hashString(DEFAULT_PROMPTS.judge)}`,
    };
    await assert.rejects(
      evaluate([{ id: 'u', pairs: target, context: [], target }], {
        method: 'default',
        split: 'test',
        model: llm,
        prompts: { judge: prompt, memory: { ...prompt, name: 'memory' } },
        temperature: 0,
        seed: 0,
        runsDir: dir,
      }),
      (err: unknown) =>
        err instanceof LlmError &&
        err.kind === 'context-length' &&
        /exceeds the available context size/.test(err.message),
    );
    const lines = readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string }),
    );
    assert.deepEqual(
      lines.filter((l) => l.type !== 'header'),
      [],
      'only the header: no verdict, no summary',
    );
  });
});

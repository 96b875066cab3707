// The cache names a server by the model it serves, not by its address: the embedded llama.cpp server starts on a
// random port each run, and keyed by port a second run reused nothing (issue 23).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlm } from '../../src/core/llm/client';
import { cacheKey, ResponseCache } from '../../src/core/llm/cache';
import { listedIdentity } from '../../src/core/llm/openai-provider';
import { startLoopbackOpenAI, type LoopbackServer } from '../support/loopback-openai';
import { startLoopbackOllama } from '../support/loopback-ollama';

const MODEL = 'qwen2.5-coder-0.5b-instruct-q4_k_m';
const FILE_A = { size: 491_400_032, n_params: 494_032_768, n_vocab: 151_936, n_embd: 896, n_ctx_train: 32_768 };
const FILE_B = { ...FILE_A, size: 986_048_768, n_params: 1_543_714_304 };
const ASK = { messages: [{ role: 'user' as const, content: 'Pick A or B.' }], temperature: 0 };

async function ask(baseUrl: string, dir: string, provider: 'openai' | 'ollama' = 'openai', model = MODEL) {
  const llm = createLlm({ provider, baseUrls: [baseUrl], model }, { cacheDir: dir });
  try {
    return await llm.chat(ASK);
  } finally {
    await llm.dispose();
  }
}

describe('cache keyed by the server model identity', () => {
  const servers: LoopbackServer[] = [];
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cache-server-identity-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const llamaServer = async (meta: Record<string, number>) => {
    const s = await startLoopbackOpenAI({ models: [MODEL], brain: () => 'A', meta: { [MODEL]: meta } });
    servers.push(s);
    return s;
  };

  test("llama.cpp's listing names the loaded file: size and parameters", () => {
    const entry = { id: MODEL, object: 'model', owned_by: 'llamacpp', meta: { ...FILE_A, vocab_type: 2 } };
    assert.match(listedIdentity(entry) ?? '', /^llamacpp:size=491400032,n_params=494032768,/);
    assert.equal(listedIdentity({ id: 'gpt-4o-mini', owned_by: 'openai' }), undefined);
    assert.equal(listedIdentity({ id: 'm', owned_by: 'vllm', root: '/models/m' }), 'vllm:/models/m');
  });

  test('the same model file on two ports shares its answers', async () => {
    const first = await llamaServer(FILE_A);
    assert.equal((await ask(first.url, dir)).cached, false);
    const second = await llamaServer(FILE_A);
    const again = await ask(second.url, dir);
    assert.equal(again.cached, true, 'a second run on a new port is answered from the cache');
    assert.equal(second.stats.chat, 0);
  });

  test('two model files on one port (one after the other) do not', async () => {
    const before = await llamaServer(FILE_A);
    const url = before.url;
    assert.equal((await ask(url, dir)).cached, true);
    (before.options as { meta?: unknown }).meta = { [MODEL]: FILE_B };
    const other = await ask(url, dir);
    assert.equal(other.cached, false, "another file's answers are not this one's");
    assert.equal(before.stats.chat, 1);
  });

  test('a server that names no identity is keyed by its address, as before', async () => {
    const plain = await startLoopbackOpenAI({ models: ['gpt-4o-mini', 'other'], brain: () => 'A' });
    servers.push(plain);
    assert.equal((await ask(plain.url, dir, 'openai', 'gpt-4o-mini')).cached, false);
    assert.equal((await ask(plain.url, dir, 'openai', 'gpt-4o-mini')).cached, true);
  });

  test('Ollama: the same digest on two ports shares its answers', async () => {
    const digest = 'sha256:' + '3'.repeat(64);
    const a = await startLoopbackOllama({
      models: ['llama3.1:8b'],
      brain: () => 'B',
      digests: { 'llama3.1:8b': digest },
    });
    const b = await startLoopbackOllama({
      models: ['llama3.1:8b'],
      brain: () => 'B',
      digests: { 'llama3.1:8b': digest },
    });
    servers.push(a, b);
    assert.equal((await ask(a.url, dir, 'ollama', 'llama3.1:8b')).cached, false);
    assert.equal((await ask(b.url, dir, 'ollama', 'llama3.1:8b')).cached, true);
    assert.equal(b.stats.chat, 0);
  });

  test('an answer cached by address before identities is still read', async () => {
    const s = await llamaServer(FILE_A);
    const messages = [{ role: 'user' as const, content: 'Cached before identities.' }];
    const old = new ResponseCache(dir);
    const key = cacheKey({ provider: 'openai', baseUrl: s.url, model: MODEL, messages, temperature: 0, think: 'off' });
    await old.put(key, { text: 'B', usage: { promptTokens: 3, completionTokens: 1 }, latencyMs: 5, model: MODEL });
    await old.close();
    const llm = createLlm({ provider: 'openai', baseUrls: [s.url], model: MODEL }, { cacheDir: dir });
    try {
      const hit = await llm.chat({ messages, temperature: 0 });
      assert.equal(hit.cached, true);
      assert.equal(hit.text, 'B');
    } finally {
      await llm.dispose();
    }
  });

  test('a re-run against a server that is down finds its answers under the identity last seen there', async () => {
    const s = await llamaServer(FILE_A);
    const url = s.url;
    assert.equal((await ask(url, dir)).cached, true);
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const offline = await ask(url, dir);
    assert.equal(offline.cached, true);
    const stats = await new ResponseCache(dir).stats();
    assert.equal(stats.entries, stats.records, 'the remembered identities are no answers: not counted as entries');
  });

  test('the identity replaces the address in the key; no identity keeps the old key', () => {
    const base = { provider: 'openai' as const, model: MODEL, messages: ASK.messages, temperature: 0 };
    const byPort = (port: number, identity?: string) =>
      cacheKey({ ...base, baseUrl: `http://127.0.0.1:${port}/v1`, ...(identity ? { identity } : {}) });
    assert.equal(byPort(1, 'llamacpp:x'), byPort(2, 'llamacpp:x'));
    assert.notEqual(byPort(1, 'llamacpp:x'), byPort(1, 'llamacpp:y'));
    assert.notEqual(byPort(1), byPort(2));
  });
});

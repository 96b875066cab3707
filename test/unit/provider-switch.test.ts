// Select Model switching the provider resets a base URL that is the other provider's default server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrlsOnSwitch, isDefaultServerOf } from '../../src/extension/provider-switch';
import { OLLAMA_DEFAULT_HOST } from '../../src/core/llm/ollama-provider';
import { OPENAI_DEFAULT_BASE_URL } from '../../src/core/llm/openai-provider';

test("Ollama's default server, however written, is reset when OpenAI is chosen", () => {
  for (const u of [
    OLLAMA_DEFAULT_HOST,
    'http://localhost:11434',
    'http://127.0.0.1:11434/',
    '127.0.0.1:11434',
    'http://0.0.0.0:11434',
  ]) {
    assert.ok(isDefaultServerOf('ollama', u), u);
    assert.equal(baseUrlsOnSwitch('openai', [u]), 'reset', u);
  }
  assert.equal(baseUrlsOnSwitch('ollama', [OLLAMA_DEFAULT_HOST]), 'keep');
});

test("OpenAI's API is reset when Ollama is chosen", () => {
  assert.equal(baseUrlsOnSwitch('ollama', [OPENAI_DEFAULT_BASE_URL]), 'reset');
  assert.equal(baseUrlsOnSwitch('openai', [OPENAI_DEFAULT_BASE_URL]), 'keep');
});

test('a server chosen on purpose is kept', () => {
  assert.equal(baseUrlsOnSwitch('openai', ['http://127.0.0.1:11434/v1']), 'keep', "Ollama's own OpenAI-compatible API");
  assert.equal(baseUrlsOnSwitch('openai', ['http://gpu-box:11434']), 'keep');
  assert.equal(baseUrlsOnSwitch('openai', ['http://127.0.0.1:8080/v1']), 'keep');
  assert.equal(baseUrlsOnSwitch('openai', [OLLAMA_DEFAULT_HOST, 'http://127.0.0.1:8080/v1']), 'keep');
  assert.equal(baseUrlsOnSwitch('openai', undefined), 'keep');
  assert.equal(baseUrlsOnSwitch('openai', []), 'keep');
});

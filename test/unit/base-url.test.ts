// The one base-URL normalizer (src/core/llm/base-url.ts): the pool's server list and the cache key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeBaseUrl } from '../../src/core/llm/base-url';
import { cacheKey } from '../../src/core/llm/cache';

test('normalizeBaseUrl: trimmed, parsed, no trailing slash; not a URL: only trimmed', () => {
  assert.equal(normalizeBaseUrl(' HTTP://LocalHost:11434/ '), 'http://localhost:11434');
  assert.equal(normalizeBaseUrl('https://api.openai.com/v1//'), 'https://api.openai.com/v1');
  assert.equal(normalizeBaseUrl('http://u:p@host/v1/'), 'http://u:p@host/v1');
  assert.equal(normalizeBaseUrl('http://u:p@host/v1/', { dropCredentials: true }), 'http://host/v1');
  assert.equal(normalizeBaseUrl(' not a url/ '), 'not a url');
});

test('the cache key: one server however its URL is written, and no secret in it', () => {
  const key = (baseUrl: string) =>
    cacheKey({ provider: 'openai', baseUrl, model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0 });
  assert.equal(key('http://u:secret@Host:8080/v1/'), key('http://host:8080/v1'));
  assert.notEqual(key('http://host:8080/v1'), key('http://host:8081/v1'));
});

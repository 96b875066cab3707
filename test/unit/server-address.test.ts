// Select Provider and Model's "Enter a server address...": the typed address is checked, and written as the
// engine writes a base URL (src/core/llm/base-url.ts), so the setting names the server the cache and pool use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerAddresses, serverAddressProblem } from '../../src/extension/server-address';
import { normalizeBaseUrl } from '../../src/core/llm/base-url';

test('an http or https address is written as the engine normalizes it', () => {
  assert.deepEqual(parseServerAddresses(' HTTP://GPU-Box:11434/ '), { urls: ['http://gpu-box:11434'] });
  assert.deepEqual(parseServerAddresses('https://api.example.com/v1//'), { urls: ['https://api.example.com/v1'] });
  for (const u of ['http://LocalHost:8080/v1/', 'https://[::1]:8443', 'http://u:p@host/v1/'])
    assert.deepEqual(parseServerAddresses(u), { urls: [normalizeBaseUrl(u)] }, u);
  assert.equal(serverAddressProblem('http://127.0.0.1:11434'), undefined);
});

test('several addresses, by commas or spaces; the same server written twice counts once', () => {
  assert.deepEqual(parseServerAddresses('http://a:11434, http://b:11434 http://A:11434/'), {
    urls: ['http://a:11434', 'http://b:11434'],
  });
});

test('anything but an http or https URL with a host is refused, with an example', () => {
  for (const bad of [
    '',
    '   ',
    'gpu-box:11434',
    '127.0.0.1:11434',
    'file:///etc/passwd',
    'ftp://host',
    'javascript:alert(1)',
  ]) {
    const r = parseServerAddresses(bad);
    assert.ok('error' in r, `${JSON.stringify(bad)} refused`);
    assert.match(r.error, /http:\/\/127\.0\.0\.1:11434/, 'the message shows an address that works');
    assert.equal(serverAddressProblem(bad), r.error);
  }
  assert.ok('error' in parseServerAddresses('http://'), 'no host');
  assert.ok('error' in parseServerAddresses('http://host:11434?x=1'), 'a query');
  assert.ok('error' in parseServerAddresses('http://good:1, bad'), 'one bad address of two');
});

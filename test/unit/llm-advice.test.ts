// An LLM failure says what went wrong once and what to do in each front end's own terms: the CLI's
// message (flags, environment variables) is exactly what it was; the extension's names its settings and
// commands and never a flag. And listing the models of a URL that is not the provider's API says that,
// instead of 'does not know model ""' (Select Model with OpenAI left on Ollama's 11434).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm } from '../../src/core/llm/client';
import {
  adviseText,
  connectionError,
  httpError,
  LlmError,
  timeoutError,
  type ErrorContext,
} from '../../src/core/llm/errors';
import { resolveLlmConfig } from '../../src/core/llm/config-from-env';
import { TRUNCATE_FLAG_SINCE, truncatedPromptError } from '../../src/core/llm/ollama-provider';
import { editorAdvice, editorErrorText, errorNotice, rephraseAdvice } from '../../src/extension/error-notice';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';

const ollama: ErrorContext = {
  provider: 'ollama',
  baseUrl: 'http://127.0.0.1:11434',
  model: 'llama3.1:8b',
  purpose: 'judge',
};
const openai: ErrorContext = {
  provider: 'openai',
  baseUrl: 'http://127.0.0.1:8080/v1',
  model: 'gpt-4o-mini',
  purpose: 'judge',
};
/** What the extension must never say: the CLI's flags and environment variables. */
const CLI_WORDS = /--[a-z]|OLLAMA_HOST|OPENAI_BASE_URL|OPENAI_API_KEY/;

function rejected(fn: () => unknown): LlmError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LlmError);
    return err;
  }
  assert.fail('expected an LlmError');
}

const cases: [string, LlmError, string][] = [
  [
    'ollama connection refused',
    connectionError(ollama, 'ECONNREFUSED'),
    'Cannot reach Ollama at http://127.0.0.1:11434 (connection refused). Is Ollama running? Start it with `ollama serve`, or point OLLAMA_HOST / --base-url at the machine where it runs.',
  ],
  [
    'openai connection refused',
    connectionError(openai, 'ECONNREFUSED'),
    'Cannot reach the OpenAI-compatible server at http://127.0.0.1:8080/v1 (connection refused). Check --base-url / OPENAI_BASE_URL and that the server is running.',
  ],
  [
    'first-byte timeout',
    timeoutError(ollama, 'first-byte', 3000),
    'No response from Ollama at http://127.0.0.1:11434 within 3 s for the judge call (model llama3.1:8b). A model that is still loading can take minutes: raise --timeout if the server is slow.',
  ],
  [
    'openai 401',
    httpError(openai, 401, 'bad key'),
    'The server at http://127.0.0.1:8080/v1 refused the request (401: not authorized). Check the API key: the CLI reads OPENAI_API_KEY (or the variable named with --api-key-env); the extension uses the key stored in its secret storage.',
  ],
  [
    'openai 404',
    httpError(openai, 404, 'no such model'),
    'The server at http://127.0.0.1:8080/v1 does not know model "gpt-4o-mini" (404: no such model). Check --model against the server\'s model list.',
  ],
  [
    '429',
    httpError(openai, 429, 'slow down'),
    'The server at http://127.0.0.1:8080/v1 is rate limiting requests (429). Lower --concurrency or wait. Server said: slow down',
  ],
  [
    'no model',
    rejected(() => createLlm({ provider: 'ollama', baseUrls: ['http://127.0.0.1:1'], model: ' ' })),
    'No model configured: pass --model.',
  ],
  [
    'an empty key variable',
    rejected(() => resolveLlmConfig({ provider: 'openai', apiKeyEnv: 'SM_TEST_NO_SUCH_KEY' }, {})),
    'The environment variable SM_TEST_NO_SUCH_KEY (named by --api-key-env) is not set or empty.',
  ],
  [
    'a prompt Ollama cut',
    truncatedPromptError(ollama, 4096, 9000, undefined),
    `Ollama at http://127.0.0.1:11434 cut the prompt of the judge call from the front: it read 4,096 of about 9,000 tokens (num_ctx the server's default), so the instructions and the persona were lost. Raise --num-ctx (or synthesizeme.numCtx), or update Ollama: from ${TRUNCATE_FLAG_SINCE} it refuses such a prompt instead of cutting it.`,
  ],
];

describe('LLM error advice', () => {
  for (const [name, err, cli] of cases) {
    test(`${name}: the CLI's message is unchanged, the extension's has no CLI words`, () => {
      assert.equal(err.message, cli);
      const editor = editorErrorText(err);
      assert.doesNotMatch(editor, CLI_WORDS, editor);
      assert.ok(editor.startsWith(err.summary), 'the same summary in both');
      assert.equal(editor, adviseText(err, editorAdvice));
    });
  }

  test('the extension names its setting or command', () => {
    assert.match(
      editorErrorText(connectionError(ollama, 'ECONNREFUSED')),
      /ollama serve.*synthesizeme\.baseUrls setting/,
    );
    assert.match(editorErrorText(httpError(openai, 401, 'x')), /Set API Key/);
    assert.match(editorErrorText(httpError(openai, 404, 'x')), /Select Model/);
    assert.match(
      editorErrorText(httpError(openai, 429, 'x')),
      /synthesizeme\.concurrency setting, or wait\. Server said: x$/,
    );
  });

  test("a message quoting an LLM error (a failed call kept in a run file) gets the editor's advice too", () => {
    const quoted = new Error(
      `a bootstrap call for pair p1 failed (${httpError(openai, 429, 'slow down').message}); the fit is incomplete`,
    );
    const text = editorErrorText(quoted);
    assert.doesNotMatch(text, CLI_WORDS, text);
    assert.equal(
      text,
      `a bootstrap call for pair p1 failed (${editorErrorText(httpError(openai, 429, 'slow down'))}); the fit is incomplete`,
    );
    assert.equal(
      rephraseAdvice(timeoutError(ollama, 'first-byte', 3000).message),
      editorErrorText(timeoutError(ollama, 'first-byte', 3000)),
    );
  });

  test('the error that stops a run keeps the advice of the failure it repeats', async () => {
    const llm = createLlm(
      { provider: 'ollama', baseUrls: ['http://127.0.0.1:9'], model: 'llama3.1:8b', maxAttempts: 1 },
      { retry: { baseDelayMs: 1, maxDelayMs: 1 }, coolDownMs: 1, maxCoolDownMs: 1 },
    );
    let last: LlmError | undefined;
    for (let i = 0; i < 12; i++)
      last = await llm.chat({ messages: [{ role: 'user', content: 'x' }], temperature: 0 }).then(
        () => undefined,
        (e: LlmError) => e,
      );
    await llm.dispose();
    assert.ok(last?.stopsRun, last?.message);
    assert.match(last.message, /so the run stops here: Cannot reach Ollama .*OLLAMA_HOST \/ --base-url/);
    assert.doesNotMatch(editorErrorText(last), CLI_WORDS);
    assert.match(editorErrorText(last), /so the run stops here: Cannot reach Ollama .*synthesizeme\.baseUrls/);
  });
});

describe("listing the models of a URL that is not the provider's API", () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({ models: ['llama3.1:8b'] });
  });
  after(() => server.close());

  test('OpenAI at Ollama\'s URL (no /v1): "has no model list", never model ""', async () => {
    const llm = createLlm({ provider: 'openai', baseUrls: [server.url], model: 'gpt-4o-mini' }, { noCache: true });
    const err = await llm.listModels().then(
      () => undefined,
      (e: LlmError) => e,
    );
    await llm.dispose();
    assert.ok(err instanceof LlmError);
    assert.equal(err.kind, 'not-found');
    assert.doesNotMatch(err.message, /model ""/);
    assert.match(err.message, /has no model list \(404/);
    assert.match(err.message, /usually ends in \/v1/);
    assert.match(
      editorErrorText(err),
      /synthesizeme\.baseUrls setting: the base URL of an OpenAI-compatible API usually ends in \/v1/,
    );
  });
});

describe('error notifications', () => {
  test('server, model and key problems offer Open Settings, Select Model and Show Log', () => {
    for (const err of [
      connectionError(ollama, 'ECONNREFUSED'),
      httpError(openai, 404, 'x'),
      httpError(openai, 401, 'x'),
      httpError(ollama, 404, 'x'),
    ]) {
      const n = errorNotice(err);
      assert.deepEqual(n.actions, ['Open Settings', 'Select Model', 'Show Log'], err.message);
      assert.ok(n.text.startsWith('SynthesizeMe: '));
      assert.doesNotMatch(n.text, CLI_WORDS);
    }
  });

  test('anything else offers the log', () => {
    assert.deepEqual(errorNotice(new TypeError('x is undefined')).actions, ['Show Log']);
    assert.deepEqual(errorNotice(new LlmError('parse', 'garbled')).actions, ['Show Log']);
    assert.equal(
      errorNotice(new Error('no user "x"'), 'failed to start: ').text,
      'SynthesizeMe: failed to start: no user "x"',
    );
  });
});

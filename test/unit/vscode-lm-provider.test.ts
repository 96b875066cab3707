// VS Code's language models as a judge (issue 26 item 5), in its pure parts: the system text folded into the first
// user message, failures mapped to the engine's kinds (never answers), the model's names, and core's seam (a provider
// whose endpoint client the face supplies, which the CLI refuses).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldSystem, SYSTEM_CLOSE, SYSTEM_OPEN } from '../../src/extension/lm-provider/fold-messages';
import { readCapped } from '../../src/extension/lm-provider/capped-stream';
import { lmError } from '../../src/extension/lm-provider/lm-errors';
import { lmIdentity, lmModelName, lmSelectorOf } from '../../src/extension/lm-provider/lm-model-names';
import { createLlm, VSCODE_LM_ONLY } from '../../src/core/llm/client';
import { resolveLlmConfig } from '../../src/core/llm/config-from-env';
import { LlmError } from '../../src/core/llm/errors';
import type { EndpointClient, ProviderCall } from '../../src/core/llm/provider';
import { VSCODE_LM_ADDRESS } from '../../src/core/llm/types';
import { modelDigestOf } from '../../src/core/eval/runs-model-digest';

test('the system text is folded into the first user message, delimited, and nothing else moves', () => {
  const folded = foldSystem([
    { role: 'system', content: 'You judge.' },
    { role: 'user', content: 'Which is better?' },
    { role: 'assistant', content: 'A' },
    { role: 'user', content: 'Why?' },
  ]);
  assert.deepEqual(folded, [
    { role: 'user', content: `${SYSTEM_OPEN}\nYou judge.\n${SYSTEM_CLOSE}\n\nWhich is better?` },
    { role: 'assistant', content: 'A' },
    { role: 'user', content: 'Why?' },
  ]);
  // Two system messages keep their order; an assistant first gets a user message of its own before it.
  assert.deepEqual(
    foldSystem([
      { role: 'system', content: 'one' },
      { role: 'assistant', content: 'hi' },
      { role: 'system', content: 'two' },
    ]),
    [
      { role: 'user', content: `${SYSTEM_OPEN}\none\n\ntwo\n${SYSTEM_CLOSE}` },
      { role: 'assistant', content: 'hi' },
    ],
  );
  assert.deepEqual(foldSystem([{ role: 'user', content: 'plain' }]), [{ role: 'user', content: 'plain' }]);
});

const where = { baseUrl: VSCODE_LM_ADDRESS, call: { model: 'fake/judge-1', purpose: 'judge' } };

test("VS Code's failures become the engine's kinds: refusal, quota, rate limit, not found, cancellation", () => {
  const lmErr = (code: string, message: string) => Object.assign(new Error(message), { name: code, code });
  const refused = lmError(lmErr('NoPermissions', 'not allowed'), where, false);
  assert.equal(refused.kind, 'auth');
  assert.equal(refused.retryable, false);
  assert.equal(refused.stopsRun, true);
  assert.match(refused.message, /permission/);
  const blocked = lmError(lmErr('Blocked', 'You have exceeded your premium requests quota'), where, false);
  assert.equal(blocked.kind, 'quota');
  assert.equal(blocked.retryable, false);
  assert.match(blocked.message, /incomplete/);
  // A rate limit passes: retried after a wait, with or without a code.
  const limited = lmError(new Error('Rate limit exceeded, try again in 20 seconds'), where, false);
  assert.equal(limited.kind, 'rate-limit');
  assert.equal(limited.retryable, true);
  assert.equal(lmError(lmErr('Blocked', 'Too Many Requests'), where, false).kind, 'rate-limit');
  assert.equal(lmError(lmErr('NotFound', 'gone'), where, false).kind, 'not-found');
  assert.equal(lmError(Object.assign(new Error('Canceled'), { name: 'Canceled' }), where, false).kind, 'aborted');
  assert.equal(lmError(new Error('whatever'), where, true).kind, 'aborted');
  const other = lmError(new Error('boom'), where, false);
  assert.equal(other.kind, 'server');
  assert.equal(other.provider, 'vscode-lm');
  assert.equal(other.model, 'fake/judge-1');
  const already = new LlmError('timeout', 'late');
  assert.equal(lmError(already, where, false), already);
});

test("a model's name is vendor/id, its identity says family and version", () => {
  const m = { vendor: 'copilot', id: 'gpt-4o-mini', family: 'gpt-4o-mini', version: 'gpt-4o-mini-2024-07-18' };
  assert.equal(lmModelName(m), 'copilot/gpt-4o-mini');
  assert.deepEqual(lmSelectorOf('copilot/gpt-4o-mini'), { vendor: 'copilot', id: 'gpt-4o-mini' });
  assert.deepEqual(lmSelectorOf('org/model/v2'), { vendor: 'org', id: 'model/v2' });
  assert.deepEqual(lmSelectorOf('bare'), { id: 'bare' });
  assert.equal(lmIdentity(m), 'vendor copilot, id gpt-4o-mini, family gpt-4o-mini, version gpt-4o-mini-2024-07-18');
});

test('core takes the vscode-lm provider only with a client from the face; the base URLs set stay unused', async () => {
  const resolved = resolveLlmConfig({ provider: 'vscode-lm', baseUrls: ['http://127.0.0.1:11434'], model: 'f/m' });
  assert.deepEqual(resolved.config.baseUrls, [VSCODE_LM_ADDRESS]);
  assert.equal(resolveLlmConfig({ provider: 'vscode-lm' }).config.model, '', 'no default model: the user chooses');
  assert.throws(
    () => createLlm(resolved.config, { noCache: true }),
    (e: Error) => e.message === VSCODE_LM_ONLY,
  );
  assert.match(VSCODE_LM_ONLY, /only inside VS Code/);

  const seen: ProviderCall[] = [];
  const face: EndpointClient = {
    kind: 'vscode-lm',
    baseUrl: VSCODE_LM_ADDRESS,
    takesSchemas: false,
    chat: async (call) => {
      seen.push(call);
      return { text: '{"preference": "A"}', usage: { promptTokens: 7, completionTokens: 3 } };
    },
    listModels: async () => [{ name: 'f/m', identity: 'vendor f, id m, family fam, version 2' }],
    check: async () => ({ models: [] }),
  };
  const llm = createLlm(resolved.config, { noCache: true, faceClient: () => face });
  try {
    const schema = { name: 'v', schema: { type: 'object', properties: { preference: { type: 'string' } } } };
    const r = await llm.chat({ messages: [{ role: 'user', content: 'A or B?' }], temperature: 0, schema });
    assert.deepEqual(r.json, { preference: 'A' });
    // No schema reaches an API without structured output: it is stated in the prompt, and the answer parsed tolerantly.
    assert.equal(seen[0]!.schema, undefined);
    assert.match(seen[0]!.messages[0]!.content, /JSON schema/);
    assert.equal(await modelDigestOf(llm), 'vendor f, id m, family fam, version 2');
  } finally {
    await llm.dispose();
  }
});

async function* piecesOf(...pieces: string[]): AsyncGenerator<string> {
  for (const p of pieces) yield p;
}

test('the output cap is kept on this side: an answer clearly past it is left there and marked cut', async () => {
  const seen: string[] = [];
  // 40 characters are about 10 estimated tokens: within a cap of 10, read whole.
  const whole = await readCapped(piecesOf('x'.repeat(20), 'y'.repeat(20)), 10, (p) => seen.push(p));
  assert.deepEqual(whole, { text: 'x'.repeat(20) + 'y'.repeat(20), cut: false });
  assert.equal(seen.length, 2);
  // A model that loops: the stream is left once the answer is clearly past the cap (1.5 times), not read to its end.
  let read = 0;
  async function* looping(): AsyncGenerator<string> {
    for (;;) {
      read++;
      yield 'again and again ';
    }
  }
  const cut = await readCapped(looping(), 10);
  assert.equal(cut.cut, true);
  assert.ok(cut.text.length > 4 * 15 && cut.text.length <= 4 * 15 + 16, `${cut.text.length} characters`);
  assert.equal(read, Math.ceil(cut.text.length / 16));
  // No cap: read to the end, however long.
  const uncapped = await readCapped(piecesOf(...Array<string>(100).fill('z'.repeat(100))), undefined);
  assert.deepEqual([uncapped.text.length, uncapped.cut], [10_000, false]);
});

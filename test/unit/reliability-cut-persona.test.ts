// Issue 20, class 6: a failed or cut answer never becomes data. A persona-synthesis answer cut at its output
// cap (Ollama done_reason "length", OpenAI finish_reason "length") was stored as the persona: the raw text,
// starting `{ "reasoning": ...`, looping until the cap. Now a cut answer is a failed call: it is asked once
// more with twice the room, then that user's fit fails with the reason (the user and the caps named) while
// the other users' fits go on, and the cut answers are never cached (a re-run asks again). The same rule
// holds for a bootstrap reasoning (kept as a demonstration) and for memory extraction.
// The loopback servers cut an answer longer than the request's num_predict / max_tokens (4 characters a
// token) and say "length", as Ollama and OpenAI-compatible servers do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './revalidate-fixture';
import { createLlm } from '../../src/core/llm/client';
import { filledCap, pastCap } from '../../src/core/llm/cut-answer';
import type { ServerProviderKind } from '../../src/core/llm/types';
import { synthesizePersona } from '../../src/core/method/fit';
import { judgeOrder } from '../../src/core/method/judge';
import { extractMemory } from '../../src/core/method/methods';
import { PERSONA_SCHEMA } from '../../src/core/method/schemas';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import { samplePair } from '../support/pair-fixture';

const propsOf = (req: BrainRequest) => Object.keys(((req.schema ?? {}) as { properties?: object }).properties ?? {});
const promptOf = (req: BrainRequest) => req.messages.map((m) => m.content).join('\n');
/** What a small model stuck in a loop writes: far past any cap. */
const LOOP = `{ "reasoning": "${'The user likes zebras and the user likes zebras and '.repeat(2000)}`;
/** A whole persona longer than the persona cap (1,024 tokens) and shorter than twice it. */
const LONG_PERSONA = `Prefers thorough answers. ${'Likes each step explained with its reason. '.repeat(100)}`.trim();

/** Pairs whose topic names the user's behaviour in the brain: zebra (loops), okapi (long persona), plain. */
function brain(req: BrainRequest): string {
  const props = propsOf(req);
  const prompt = promptOf(req);
  if (props.includes('persona')) {
    if (/zebra/.test(prompt)) return LOOP;
    if (/okapi/.test(prompt)) return JSON.stringify({ reasoning: 'They want every step.', persona: LONG_PERSONA });
    return JSON.stringify({ reasoning: 'Short replies won.', persona: 'Prefers short replies.' });
  }
  if (props.includes('facts'))
    return /zebra/.test(prompt) ? `{ "facts": ["${'Keeps zebras. '.repeat(2000)}` : '{"facts": ["Keeps okapis."]}';
  if (/zebra-bootstrap/.test(prompt)) return LOOP;
  return JSON.stringify({
    reasoning: 'The first reply is the better one here.',
    preference: /<response_a>\n(?:Good|Short)/.test(prompt) ? 'A' : 'B',
  });
}

function writeUser(ws: string, user: string, topic: string): void {
  const lines = Array.from({ length: 10 }, (_, i) =>
    JSON.stringify({
      user_id: user,
      pair_id: `${user}-${i + 1}`,
      context: [{ role: 'user', content: `Question ${i + 1} about the ${topic}: what should I know?` }],
      chosen: `Short: the ${topic} answer number ${i + 1}.`,
      rejected: `Well, there is a lot to say about the ${topic}, and many ways to look at question ${i + 1}.`,
    }),
  );
  writeFileSync(join(ws, `${user}.prefs.jsonl`), lines.join('\n') + '\n');
}

const personaCalls = (server: LoopbackServer, topic: RegExp) =>
  server.chats.filter((c) => propsOf(c.request).includes('persona') && topic.test(promptOf(c.request)));

describe('a persona-synthesis answer cut at its cap, through fit --all (Ollama)', () => {
  let server: LoopbackServer;
  const dir = mkdtempSync(join(tmpdir(), 'sm-cut-'));
  const ws = join(dir, 'ws');
  mkdirSync(ws);
  writeUser(ws, 'loopy', 'zebra');
  writeUser(ws, 'lengthy', 'okapi');
  writeUser(ws, 'plain', 'teapot');
  before(async () => {
    server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('fails that user with the caps named, fits the others, and stores no cut text', async () => {
    const c = cli(dir);
    const code = await c.call('fit', 'ws', '--all', '--base-url', server.url, '--json');
    assert.equal(code, 1, c.err());
    assert.match(
      c.err(),
      /loopy: persona synthesis failed for user "loopy": the persona synthesis answer was cut at its output cap of 2,048 tokens, after a first answer cut at 1,024/,
    );
    const out = JSON.parse(c.out()) as { users: { user: string }[]; failed: { user: string }[] };
    assert.deepEqual(out.users.map((u) => u.user).sort(), ['lengthy', 'plain']);
    assert.deepEqual(
      out.failed.map((u) => u.user),
      ['loopy'],
    );
    assert.equal(existsSync(join(ws, '.synthesizeme', 'personas', 'loopy.persona.yaml')), false);
    // Two calls for the looping user: the cap, then twice the cap.
    assert.deepEqual(
      personaCalls(server, /zebra/).map((x) => x.request.maxTokens),
      [1024, 2048],
    );
    // The long persona came whole from the second call.
    assert.deepEqual(
      personaCalls(server, /okapi/).map((x) => x.request.maxTokens),
      [1024, 2048],
    );
  });

  test('a re-run asks again: no cut answer was cached', async () => {
    server.reset();
    const c = cli(dir);
    const code = await c.call('fit', 'ws', '--user', 'loopy', '--base-url', server.url, '--json');
    assert.equal(code, 1, c.err());
    assert.equal(personaCalls(server, /zebra/).length, 2);
  });
});

describe('the same rule on every protocol and for every answer that becomes data', () => {
  const servers: Partial<Record<ServerProviderKind, LoopbackServer>> = {};
  const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
  before(async () => {
    servers.ollama = await startLoopbackOllama({ brain, models: [MODEL.ollama] });
    servers.openai = await startLoopbackOpenAI({ brain, models: [MODEL.openai] });
  });
  after(async () => {
    await servers.ollama?.close();
    await servers.openai?.close();
  });
  const zebraPair = samplePair({ context: [{ role: 'user', content: 'Tell me about zebra-bootstrap.' }] });
  const examples = [
    { pair: zebraPair, demo: { pairId: 'p1', order: 'AB' as const, reasoning: '', preference: 'A' as const } },
  ];

  for (const provider of ['ollama', 'openai'] as const) {
    test(`${provider}: persona, memory and bootstrap answers cut twice are failed calls`, async () => {
      const server = servers[provider]!;
      server.reset();
      const cacheDir = mkdtempSync(join(tmpdir(), 'sm-cut-cache-'));
      const llm = createLlm(
        { provider, baseUrls: [server.url], model: MODEL[provider], maxAttempts: 2 },
        { cacheDir, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
      );
      try {
        // An old run cached a cut persona answer (before such answers were refused): it is not replayed.
        const plain = await llm.chat({
          messages: [{ role: 'user', content: 'zebra' }],
          schema: PERSONA_SCHEMA,
          temperature: 0,
          purpose: 'persona synthesis',
        });
        assert.ok(plain.text.startsWith('{ "reasoning"'));
        await assert.rejects(
          synthesizePersona(llm, 'Write a persona.', 'u', examples, { temperature: 0, seed: 0 }),
          /persona synthesis failed for user "u": the persona synthesis answer was cut at its output cap of 2,048 tokens, after a first answer cut at 1,024/,
        );
        await assert.rejects(
          extractMemory(llm, 'List facts.', [zebraPair], { temperature: 0 }),
          /memory answer was cut at its output cap of 1,536 tokens/,
        );
        const v = await judgeOrder(llm, 'Judge.', zebraPair, 'AB', { temperature: 0, purpose: 'bootstrap' });
        assert.equal(v.failed, true);
        assert.match(
          v.error ?? '',
          /bootstrap answer was cut at its output cap of 1,536 tokens, after a first answer cut at 768/,
        );
        // Nothing cut was cached: the same calls go to the server again.
        const before = server.stats.chat;
        await assert.rejects(synthesizePersona(llm, 'Write a persona.', 'u', examples, { temperature: 0, seed: 0 }));
        assert.equal(server.stats.chat, before + 2);
        // Each cut call was one request (not retried as a bad reply): 1 plain + 2 + 2 + 2 + 2.
        assert.equal(server.stats.chat, 9);
      } finally {
        await llm.dispose();
      }
    });
  }
});

// A server that ignores the output cap and miscounts says "stop" with a small count: a persona of 40,000
// characters at 50 tokens was stored (persona file 40,588 bytes) on both protocols. The length tells: an
// answer longer than its cap can hold (pastCap, the rule collect applies to its own generations) is a cut
// answer, asked once more with room, then the user's fit fails naming it, and nothing is stored or cached.
const HUGE_PERSONA = JSON.stringify({ reasoning: 'They like detail.', persona: 'Likes detail. '.repeat(40_000 / 14) });
/** An object begun and never finished, shorter than any cap: what a model that stops mid-answer writes. */
const UNTERMINATED = `{ "reasoning": "${'The user likes zebras and '.repeat(30)}`;

function stopBrain(req: BrainRequest): string {
  if (propsOf(req).includes('persona')) return /zebra/.test(promptOf(req)) ? UNTERMINATED : HUGE_PERSONA;
  return brain(req);
}

describe('a persona far past its cap by length, sent with finish "stop" and a count of 50', () => {
  const servers: Partial<Record<ServerProviderKind, LoopbackServer>> = {};
  const MODEL: Record<ServerProviderKind, string> = { ollama: 'llama3.1:8b', openai: 'gpt-4o-mini' };
  before(async () => {
    const capIgnored = { reportedTokens: 50 };
    servers.ollama = await startLoopbackOllama({ brain: stopBrain, models: [MODEL.ollama], capIgnored });
    servers.openai = await startLoopbackOpenAI({ brain: stopBrain, models: [MODEL.openai], capIgnored });
  });
  after(async () => {
    await servers.ollama?.close();
    await servers.openai?.close();
  });

  for (const provider of ['ollama', 'openai'] as const) {
    test(`${provider}: fit fails that user naming the length, stores no persona, and a re-run asks again`, async () => {
      const server = servers[provider]!;
      server.reset();
      const dir = mkdtempSync(join(tmpdir(), 'sm-past-cap-'));
      const ws = join(dir, 'ws');
      mkdirSync(ws);
      writeUser(ws, 'wordy', 'okapi');
      const args = [
        'fit',
        'ws',
        '--user',
        'wordy',
        '--provider',
        provider,
        '--base-url',
        server.url,
        '--model',
        MODEL[provider],
      ];
      const c = cli(dir);
      const code = await c.call(...args);
      assert.equal(code, 1, c.err());
      assert.match(
        c.err(),
        /persona synthesis failed for user "wordy": the persona synthesis answer is 4\d,\d{3} characters, far past what its output cap of 2,048 tokens can hold \(the server did not stop it\), after a first answer cut at 1,024/,
      );
      assert.equal(existsSync(join(ws, '.synthesizeme', 'personas', 'wordy.persona.yaml')), false);
      assert.deepEqual(
        personaCalls(server, /okapi/).map((x) => x.request.maxTokens),
        [1024, 2048],
      );
      // Not cached: the same fit asks the server again.
      server.reset();
      assert.equal(await cli(dir).call(...args), 1);
      assert.equal(personaCalls(server, /okapi/).length, 2);
    });
  }

  test('an unterminated object with finish "stop" is no persona, and the message shows how it began', async () => {
    const server = servers.ollama!;
    const dir = mkdtempSync(join(tmpdir(), 'sm-unread-'));
    const ws = join(dir, 'ws');
    mkdirSync(ws);
    writeUser(ws, 'loopy', 'zebra');
    const c = cli(dir);
    const code = await c.call('fit', 'ws', '--user', 'loopy', '--base-url', server.url);
    assert.equal(code, 1, c.err());
    assert.match(
      c.err(),
      /persona synthesis for user "loopy": the answer could not be read as a persona \(it begins "\{ \\"reasoning\\": \\"The user likes zebras and The user likes zebras and The user lik"\.\.\.\)/,
    );
    assert.doesNotMatch(c.err(), /empty persona/);
    assert.equal(existsSync(join(ws, '.synthesizeme', 'personas', 'loopy.persona.yaml')), false);
  });
});

test('an answer cached before this rule, far past its cap by length, is not replayed as data', () => {
  const usage = { promptTokens: 10, completionTokens: 50 };
  assert.equal(filledCap(HUGE_PERSONA, usage, 1024), true);
  assert.equal(filledCap('{"persona": "Prefers short replies."}', usage, 1024), false);
  // The bound is the cap times 16 characters a token: at it an answer may be whole, past it it cannot be.
  assert.equal(pastCap('x'.repeat(1024 * 16), 1024), false);
  assert.equal(pastCap('x'.repeat(1024 * 16 + 1), 1024), true);
});
